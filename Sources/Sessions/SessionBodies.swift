import HTTPAPI
import Insights
import PlanogramDomain
import Reasoning

// The bodies of a live session's SSE events and of its routes' answers (docs/ARCHITECTURE.md "Live sessions"),
// as Codable structs. Each event is encoded once by `APIJSON` (keys sorted) and the same bytes go to every
// subscriber (`SessionBus`). Wire names are spelled out in each type's CodingKeys.

/// Someone connected to a session, as `presence`, snapshots and summaries list them.
package struct ParticipantBody: Codable, Sendable, Equatable {
    package let user: String
    package let name: String
    package let role: String
    package let mode: String
    package let connectedSince: String

    enum CodingKeys: String, CodingKey {
        case user, name, role, mode
        case connectedSince = "connected_since"
    }
}

/// `presence`: everyone connected, by user.
package struct PresenceEvent: Encodable, Sendable {
    package let participants: [ParticipantBody]
}

/// `op`: an accepted change, once the op log made it durable.
package struct OpEvent: Encodable, Sendable {
    package let seq: Int64
    package let version: Int
    package let op: SessionOp
    package let by: String
    package let name: String
    @Null package var clientOpID: String?

    enum CodingKeys: String, CodingKey {
        case seq, version, op, by, name
        case clientOpID = "client_op_id"
    }
}

/// `published`: the committed draft is now the machine's planogram (`planogram_version`).
package struct PublishedEvent: Encodable, Sendable {
    package let planogramVersion: Int
    package let by: String
    package let name: String
    package let seq: Int64
    package let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case by, name, seq, version
    }
}

/// `POST /api/sessions/{sid}/publish`.
package struct PublishReplyBody: Encodable, Sendable {
    package let planogramVersion: Int
    package let seq: Int64
    package let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case seq, version
    }
}

/// `drag`: an editor's newest drag position, scored when the models are in (`score`, `constraints_passed`).
package struct DragEvent: Encodable, Sendable {
    package let by: String
    package let name: String
    package let productID: String
    @Null package var slot: String?
    package var clientTS: String?
    package var score: Int?
    package var constraintsPassed: Bool?

    enum CodingKeys: String, CodingKey {
        case by, name
        case productID = "product_id"
        case slot
        case clientTS = "client_ts"
        case score
        case constraintsPassed = "constraints_passed"
    }
}

/// `checkpoint`: the committed state was written (`at`).
package struct CheckpointEvent: Encodable, Sendable {
    package let version: Int
    package let seq: Int64
    package let at: String
}

/// A draft as snapshots show it: each slot with its product, capacity, width and par (when set).
package struct SessionPlanogramBody: Encodable, Sendable, Equatable {
    package let version: Int
    package let slots: [Slot]

    package struct Slot: Encodable, Sendable, Equatable {
        package let slot: String
        package let productID: String
        package let capacity: Int
        package let widthCols: Int
        package let par: Int?

        enum CodingKeys: String, CodingKey {
            case slot
            case productID = "product_id"
            case capacity
            case widthCols = "width_cols"
            case par
        }
    }

    package init(_ p: Planogram, products: [String: Product]) {
        version = p.version
        slots = p.sortedFacings.map { s, f in
            Slot(
                slot: s.description,
                productID: f.productID,
                capacity: f.capacity,
                widthCols: products[f.productID]?.widthColumns ?? 1,
                par: f.par
            )
        }
    }
}

/// `heatmap`: each slot's value (0–100) and revenue per day under the committed draft.
package struct SessionHeatmapEvent: Encodable, Sendable, Equatable {
    package var version: Int
    package let cells: [Cell]

    package struct Cell: Encodable, Sendable, Equatable {
        package let slot: String
        package let value: Int
        package let revenuePerDay: Double

        enum CodingKeys: String, CodingKey {
            case slot, value
            case revenuePerDay = "revenue_per_day"
        }
    }

    package init(_ cells: [HeatCell], version: Int) {
        self.version = version
        self.cells = cells.map {
            Cell(slot: $0.slot.description, value: $0.value, revenuePerDay: Rounding.round2($0.revenuePerDay))
        }
    }
}

/// `revenue`: the committed draft's forecast against the published planogram.
package struct SessionRevenueEvent: Encodable, Sendable, Equatable {
    package var version: Int
    package let baselineRevenue: Double
    package let predictedRevenue: Double
    package let liftPercentage: Double
    package let confidenceInterval: [Double]
    package let confidenceLevel = 0.95
    @Null package var breakEvenDays: Double?
    package let forecastDays: Int

    package init(_ p: RevenuePrediction, version: Int) {
        self.version = version
        baselineRevenue = Rounding.round2(p.baselineRevenue)
        predictedRevenue = Rounding.round2(p.predictedRevenue)
        liftPercentage = Rounding.round2(p.liftPercentage)
        confidenceInterval = [Rounding.round2(p.confidenceInterval.lower), Rounding.round2(p.confidenceInterval.upper)]
        breakEvenDays = p.breakEvenDays.map(Rounding.round2)
        forecastDays = p.forecastDays
    }

    package static func == (a: Self, b: Self) -> Bool {
        a.version == b.version && a.baselineRevenue == b.baselineRevenue && a.predictedRevenue == b.predictedRevenue
            && a.liftPercentage == b.liftPercentage && a.confidenceInterval == b.confidenceInterval
            && a.breakEvenDays == b.breakEvenDays && a.forecastDays == b.forecastDays
    }

    enum CodingKeys: String, CodingKey {
        case version
        case baselineRevenue = "baseline_revenue"
        case predictedRevenue = "predicted_revenue"
        case liftPercentage = "lift_percentage"
        case confidenceInterval = "confidence_interval"
        case confidenceLevel = "confidence_level"
        case breakEvenDays = "break_even_days"
        case forecastDays = "forecast_days"
    }
}

/// `reasoning`: a piece of an explanation as it streams (not kept for resumes).
package struct ReasoningDeltaEvent: Encodable, Sendable {
    package let requestID: String
    @Null package var slot: String?
    package let delta: String
    package let source: String

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, delta, source
    }
}

/// `reasoning_error`: an explanation that failed, and what stood in for it (`fallback`).
package struct ReasoningErrorEvent: Encodable, Sendable {
    package let requestID: String
    @Null package var slot: String?
    package let message: String
    package let fallback: String

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, message, fallback
    }
}

/// `reasoning_done`: the whole explanation, its source and model, tokens used, and the seq it explains.
package struct ReasoningDoneEvent: Encodable, Sendable {
    package let requestID: String
    @Null package var slot: String?
    package let text: String
    package let source: String
    package let model: String
    @Null package var usage: TokenUsage?
    package let cached: Bool
    package let cancelled: Bool
    package let seq: Int64

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, text, source, model, usage, cached, cancelled, seq
    }
}

/// `proposal`: a layout the optimizer proposed for the draft (the job's result), with the draft version it
/// starts from and who asked.
package struct ProposalEvent: Encodable, Sendable {
    /// The optimizer's result body (the app's `LayoutProposalBody`), whose keys the event carries.
    package let proposal: any Encodable & Sendable
    package let baseVersion: Int
    package let by: String
    package let name: String

    enum CodingKeys: String, CodingKey {
        case baseVersion = "base_version"
        case by, name
    }

    /// The proposal's own keys and these, in one object.
    package func encode(to encoder: Encoder) throws {
        try proposal.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(baseVersion, forKey: .baseVersion)
        try c.encode(by, forKey: .by)
        try c.encode(name, forKey: .name)
    }
}

/// `POST /api/sessions/{sid}/proposals/{id}/apply`: how many ops were applied and the draft's version after.
package struct ProposalAppliedReply: Encodable, Sendable {
    package let applied: Int
    package let version: Int
    package let proposalID: String?

    enum CodingKeys: String, CodingKey {
        case applied, version
        case proposalID = "proposal_id"
    }
}

/// A live session in listings (`GET /api/sessions`, the dashboard feed, a cluster node's heartbeat): who is in
/// it, its version, seq and op count, its last activity; on a cluster, the node that holds it (`node`), and
/// between nodes when that node took it (`held_since`, never shown to clients).
package struct SessionSummary: Codable, Sendable, Equatable {
    package let sessionID: String
    package let deviceID: String
    package let cabinetIndex: Int
    package let version: Int
    package let seq: Int64
    package let ops: Int
    package let lastActivity: String
    package let participants: [ParticipantBody]
    package var node: String?
    package var heldSince: Double?

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case version, seq, ops
        case lastActivity = "last_activity"
        case participants, node
        case heldSince = "held_since"
    }
}

/// `GET /api/sessions/{sid}` and the `snapshot` event: the committed draft with the newest heat map and
/// forecast (each with its version), who is connected, and the id a resume continues from.
package struct SessionSnapshotBody: Encodable, Sendable, Equatable {
    package let sessionID: String
    package let deviceID: String
    package let cabinetIndex: Int
    package let version: Int
    package let seq: Int64
    package let publishedVersion: Int
    package let planogram: SessionPlanogramBody
    package var participants: [ParticipantBody]
    package let lastEventID: String
    package let heatmap: SessionHeatmapEvent?
    package let revenue: SessionRevenueEvent?

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case version, seq
        case publishedVersion = "published_version"
        case planogram, participants
        case lastEventID = "last_event_id"
        case heatmap, revenue
    }
}

/// `op`, as a resume reads it back from the op log: the op as it was logged (no `name`: the log keeps the user's id).
package struct LoggedOpEvent: Encodable, Sendable {
    package let seq: Int64
    package let version: Int
    package let op: JSONValue
    package let by: String
    package let clientOpID: String

    enum CodingKeys: String, CodingKey {
        case seq, version, op, by
        case clientOpID = "client_op_id"
    }
}

/// `published`, as a resume reads it back from the op log.
package struct LoggedPublishedEvent: Encodable, Sendable {
    @Null package var planogramVersion: JSONValue?
    package let by: String
    package let seq: Int64
    package let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case by, seq, version
    }
}

/// `GET /api/sessions` and each `sessions` event of the dashboard feed.
package struct SessionsResponse: Encodable, Sendable {
    package let sessions: [SessionSummary]

    package init(sessions: [SessionSummary]) { self.sessions = sessions }
}

import HTTPAPI
import Insights
import PlanogramDomain
import Reasoning

// The bodies of a live session's SSE events and of its routes' answers (docs/ARCHITECTURE.md "Live sessions"),
// as Codable structs. Each event is encoded once by `APIJSON` (keys sorted) and the same bytes go to every
// subscriber (`SessionBus`). Wire names are spelled out in each type's CodingKeys.

/// Someone connected to a session, as `presence`, snapshots and summaries list them.
struct ParticipantBody: Codable, Sendable, Equatable {
    let user: String
    let name: String
    let role: String
    let mode: String
    let connectedSince: String

    enum CodingKeys: String, CodingKey {
        case user, name, role, mode
        case connectedSince = "connected_since"
    }
}

/// `presence`: everyone connected, by user.
struct PresenceEvent: Encodable, Sendable {
    let participants: [ParticipantBody]
}

/// `op`: an accepted change, once the op log made it durable.
struct OpEvent: Encodable, Sendable {
    let seq: Int64
    let version: Int
    let op: SessionOp
    let by: String
    let name: String
    @Null var clientOpID: String?

    enum CodingKeys: String, CodingKey {
        case seq, version, op, by, name
        case clientOpID = "client_op_id"
    }
}

/// `POST /api/sessions/{sid}/ops`: the change's seq and the draft's version after it.
struct OpAcceptedReply: Encodable, Sendable {
    let seq: Int64
    let version: Int
}

/// `published`: the committed draft is now the machine's planogram (`planogram_version`).
struct PublishedEvent: Encodable, Sendable {
    let planogramVersion: Int
    let by: String
    let name: String
    let seq: Int64
    let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case by, name, seq, version
    }
}

/// `POST /api/sessions/{sid}/publish`.
struct PublishReplyBody: Encodable, Sendable {
    let planogramVersion: Int
    let seq: Int64
    let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case seq, version
    }
}

/// `drag`: an editor's newest drag position, scored when the models are in (`score`, `constraints_passed`).
struct DragEvent: Encodable, Sendable {
    let by: String
    let name: String
    let productID: String
    @Null var slot: String?
    var clientTS: String?
    var score: Int?
    var constraintsPassed: Bool?

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
struct CheckpointEvent: Encodable, Sendable {
    let version: Int
    let seq: Int64
    let at: String
}

/// A draft as snapshots show it: each slot with its product, capacity, width and par (when set).
struct SessionPlanogramBody: Encodable, Sendable {
    let version: Int
    let slots: [Slot]

    struct Slot: Encodable, Sendable {
        let slot: String
        let productID: String
        let capacity: Int
        let widthCols: Int
        let par: Int?

        enum CodingKeys: String, CodingKey {
            case slot
            case productID = "product_id"
            case capacity
            case widthCols = "width_cols"
            case par
        }
    }

    init(_ p: Planogram, products: [String: Product]) {
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
struct SessionHeatmapEvent: Encodable, Sendable, Equatable {
    var version: Int
    let cells: [Cell]

    struct Cell: Encodable, Sendable, Equatable {
        let slot: String
        let value: Int
        let revenuePerDay: Double

        enum CodingKeys: String, CodingKey {
            case slot, value
            case revenuePerDay = "revenue_per_day"
        }
    }

    init(_ cells: [HeatCell], version: Int) {
        self.version = version
        self.cells = cells.map {
            Cell(slot: $0.slot.description, value: $0.value, revenuePerDay: Rounding.round2($0.revenuePerDay))
        }
    }
}

/// `revenue`: the committed draft's forecast against the published planogram.
struct SessionRevenueEvent: Encodable, Sendable, Equatable {
    var version: Int
    let baselineRevenue: Double
    let predictedRevenue: Double
    let liftPercentage: Double
    let confidenceInterval: [Double]
    let confidenceLevel = 0.95
    @Null var breakEvenDays: Double?
    let forecastDays: Int

    init(_ p: RevenuePrediction, version: Int) {
        self.version = version
        baselineRevenue = Rounding.round2(p.baselineRevenue)
        predictedRevenue = Rounding.round2(p.predictedRevenue)
        liftPercentage = Rounding.round2(p.liftPercentage)
        confidenceInterval = [Rounding.round2(p.confidenceInterval.lower), Rounding.round2(p.confidenceInterval.upper)]
        breakEvenDays = p.breakEvenDays.map(Rounding.round2)
        forecastDays = p.forecastDays
    }

    static func == (a: Self, b: Self) -> Bool {
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
struct ReasoningDeltaEvent: Encodable, Sendable {
    let requestID: String
    @Null var slot: String?
    let delta: String
    let source: String

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, delta, source
    }
}

/// `reasoning_error`: an explanation that failed, and what stood in for it (`fallback`).
struct ReasoningErrorEvent: Encodable, Sendable {
    let requestID: String
    @Null var slot: String?
    let message: String
    let fallback: String

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, message, fallback
    }
}

/// `reasoning_done`: the whole explanation, its source and model, tokens used, and the seq it explains.
struct ReasoningDoneEvent: Encodable, Sendable {
    let requestID: String
    @Null var slot: String?
    let text: String
    let source: String
    let model: String
    @Null var usage: TokenUsage?
    let cached: Bool
    let cancelled: Bool
    let seq: Int64

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot, text, source, model, usage, cached, cancelled, seq
    }
}

/// `POST /api/sessions/{sid}/explain`: the explanation's id, for its `reasoning` events.
struct ExplainAcceptedReply: Encodable, Sendable {
    let requestID: String
    @Null var slot: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case slot
    }
}

/// `POST /api/sessions/{sid}/drag`.
struct DragAcceptedReply: Encodable, Sendable {
    let accepted = true
}

/// `proposal`: a layout the optimizer proposed for the draft (the job's result), with the draft version it
/// starts from and who asked.
struct ProposalEvent: Encodable, Sendable {
    let proposal: LayoutProposalBody
    let baseVersion: Int
    let by: String
    let name: String

    enum CodingKeys: String, CodingKey {
        case baseVersion = "base_version"
        case by, name
    }

    /// The proposal's own keys and these, in one object.
    func encode(to encoder: Encoder) throws {
        try proposal.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(baseVersion, forKey: .baseVersion)
        try c.encode(by, forKey: .by)
        try c.encode(name, forKey: .name)
    }
}

/// `POST /api/sessions/{sid}/proposals/{id}/apply`: how many ops were applied and the draft's version after.
struct ProposalAppliedReply: Encodable, Sendable {
    let applied: Int
    let version: Int
    let proposalID: String?

    enum CodingKeys: String, CodingKey {
        case applied, version
        case proposalID = "proposal_id"
    }
}

/// A live session in listings (`GET /api/sessions`, the dashboard feed, a cluster node's heartbeat): who is in
/// it, its version, seq and op count, its last activity; on a cluster, the node that holds it (`node`), and
/// between nodes when that node took it (`held_since`, never shown to clients).
struct SessionSummary: Codable, Sendable, Equatable {
    let sessionID: String
    let deviceID: String
    let cabinetIndex: Int
    let version: Int
    let seq: Int64
    let ops: Int
    let lastActivity: String
    let participants: [ParticipantBody]
    var node: String?
    var heldSince: Double?

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

/// `GET /api/sessions` and each `sessions` event of the dashboard feed.
struct SessionsResponse: Encodable, Sendable {
    let sessions: [SessionSummary]
}

/// `POST /api/sessions`: the session's summary, whether this call created it, and where its events stream.
struct SessionOpenedReply: Encodable, Sendable {
    let summary: SessionSummary
    let created: Bool
    let eventsURL: String

    enum CodingKeys: String, CodingKey {
        case created
        case eventsURL = "events_url"
    }

    func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(created, forKey: .created)
        try c.encode(eventsURL, forKey: .eventsURL)
    }
}

/// `GET /api/sessions/{sid}` and the `snapshot` event: the committed draft with the newest heat map and
/// forecast (each with its version), who is connected, and the id a resume continues from.
struct SessionSnapshotBody: Encodable, Sendable {
    let sessionID: String
    let deviceID: String
    let cabinetIndex: Int
    let version: Int
    let seq: Int64
    let publishedVersion: Int
    let planogram: SessionPlanogramBody
    var participants: [ParticipantBody]
    let lastEventID: String
    let heatmap: SessionHeatmapEvent?
    let revenue: SessionRevenueEvent?

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
struct LoggedOpEvent: Encodable, Sendable {
    let seq: Int64
    let version: Int
    let op: JSONValue
    let by: String
    let clientOpID: String

    enum CodingKeys: String, CodingKey {
        case seq, version, op, by
        case clientOpID = "client_op_id"
    }
}

/// `published`, as a resume reads it back from the op log.
struct LoggedPublishedEvent: Encodable, Sendable {
    @Null var planogramVersion: JSONValue?
    let by: String
    let seq: Int64
    let version: Int

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
        case by, seq, version
    }
}

/// `POST /api/sessions/{sid}/ops`: an op, the draft version it was made on, and the client's id for it (a retry
/// with the same id is answered, not applied twice).
struct OpRequest: Decodable, Sendable {
    let clientOpID: String
    let baseVersion: Int
    let op: SessionOp.Input

    enum CodingKeys: String, CodingKey {
        case clientOpID = "client_op_id"
        case baseVersion = "base_version"
        case op
    }
}

/// `POST /api/sessions/{sid}/drag`: the product being dragged, the slot under it (null: none), and a mark the
/// client may use to time the `drag` event (kept when it is a string, of at most 64 characters).
struct DragRequest: Decodable, Sendable {
    let productID: String?
    let slot: String?
    let clientTS: String?

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case slot
        case clientTS = "client_ts"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        productID = try c.decodeIfPresent(String.self, forKey: .productID)
        slot = try c.decodeIfPresent(String.self, forKey: .slot)
        // A mark that is not a string was never refused: it is left out.
        if case .string(let s)? = try? c.decodeIfPresent(JSONValue.self, forKey: .clientTS) {
            clientTS = String(s.prefix(64))
        } else {
            clientTS = nil
        }
    }
}

/// `POST /api/sessions/{sid}/explain`: the slot to explain (absent or null: the whole cabinet).
struct ExplainRequest: Decodable, Sendable {
    let slot: String?
}

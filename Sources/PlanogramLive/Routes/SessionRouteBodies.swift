import HTTPAPI
import Sessions

// The bodies of the live-session routes' requests and answers (`SessionRoutes`), as Codable structs.

/// `POST /api/sessions/{sid}/ops`: the change's seq and the draft's version after it.
struct OpAcceptedReply: Encodable, Sendable {
    let seq: Int64
    let version: Int
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
        // A mark that is not a string was never refused: it is left out. (Read as a string, not as any JSON
        // value: this runs for every drag, and each failed attempt of a JSON value's reading throws.)
        clientTS = ((try? c.decodeIfPresent(String.self, forKey: .clientTS)) ?? nil).map { String($0.prefix(64)) }
    }
}

/// `POST /api/sessions/{sid}/explain`: the slot to explain (absent or null: the whole cabinet).
struct ExplainRequest: Decodable, Sendable {
    let slot: String?
}

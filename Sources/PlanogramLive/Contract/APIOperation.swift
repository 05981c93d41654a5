import HTTPAPI
import PlanogramDomain

/// One route of the contract: what `GET /api/openapi.json` says of it, who may call it, and how the token's
/// `devices` claim applies. `APIOperations.all` is checked against the router's table by `ContractTests`
/// (every route the server serves is described, nothing else), and the role × route matrix of docs/API.md
/// is walked against the running server by `RoleMatrixTests`.
struct APIOperation: Sendable {
    enum Access: Sendable, Equatable {
        /// No token needed.
        case open
        /// A token with one of these roles.
        case roles(Set<Role>)
    }

    /// How the `devices` claim narrows the route.
    enum DeviceScope: Sendable, Equatable {
        /// Not device-bound.
        case none
        /// The device named by this path parameter (or the session's cabinet) must be in the claim: 403.
        case path(String)
        /// Devices named in the body (or query) must be in the claim: 403.
        case named
        /// The answer is filtered to the claim (lists, plans).
        case filtered
        /// Jobs: the owner, an admin, or a token of a starting role whose claim covers the job's devices.
        case job
    }

    struct Parameter: Sendable {
        var name: String
        var location: String
        var required: Bool
        var schema: JSONValue
        var description: String
    }

    struct Response: Sendable {
        var status: Int
        var description: String
        /// A named schema (JSON), or nil for no body.
        var schema: String?
        var contentType = "application/json"
    }

    var method: String
    var path: String
    /// The router's route name; the operationId.
    var name: String
    var summary: String
    var access: Access
    var scope: DeviceScope = .none
    var parameters: [Parameter] = []
    /// The request body's named schema and content type.
    var body: (schema: String, contentType: String, required: Bool)? = nil
    /// Other content types the body may have (read as a string).
    var alsoAccepts: [String] = []
    var responses: [Response]
    /// For an SSE stream: each event's name and what its `data` holds.
    var events: [(name: String, data: String)] = []
    /// Served only in demo mode (`--demo`).
    var demoOnly = false
    var tag: String

    /// The roles that may call it (every role for `.open`).
    var allowedRoles: Set<Role> {
        switch access {
        case .open: Set(Role.allCases)
        case .roles(let r): r
        }
    }
}

extension APIOperation.Parameter {
    static func path(_ name: String, _ description: String) -> Self {
        .init(name: name, location: "path", required: true, schema: APISchema.string, description: description)
    }

    static func query(
        _ name: String,
        _ description: String,
        schema: JSONValue = APISchema.string,
        required: Bool = false
    ) -> Self {
        .init(name: name, location: "query", required: required, schema: schema, description: description)
    }
}

extension APIOperation.Response {
    static func json(_ status: Int, _ schema: String, _ description: String) -> Self {
        .init(status: status, description: description, schema: schema)
    }

    static func stream(_ description: String) -> Self {
        .init(status: 200, description: description, schema: nil, contentType: "text/event-stream")
    }
}

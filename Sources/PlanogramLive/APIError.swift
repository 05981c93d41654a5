import EventLoopHTTP
import Foundation

/// Every error the API answers with: status, machine code and the message users read, in one place
/// (docs/API.md shape `{"error": {"code", "message", "details"}}`).
package struct APIError: Error, Sendable {
    package let status: Int
    package let code: String
    package let message: String
    package let details: AnyJSON?

    package init(_ status: Int, _ code: String, _ message: String, details: Any? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details.map(AnyJSON.init)
    }

    package static func badRequest(_ m: String, details: Any? = nil) -> APIError {
        APIError(400, "bad_request", m, details: details)
    }
    package static func unauthorized(_ m: String) -> APIError { APIError(401, "unauthorized", m) }
    package static func forbidden(_ m: String, details: Any? = nil) -> APIError {
        APIError(403, "forbidden", m, details: details)
    }
    /// The job queue has no place for this user now (`JobShare`): 429 with Retry-After.
    package static let jobQueueFull = APIError(
        429,
        "rate_limited",
        "too many jobs waiting for you; retry shortly",
        details: ["retry_after_seconds": 5]
    )
    package static func notFound(_ m: String) -> APIError { APIError(404, "not_found", m) }
    package static func conflict(_ m: String, details: Any? = nil) -> APIError {
        APIError(409, "conflict", m, details: details)
    }
    package static func unsupportedMediaType(_ m: String) -> APIError { APIError(415, "unsupported_media_type", m) }
    package static func unprocessable(_ code: String, _ m: String, details: Any? = nil) -> APIError {
        APIError(422, code, m, details: details)
    }
    package static func unavailable(_ m: String) -> APIError { APIError(503, "shutting_down", m) }

    var response: HTTPResponse {
        var body: [String: Any] = ["code": code, "message": message]
        if let details { body["details"] = details.value }
        var r = JSONReply.response(status, ["error": body])
        if status == 401 { r.headers.set("WWW-Authenticate", "Bearer") }
        if status == 503 || status == 429 {
            let seconds = ((details?.value as? [String: Any])?["retry_after_seconds"] as? Int).map { max(1, $0) } ?? 1
            r.headers.set("Retry-After", String(seconds))
        }
        return r
    }
}

/// JSON bodies in and out of the API (Foundation's serializer: the API routes are not per-subscriber
/// hot paths; SSE events get their own encoders).
enum JSONReply {
    static func response(_ status: Int, _ object: Any) -> HTTPResponse {
        .json(status, JSONWriter.encode(object))
    }

    /// The request body as a JSON object, or a 400/415 naming the problem.
    static func object(_ req: HTTPRequest) throws(APIError) -> [String: Any] {
        try requireJSONBody(req)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(req.body), options: [.fragmentsAllowed]) } catch {
            throw .badRequest("body is not valid JSON: \(Self.reason(error))")
        }
        guard let object = parsed as? [String: Any] else { throw .badRequest("body must be a JSON object") }
        return object
    }

    /// The request body decoded as `type` (docs/MODELS.md request types), or a 400/415 naming the problem
    /// and the field.
    static func decode<T: Decodable>(_ type: T.Type, _ req: HTTPRequest) throws(APIError) -> T {
        try requireJSONBody(req)
        return try APIJSON.decode(type, from: req.body)
    }

    private static func requireJSONBody(_ req: HTTPRequest) throws(APIError) {
        if let type = req.headers["content-type"], !type.lowercased().hasPrefix("application/json") {
            throw .unsupportedMediaType("expected Content-Type application/json, got \(type)")
        }
        guard !req.body.isEmpty else { throw .badRequest("a JSON object body is required") }
    }

    /// A JSON number that is a whole number, as `Int`: nil for anything else — `true`/`false` included, which
    /// Foundation on Linux would otherwise bridge to 1 and 0.
    static func int(_ value: Any?) -> Int? {
        guard let n = value as? NSNumber, !isBoolean(n), let i = value as? Int else { return nil }
        return i
    }

    /// `key` of a body: nil when absent or null, a 400 naming it when it is not a whole number.
    static func optionalInt(_ body: [String: Any], _ key: String) throws(APIError) -> Int? {
        guard let v = body[key], !(v is NSNull) else { return nil }
        guard let i = int(v) else { throw .badRequest("\(key) must be a whole number") }
        return i
    }

    /// A JSON number as `Double` (nil for booleans and anything else).
    static func number(_ value: Any?) -> Double? {
        guard let n = value as? NSNumber, !isBoolean(n) else { return nil }
        return n.doubleValue
    }

    /// JSONSerialization's `true`/`false` are NSNumbers of type char; its numbers never are.
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

extension Responder {
    func send(_ error: APIError) { send(error.response) }
    func sendJSON(_ status: Int = 200, _ object: Any) { send(JSONReply.response(status, object)) }
}

/// An immutable JSON object graph (from JSONSerialization types) carried across queues.
package struct AnyJSON: @unchecked Sendable {
    package let value: Any
    package init(_ value: Any) { self.value = value }
}

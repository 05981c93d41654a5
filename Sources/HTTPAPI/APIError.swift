import EventLoopHTTP
import Foundation

/// Every error the API answers with: status, machine code and the message users read, in one place
/// (docs/API.md shape `{"error": {"code", "message", "details"}}`).
package struct APIError: Error, Sendable {
    package let status: Int
    package let code: String
    package let message: String
    /// Machine-readable particulars (`{"line": 3}`, `{"violations": […]}`), given as literals or Codable values.
    package let details: JSONValue?

    package init(_ status: Int, _ code: String, _ message: String, details: Any? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details.map { JSONValue(any: $0) }
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

    /// The body of docs/API.md: `{"error": {"code", "message", "details"}}` (`details` left out when there are none).
    package struct Body: Encodable, Sendable {
        package let error: Inner

        package struct Inner: Encodable, Sendable {
            package let code: String
            package let message: String
            package let details: JSONValue?
        }
    }

    package var body: Body { Body(error: .init(code: code, message: message, details: details)) }

    var response: HTTPResponse {
        // A body of strings and JSON values always encodes; the fallback is never expected to be written.
        var r = HTTPResponse.json(
            status,
            (try? APIJSON.encode(self.body)) ?? Array(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        )
        if status == 401 { r.headers.set("WWW-Authenticate", "Bearer") }
        if status == 503 || status == 429 {
            var seconds = 1
            if case .integer(let s) = details?["retry_after_seconds"] { seconds = max(1, Int(clamping: s)) }
            r.headers.set("Retry-After", String(seconds))
        }
        return r
    }
}

extension Responder {
    package func send(_ error: APIError) { send(error.response) }
    /// A Codable body (`APIJSON`); a value JSON cannot carry (a non-finite number) is answered 500.
    package func send<T: Encodable>(_ status: Int, body: T) {
        do { send(.json(status, try APIJSON.encode(body))) } catch { send(APIError(500, "internal", "internal error")) }
    }
}

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

extension Responder {
    package func send(_ error: APIError) { send(error.response) }
    package func sendJSON(_ status: Int = 200, _ object: Any) { send(JSONReply.response(status, object)) }
}

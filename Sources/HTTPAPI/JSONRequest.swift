import EventLoopHTTP
import Foundation

/// Request bodies read as JSON: decoded by `APIJSON` into the route's Codable request type.
package enum JSONRequest {
    /// The request body decoded as `type` (docs/MODELS.md request types), or a 400/415 naming the problem
    /// and the field.
    package static func decode<T: Decodable>(_ type: T.Type, _ req: HTTPRequest) throws(APIError) -> T {
        try requireJSONBody(req)
        return try APIJSON.decode(type, from: req.body)
    }

    private static func requireJSONBody(_ req: HTTPRequest) throws(APIError) {
        if let type = req.headers["content-type"], !type.lowercased().hasPrefix("application/json") {
            throw .unsupportedMediaType("expected Content-Type application/json, got \(type)")
        }
        guard !req.body.isEmpty else { throw .badRequest("a JSON object body is required") }
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

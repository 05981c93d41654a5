import EventLoopHTTP
import Foundation

/// JSON bodies in and out of the API (Foundation's serializer: the API routes are not per-subscriber
/// hot paths; SSE events get their own encoders).
package enum JSONReply {
    static func response(_ status: Int, _ object: Any) -> HTTPResponse {
        .json(status, JSONWriter.encode(object))
    }

    /// The request body as a JSON object, or a 400/415 naming the problem.
    package static func object(_ req: HTTPRequest) throws(APIError) -> [String: Any] {
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

    /// A JSON number that is a whole number, as `Int`: nil for anything else — `true`/`false` included, which
    /// Foundation on Linux would otherwise bridge to 1 and 0.
    package static func int(_ value: Any?) -> Int? {
        guard let n = value as? NSNumber, !isBoolean(n), let i = value as? Int else { return nil }
        return i
    }

    /// `key` of a body: nil when absent or null, a 400 naming it when it is not a whole number.
    package static func optionalInt(_ body: [String: Any], _ key: String) throws(APIError) -> Int? {
        guard let v = body[key], !(v is NSNull) else { return nil }
        guard let i = int(v) else { throw .badRequest("\(key) must be a whole number") }
        return i
    }

    /// A JSON number as `Double` (nil for booleans and anything else).
    package static func number(_ value: Any?) -> Double? {
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

import Foundation

// The Messages API's JSON as this client writes and reads it, as Codable types. Reading is lenient, as the
// API's versioning policy asks: a field that is missing or of another type than expected reads as absent, and
// unknown fields are ignored; only a body that is not a JSON object is an error.

/// The request body of `POST /v1/messages` with `stream: true`.
struct MessagesRequestBody: Encodable {
    struct Message: Encodable {
        let role: String
        let content: String
    }

    let model: String
    let maxTokens: Int
    let stream = true
    let system: String
    let temperature: Double
    let messages: [Message]

    enum CodingKeys: String, CodingKey {
        case model
        case maxTokens = "max_tokens"
        case stream, system, temperature, messages
    }
}

/// The keys this client reads anywhere in the API's objects.
private enum WireKey: String, CodingKey {
    case type, index, message, id, model, usage
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"
    case contentBlock = "content_block"
    case delta, text
    case stopReason = "stop_reason"
    case error, details
    case errorCode = "error_code"
}

extension KeyedDecodingContainer where Key == WireKey {
    /// The value at `key` when it is there and of type `T`; nil otherwise.
    fileprivate func lenient<T: Decodable>(_ type: T.Type, _ key: WireKey) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}

/// Any object of the API, with the fields this client reads (each nil when absent or of another type).
struct WireObject: Decodable {
    var type: String?
    var index: Int?
    var id: String?
    var model: String?
    var text: String?
    var stopReason: String?
    var inputTokens: Int?
    var outputTokens: Int?
    var errorCode: String?
    var messageText: String?
    /// Nested objects: `message`, `usage`, `content_block`, `delta`, `error`, `details`.
    var message: Box?
    var usage: Box?
    var contentBlock: Box?
    var delta: Box?
    var error: Box?
    var details: Box?

    /// A nested object (indirect, so an object may hold objects of its own kind).
    final class Box: Decodable {
        let object: WireObject
        init(from decoder: Decoder) throws { object = try WireObject(from: decoder) }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: WireKey.self)
        type = c.lenient(String.self, .type)
        index = c.lenient(Int.self, .index)
        id = c.lenient(String.self, .id)
        model = c.lenient(String.self, .model)
        text = c.lenient(String.self, .text)
        stopReason = c.lenient(String.self, .stopReason)
        inputTokens = c.lenient(Int.self, .inputTokens)
        outputTokens = c.lenient(Int.self, .outputTokens)
        errorCode = c.lenient(String.self, .errorCode)
        messageText = c.lenient(String.self, .message)
        message = c.lenient(Box.self, .message)
        usage = c.lenient(Box.self, .usage)
        contentBlock = c.lenient(Box.self, .contentBlock)
        delta = c.lenient(Box.self, .delta)
        error = c.lenient(Box.self, .error)
        details = c.lenient(Box.self, .details)
    }
}

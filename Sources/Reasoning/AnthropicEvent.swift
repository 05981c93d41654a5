import Foundation

/// Token usage as the Messages API reports it (`message_start` carries the input, `message_delta` the
/// cumulative output).
package struct TokenUsage: Sendable, Equatable, Encodable {
    package var inputTokens: Int
    package var outputTokens: Int
    package init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
    }
}

/// One event of the Messages API stream (`stream: true`). Unknown event types and unknown delta types
/// decode to `.other` and are skipped by the client, as the API's versioning policy asks.
package enum AnthropicEvent: Sendable, Equatable {
    case messageStart(id: String, model: String, usage: TokenUsage)
    case contentBlockStart(index: Int, type: String)
    case textDelta(index: Int, text: String)
    case contentBlockStop(index: Int)
    case messageDelta(stopReason: String?, outputTokens: Int?)
    case messageStop
    case ping
    case error(type: String, message: String)
    case other(String)

    /// Decodes one parsed SSE event. A `data` that is not a JSON object is an error of the stream.
    package static func decode(_ e: EventStreamParser.Event) throws -> AnthropicEvent {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(e.data.utf8)) as? [String: Any] else {
            throw StreamProtocolError(description: "event \(e.name): data is not a JSON object")
        }
        let type = obj["type"] as? String ?? e.name
        func int(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }
        switch type {
        case "message_start":
            let m = obj["message"] as? [String: Any] ?? [:]
            let u = m["usage"] as? [String: Any] ?? [:]
            return .messageStart(
                id: m["id"] as? String ?? "",
                model: m["model"] as? String ?? "",
                usage: TokenUsage(inputTokens: int(u["input_tokens"]) ?? 0, outputTokens: int(u["output_tokens"]) ?? 0)
            )
        case "content_block_start":
            let b = obj["content_block"] as? [String: Any] ?? [:]
            return .contentBlockStart(index: int(obj["index"]) ?? 0, type: b["type"] as? String ?? "")
        case "content_block_delta":
            let d = obj["delta"] as? [String: Any] ?? [:]
            guard d["type"] as? String == "text_delta", let text = d["text"] as? String else {
                return .other("content_block_delta/\(d["type"] as? String ?? "?")")
            }
            return .textDelta(index: int(obj["index"]) ?? 0, text: text)
        case "content_block_stop":
            return .contentBlockStop(index: int(obj["index"]) ?? 0)
        case "message_delta":
            let d = obj["delta"] as? [String: Any] ?? [:]
            let u = obj["usage"] as? [String: Any] ?? [:]
            return .messageDelta(stopReason: d["stop_reason"] as? String, outputTokens: int(u["output_tokens"]))
        case "message_stop": return .messageStop
        case "ping": return .ping
        case "error":
            let err = obj["error"] as? [String: Any] ?? [:]
            return .error(type: err["type"] as? String ?? "error", message: err["message"] as? String ?? "")
        default: return .other(type)
        }
    }
}

package struct StreamProtocolError: Error, CustomStringConvertible {
    package let description: String
}

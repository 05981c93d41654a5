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
        guard let obj = try? JSONDecoder().decode(WireObject.self, from: Data(e.data.utf8)) else {
            throw StreamProtocolError(description: "event \(e.name): data is not a JSON object")
        }
        let type = obj.type ?? e.name
        switch type {
        case "message_start":
            let m = obj.message?.object
            let u = m?.usage?.object
            return .messageStart(
                id: m?.id ?? "",
                model: m?.model ?? "",
                usage: TokenUsage(inputTokens: u?.inputTokens ?? 0, outputTokens: u?.outputTokens ?? 0)
            )
        case "content_block_start":
            return .contentBlockStart(index: obj.index ?? 0, type: obj.contentBlock?.object.type ?? "")
        case "content_block_delta":
            let d = obj.delta?.object
            guard d?.type == "text_delta", let text = d?.text else {
                return .other("content_block_delta/\(d?.type ?? "?")")
            }
            return .textDelta(index: obj.index ?? 0, text: text)
        case "content_block_stop":
            return .contentBlockStop(index: obj.index ?? 0)
        case "message_delta":
            return .messageDelta(stopReason: obj.delta?.object.stopReason, outputTokens: obj.usage?.object.outputTokens)
        case "message_stop": return .messageStop
        case "ping": return .ping
        case "error":
            let err = obj.error?.object
            return .error(type: err?.type ?? "error", message: err?.messageText ?? "")
        default: return .other(type)
        }
    }
}

package struct StreamProtocolError: Error, CustomStringConvertible {
    package let description: String
}

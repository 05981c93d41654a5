import EventLoopHTTP

/// An SSE event whose body is a Codable value: encoded once (JSON, then the whole frame) and the same bytes sent
/// to every subscriber. A body JSON cannot carry (a non-finite number) is sent as an `internal` error under the
/// same event name rather than dropped.
package enum EventFrame {
    package static func encode<T: Encodable>(_ event: String, _ body: T, id: String? = nil) -> [UInt8] {
        let data =
            (try? APIJSON.encode(body)).map { String(decoding: $0, as: UTF8.self) }
            ?? #"{"error":{"code":"internal","message":"the event could not be encoded"}}"#
        return SSEFrame(id: id, event: event, data: data).bytes
    }
}

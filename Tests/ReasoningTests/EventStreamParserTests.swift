import Reasoning
import XCTest

/// The incremental event-stream parser: framing rules, every split of the bytes, and hostile input.
final class EventStreamParserTests: XCTestCase {
    /// A whole Messages API stream in the documented shape.
    static let documented = """
        event: message_start
        data: {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-haiku-4-5", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

        event: content_block_start
        data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

        event: content_block_delta
        data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " wörld €"}}

        event: content_block_stop
        data: {"type": "content_block_stop", "index": 0}

        event: message_delta
        data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

        event: message_stop
        data: {"type": "message_stop"}


        """

    func decodeAll(_ events: [EventStreamParser.Event]) throws -> [AnthropicEvent] {
        try events.map(AnthropicEvent.decode)
    }

    func testTheDocumentedStreamDecodesToItsEvents() throws {
        var p = EventStreamParser()
        let events = try decodeAll(p.feed(Array(Self.documented.utf8)))
        XCTAssertEqual(
            events,
            [
                .messageStart(
                    id: "msg_1",
                    model: "claude-haiku-4-5",
                    usage: TokenUsage(inputTokens: 25, outputTokens: 1)
                ),
                .contentBlockStart(index: 0, type: "text"), .ping,
                .textDelta(index: 0, text: "Hello"), .textDelta(index: 0, text: " wörld €"),
                .contentBlockStop(index: 0), .messageDelta(stopReason: "end_turn", outputTokens: 15), .messageStop,
            ]
        )
    }

    func testEverySplitAndEveryLineEndingGivesTheSameEvents() throws {
        let lf = Array(Self.documented.utf8)
        var whole = EventStreamParser()
        let expected = whole.feed(lf)
        for ending in ["\n", "\r\n", "\r"] {
            let bytes = Array(Self.documented.replacingOccurrences(of: "\n", with: ending).utf8)
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<300 {
                var p = EventStreamParser()
                var got: [EventStreamParser.Event] = []
                var i = 0
                while i < bytes.count {
                    let n = Int.random(in: 1...9, using: &rng)
                    got += p.feed(bytes[i..<min(bytes.count, i + n)])
                    i += n
                }
                XCTAssertEqual(got, expected, "line ending \(ending.debugDescription)")
            }
        }
    }

    func testCommentsMultiLineDataAndFieldsWithoutSpace() throws {
        var p = EventStreamParser()
        let got = p.feed(
            Array(
                ": keep-alive\n\nevent:x\ndata:a\ndata: b\nid: 7\nretry: 10\nunknown: z\n\ndata\n\nevent: empty\n\n"
                    .utf8
            )
        )
        XCTAssertEqual(got, [.init(name: "x", data: "a\nb", id: "7"), .init(name: "message", data: "", id: "7")])
    }

    func testUnknownEventAndDeltaTypesAreSkippedNotFatal() throws {
        var p = EventStreamParser()
        let got = try decodeAll(
            p.feed(
                Array(
                    """
                    event: future
                    data: {"type":"future","x":1}

                    event: content_block_delta
                    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}


                    """.utf8
                )
            )
        )
        XCTAssertEqual(got, [.other("future"), .other("content_block_delta/thinking_delta")])
        var bad = EventStreamParser()
        XCTAssertThrowsError(try decodeAll(bad.feed(Array("event: x\ndata: not json\n\n".utf8))))
    }

    /// A randomized run over hostile bytes (a fuzz of the parser inside the suite; Ops/fuzz/run has the
    /// libFuzzer one): it never traps, and an over-long line stops the parser after returning the events
    /// completed before it, so memory is bounded by the line limit.
    func testRandomBytesNeverCrashTheParser() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("event:data: id{}\"\\\r\n:xé".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<2_000 {
            var p = EventStreamParser(maxLineBytes: 256)
            let bytes = (0..<Int.random(in: 0...600, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            for e in p.feed(bytes) { _ = try? AnthropicEvent.decode(e) }
        }
    }

    func testAnOverlongLineStopsTheParserAfterTheEventsBeforeIt() {
        var p = EventStreamParser(maxLineBytes: 16)
        let got = p.feed(Array("data: ok\n\ndata: \(String(repeating: "a", count: 20))\n\ndata: later\n\n".utf8))
        XCTAssertEqual(got, [.init(name: "message", data: "ok")])
        XCTAssertTrue(p.failed)
        XCTAssertEqual(p.feed(Array("data: more\n\n".utf8)), [])
    }
}

// libFuzzer entry point for the HTTP request parser, compiled together with the parser's sources by
// Ops/fuzz/run (swiftc -sanitize=fuzzer,address). For each input it checks that:
//   - parsing never traps (bounds, overflow, exclusivity: all checked in this build),
//   - feeding the same bytes whole or one byte at a time gives the same requests or the same error,
//   - every error carries a status the server can answer with,
//   - whatever head parses also survives target decoding (HTTPRequest.make) without trapping.

struct Outcome: Equatable {
    var requests: [String] = []
    var error: Int? = nil
}

func run(_ input: UnsafeRawBufferPointer, piece: Int) -> Outcome {
    var parser = HTTPRequestParser(limits: HTTPParserLimits(maxHeaderBytes: 2048, maxHeaderCount: 20, maxChunkLineBytes: 64))
    var buffer: [UInt8] = []
    var fed = 0
    var out = Outcome()
    var body: [UInt8] = []
    var guardCount = 0
    while true {
        guardCount += 1
        if guardCount > 1_000_000 { fatalError("parser made no progress") }
        let r: (consumed: Int, event: HTTPParseEvent?)
        do {
            r = try buffer.withUnsafeBytes { try parser.parse($0) }
        } catch let e as HTTPParseError {
            precondition([400, 413, 417, 431, 501, 505].contains(e.status), "unexpected status \(e.status)")
            out.error = e.status
            return out
        } catch { fatalError("untyped error") }
        if case .body(let range) = r.event { body += buffer[range] }
        if case .head = r.event, let head = parser.head {
            _ = HTTPRequest.make(head: head, body: [], remoteAddress: "fuzz")
        }
        if case .end = r.event {
            out.requests.append("\(parser.head!.method) \(parser.head!.target) \(body.count) \(body.hashValue)")
            body = []
        }
        buffer.removeFirst(r.consumed)
        if r.consumed == 0 && r.event == nil {
            if fed == input.count { return out }
            let end = min(input.count, fed + piece)
            buffer += input[fed..<end]
            fed = end
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = run(input, piece: max(1, size))
    let bytewise = run(input, piece: 1)
    // An error found early in byte-wise feeding may stop before a later request completes, and a
    // head-size limit may trigger at different points; compare where both finished cleanly.
    if whole.error == nil && bytewise.error == nil {
        precondition(whole.requests == bytewise.requests, "split changed the result: \(whole) vs \(bytewise)")
    }
    return 0
}

// libFuzzer entry point for the reader of the Anthropic event stream (EventStreamParser + AnthropicEvent),
// compiled with their sources by Ops/fuzz/run (swiftc -sanitize=fuzzer,address). The bytes come from the
// network, so for each input it checks that:
//   - parsing and decoding never trap,
//   - feeding the bytes whole, one at a time, or in pieces of 7 gives the same events or the same error,
//   - a line over the limit stops the parser at the same place whatever the split.
import Foundation

func events(_ input: UnsafeRawBufferPointer, piece: Int, decode: Bool) -> [String] {
    var parser = EventStreamParser(maxLineBytes: 512)
    var out: [String] = []
    var i = 0
    while i < input.count {
        let end = min(input.count, i + piece)
        for e in parser.feed(input[i..<end]) {
            if decode { _ = try? AnthropicEvent.decode(e) } // must not trap
            out.append("\(e.name)|\(e.data)|\(e.id ?? "-")")
        }
        if parser.failed { out.append("line too long"); return out }
        i = end
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = events(input, piece: max(1, size), decode: true)
    let bytewise = events(input, piece: 1, decode: false)
    let sevens = events(input, piece: 7, decode: false)
    precondition(whole == bytewise && whole == sevens, "split changed the events or where the stream failed")
    return 0
}

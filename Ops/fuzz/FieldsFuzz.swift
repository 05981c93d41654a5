// libFuzzer entry point for the text an import or a reconnecting client hands the server: the CSV reader
// and the field parsers of the import (CSVReader, FieldParse) and the event ids of a resume (EventID),
// compiled with their sources by Ops/fuzz/run (swiftc -sanitize=fuzzer,address). For each input it checks:
//   - reading records and parsing every field as a number, whole number or timestamp never traps,
//   - a parsed number is finite and has at most FieldParse.maxIntegerDigits digits before the point,
//   - a precise timestamp agrees with the plain one and its fraction is below a second,
//   - an event id that parses prints back to the same text (one spelling per id).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    var reader = CSVReader(input)
    var records = 0
    do {
        while try reader.next(), records < 10_000 {
            records += 1
            for i in 0..<reader.count {
                reader.withField(i) { b in
                    if let d = FieldParse.decimal(b) {
                        precondition(d.isFinite, "a parsed number is finite")
                        precondition(abs(d) < 1e16, "no more than 15 digits before the point: \(d)")
                    }
                    _ = FieldParse.integer(b)
                    let plain = FieldParse.timestamp(b, dateOnlyAllowed: true)
                    let precise = FieldParse.preciseTimestamp(b, dateOnlyAllowed: true)
                    precondition(plain == precise?.seconds, "precise and plain timestamps agree")
                    if let p = precise { precondition(p.nanos >= 0 && p.nanos < 1_000_000_000) }
                }
            }
        }
    } catch {
        // Malformed quoting is an error the import reports; it must only not trap.
    }
    if let text = String(bytes: UnsafeRawBufferPointer(start: data, count: min(size, 64)), encoding: .utf8), let id = EventID(text) {
        precondition(EventID(id.description) == id, "an id prints back to itself")
    }
    return 0
}

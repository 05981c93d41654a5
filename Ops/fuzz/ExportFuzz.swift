// libFuzzer entry point for the telemetry export reader (Sources/Store/TransactionExport.swift with the CSV
// reader and the domain's slot codes and clock), compiled with its sources by Ops/fuzz/run
// (swiftc -sanitize=fuzzer,address). Each input is read with the ePort preset and with a timed mapping that
// has no selection column, and it checks that:
//   - reading never traps; a refusal names a code,
//   - the rows add up: usable lines + rows left out = rows read, at most 100 listed, each on a line of the input,
//   - every usable line has a device, a product, a price of at least 0, 1…1000 units, and a slot inside the
//     largest cabinet an export may describe (or no slot where the mapping gives none),
//   - a day-only line has a day and no instant; a timed line an instant and no day,
//   - read in two halves at once (as a file of 1 MiB or more is), it reads the same: the same lines, line numbers
//     and rows left out, or the same refusal (with the ePort preset, whose dates are quoted fields).
import Foundation

let timed = ExportMapping(
    device: .column("Device ID"),
    time: "TransDate",
    timeFormat: "yyyy-MM-dd HH:mm",
    product: "Product",
    price: "RPrice",
    quantity: "RQty"
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = input.reduce(into: 1) { n, b in if b == 10 || b == 13 { n += 1 } }
    for mapping in [ExportMapping.eport, timed] {
        do throws(ExportRefusal) {
            let e = try TransactionExport.read(input, mapping: mapping, clock: .utc)
            precondition(e.lines.count + e.skippedCount == e.rowsRead, "rows add up")
            precondition(e.skipped.count <= 100 && e.skipped.count <= e.skippedCount)
            for s in e.skipped { precondition(s.line >= 2 && s.line <= lines, "a listed row is in the input") }
            for l in e.lines {
                precondition(!l.deviceID.isEmpty && !l.productName.isEmpty && !l.productKey.isEmpty)
                precondition(l.price >= 0 && l.price.isFinite && (1...1000).contains(l.quantity))
                precondition((l.day == nil) != (l.ts == nil), "a day or an instant, never both")
                precondition(e.dayOnly == (l.day != nil))
                if mapping.selection == nil {
                    precondition(l.slot == nil && l.selection == nil)
                } else {
                    let s = l.slot!
                    precondition(s.row >= 0 && s.row < TransactionExport.maxRows && s.column >= 0 && s.column < TransactionExport.maxColumns)
                }
            }
        } catch {
            precondition(!error.code.isEmpty && !error.message.isEmpty)
        }
        guard mapping == .eport else { continue }
        let one = Result { () throws(ExportRefusal) in
            try TransactionExport.read(input, mapping: mapping, clock: .utc, splitAbove: .max)
        }
        let two = Result { () throws(ExportRefusal) in
            // The halves one after the other (the same work as at once, without threads: fast enough to fuzz).
            try TransactionExport.read(
                input,
                mapping: mapping,
                clock: .utc,
                splitAbove: 1,
                halvesAtOnce: false,
                progress: nil
            )
        }
        switch (one, two) {
        case (.success(let a), .success(let b)):
            precondition(a.lines == b.lines, "two halves read the lines one reader reads")
            precondition(a.rowsRead == b.rowsRead && a.skippedCount == b.skippedCount && a.skipped == b.skipped)
        case (.failure(let a), .failure(let b)):
            precondition(a == b, "two halves refuse as one reader does")
        default:
            preconditionFailure("one reader and two halves disagree on whether the input can be read")
        }
    }
    return 0
}

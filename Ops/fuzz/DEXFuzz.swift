// libFuzzer entry point for the DEX reader (Sources/DEX), compiled with its sources by Ops/fuzz/run
// (swiftc -sanitize=fuzzer,address). For each input it checks that:
//   - reading never traps (bounds, overflow: all checked in this build),
//   - an accepted read is consistent: one entry per selection, counters not negative, a checksum only when
//     it matched, a read time that is a real calendar time,
//   - a refusal names a line inside the input and a record,
//   - the same bytes with CR LF line ends instead of LF read the same (or are refused the same way).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = input.reduce(into: 1) { n, b in if b == 10 { n += 1 } }
    let first: Result<DEXRead, DEXError>
    do throws(DEXError) {
        let r = try DEXReader.read(input)
        precondition(Set(r.selections.map(\.selection)).count == r.selections.count, "one entry per selection")
        for s in r.selections {
            for v in [s.price, s.vendsTotal, s.valueTotal, s.vendsSinceReset, s.valueSinceReset] {
                precondition((v ?? 0) >= 0, "counters are not negative")
            }
        }
        if let t = r.readAt {
            precondition((1...12).contains(t.month) && (1...31).contains(t.day) && t.hour < 24 && t.minute < 60 && t.second < 60)
        }
        precondition(r.decimals >= 0 && r.decimals <= 6)
        _ = r.money(r.selections.first?.price ?? 0)
        first = .success(r)
    } catch {
        precondition(error.line >= 1 && error.line <= max(lines, DEXReader.maxLines), "the line is in the input: \(error)")
        first = .failure(error)
    }
    // The same read with CR LF ends (only for inputs without CR of their own).
    if !input.contains(13) {
        var crlf: [UInt8] = []
        crlf.reserveCapacity(input.count + lines)
        for b in input {
            if b == 10 { crlf.append(13) }
            crlf.append(b)
        }
        let second: Result<DEXRead, DEXError>
        do throws(DEXError) { second = .success(try DEXReader.read(crlf)) } catch { second = .failure(error) }
        switch (first, second) {
        case (.success(let a), .success(let b)): precondition(a == b, "CR LF and LF read the same")
        case (.failure(let a), .failure(let b)): precondition(a.record == b.record, "refused the same way: \(a) / \(b)")
        default: preconditionFailure("CR LF and LF disagree: \(first) / \(second)")
        }
    }
    return 0
}

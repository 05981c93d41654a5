/// Reads a DEX audit read (EVA-DTS 6.x, DEX/UCS) from its bytes: lenient where real machines differ from the
/// standard and the meaning is clear, strict where the data would be wrong (docs/formats/DEX.md).
///
/// Lenient: a vendor banner before `DXS` is skipped; CR LF or LF line ends; a read without `G85` (warned); a
/// blank serial (warned); `PA2` with 4 to 12 fields; `PA1` without a price; `ID5` and `EA3` dates as YYMMDD or
/// CCYYMMDD; records the reader does not use are counted and ignored.
/// Strict (`DEXError`, nothing of the read is used): no `DXS`, no `DXE` after it (truncated), a `G85` that does
/// not match the CRC-16/ARC of the lines from `ST` to the line before it, a `PA2` or `PA7` before any `PA1`, a
/// `PA1` without a selection, a counter, price or `ID4` decimal count that is not a whole number, more than
/// 100,000 lines.
package enum DEXReader {
    package static let maxLines = 100_000

    package static func read(_ bytes: [UInt8]) throws(DEXError) -> DEXRead {
        let lines = splitLines(bytes)
        guard lines.count <= maxLines else {
            throw DEXError(line: maxLines, record: "", "a read has at most \(maxLines) lines")
        }
        guard let start = lines.firstIndex(where: { recordName($0.bytes) == "DXS" }) else {
            throw DEXError(line: 1, record: "DXS", "no DXS record: this is not a DEX read")
        }
        guard let end = lines[start...].firstIndex(where: { recordName($0.bytes) == "DXE" }) else {
            throw DEXError(line: lines.count, record: "DXE", "no DXE record after DXS: the read is truncated")
        }
        var out = DEXRead(
            decimals: 2,
            selections: [],
            selectionColumns: [:],
            ignoredRecords: [:],
            warnings: []
        )
        var stLine: Int?
        var current: Int?  // index into out.selections
        var seen: [String: Int] = [:]
        var crc = CRC16ARC()
        var sawID5 = false
        for i in start...end {
            let line = lines[i]
            let number = line.number
            let fields = line.bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            let record = fields[0].trimmingSpaces()
            func field(_ k: Int) -> String? {
                guard k < fields.count else { return nil }
                let v = fields[k].trimmingSpaces()
                return v.isEmpty ? nil : v
            }
            func count(_ k: Int) throws(DEXError) -> Int? {
                guard let v = field(k) else { return nil }
                guard let n = Int(v), n >= 0, v.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw DEXError(
                        line: number,
                        record: record,
                        "field \(k) of \(record) must be a whole number, got \"\(v)\""
                    )
                }
                return n
            }
            if record == "ST" { stLine = i }
            if record == "G85" {
                guard stLine != nil else { throw DEXError(line: number, record: record, "G85 before ST") }
                let given = field(1) ?? ""
                guard let value = UInt16(given, radix: 16), given.utf8.count <= 4 else {
                    throw DEXError(line: number, record: record, "G85 must be 4 hexadecimal digits, got \"\(given)\"")
                }
                guard value == crc.value else {
                    throw DEXError(
                        line: number,
                        record: record,
                        "checksum mismatch: the read says \(given.uppercased()), its lines give \(hex(crc.value))"
                    )
                }
                out.checksum = value
            } else if stLine != nil, out.checksum == nil {
                crc.update(line.bytes)
                crc.update([13, 10])
            }
            switch record {
            case "DXS":
                out.communicationID = field(1)
                out.version = field(3)
            case "ID1":
                out.serial = field(1)
                out.model = field(2)
            case "ID4":
                out.decimals = try count(1) ?? 2
                guard out.decimals <= 6 else {
                    throw DEXError(line: number, record: record, "ID401 says \(out.decimals) decimal places; at most 6")
                }
                out.currency = field(3) ?? field(2)
            case "ID5":
                if let t = timestamp(date: field(1), time: field(2)) {
                    out.readAt = t
                    out.readAtSource = "ID5"
                    sawID5 = true
                } else if field(1) != nil {
                    out.warnings.append("line \(number): ID5 date \"\(field(1) ?? "")\" is not a date; left out")
                }
            case "EA3":
                if !sawID5, let t = timestamp(date: field(2), time: field(3)) {
                    out.readAt = t
                    out.readAtSource = "EA3"
                }
            case "PA1":
                guard let selection = field(1) else {
                    throw DEXError(line: number, record: record, "PA1 without a selection (PA101)")
                }
                let price = try count(2)
                if let first = seen[selection] {
                    out.warnings.append(
                        "line \(number): selection \(selection) is listed again; the first PA1 (line \(first)) is kept"
                    )
                    current = nil
                    continue
                }
                seen[selection] = number
                out.selections.append(
                    DEXSelection(selection: selection, price: price, productCode: field(3), payments: [])
                )
                current = out.selections.count - 1
            case "PA2":
                guard !seen.isEmpty else { throw DEXError(line: number, record: record, "PA2 before any PA1") }
                guard let c = current else { continue }
                out.selections[c].vendsTotal = try count(1)
                out.selections[c].valueTotal = try count(2)
                out.selections[c].vendsSinceReset = try count(3)
                out.selections[c].valueSinceReset = try count(4)
                for k in stride(from: 5, to: min(fields.count, 13), by: 1) { _ = try count(k) }
            case "PA7":
                guard !seen.isEmpty else { throw DEXError(line: number, record: record, "PA7 before any PA1") }
                guard let c = current, let device = field(2) else { continue }
                out.selections[c].payments.append(
                    DEXPayment(device: device, price: try count(4), vends: try count(5), value: try count(6))
                )
            case "MA5":
                // The maker's selection lines: `MA5*SEL01*1,2,7,8*…` (selection 1 vends from columns 1, 2, 7, 8).
                if let tag = field(1), tag.hasPrefix("SEL"), let number = Int(tag.dropFirst(3)), let list = field(2) {
                    let columns = list.split(separator: ",").compactMap { Int($0.trimmingSpaces()) }
                    if !columns.isEmpty { out.selectionColumns[String(number)] = columns }
                }
            case "ST", "SE", "G85", "DXE":
                break
            default:
                out.ignoredRecords[record, default: 0] += 1
            }
        }
        if stLine == nil {
            throw DEXError(line: lines[start].number, record: "ST", "no ST record: the read has no set")
        }
        if out.checksum == nil { out.warnings.append("the read carries no checksum (G85); it was not verified") }
        if out.serial == nil { out.warnings.append("the read's serial (ID101) is blank") }
        if start > 0 { out.warnings.append("\(lines[start].number - 1) line(s) before DXS were skipped") }
        return out
    }

    /// The transmission itself — the lines from `DXS` to `DXE`, each ended by CR LF — whatever came before or
    /// after it and however its lines ended: the bytes a read's identity is taken from. Nil without both.
    package static func transmission(_ bytes: [UInt8]) -> [UInt8]? {
        let lines = splitLines(bytes)
        guard let start = lines.firstIndex(where: { recordName($0.bytes) == "DXS" }),
            let end = lines[start...].firstIndex(where: { recordName($0.bytes) == "DXE" })
        else { return nil }
        var out: [UInt8] = []
        for line in lines[start...end] { out += line.bytes + [13, 10] }
        return out
    }

    /// `YYMMDD` or `CCYYMMDD`, and `HHMM` or `HHMMSS`; nil when the date is not one.
    static func timestamp(date: String?, time: String?) -> DEXTimestamp? {
        guard let date, date.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let d = Array(date.utf8).map { Int($0) - 48 }
        let year: Int
        let rest: ArraySlice<Int>
        switch d.count {
        case 6:
            let yy = d[0] * 10 + d[1]
            year = yy < 70 ? 2000 + yy : 1900 + yy
            rest = d[2...]
        case 8:
            year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]
            rest = d[4...]
        default: return nil
        }
        let r = Array(rest)
        let month = r[0] * 10 + r[1]
        let day = r[2] * 10 + r[3]
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        if let time, time.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), time.utf8.count == 4 || time.utf8.count == 6 {
            let t = Array(time.utf8).map { Int($0) - 48 }
            hour = t[0] * 10 + t[1]
            minute = t[2] * 10 + t[3]
            if t.count == 6 { second = t[4] * 10 + t[5] }
            guard hour < 24, minute < 60, second < 60 else { return nil }
        }
        return DEXTimestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    struct Line {
        var number: Int
        var bytes: ArraySlice<UInt8>
    }

    /// Lines without their ends (LF, CR LF or a lone CR), numbered from 1; a final empty line is dropped.
    static func splitLines(_ bytes: [UInt8]) -> [Line] {
        var out: [Line] = []
        var i = 0
        var start = 0
        var number = 1
        while i < bytes.count {
            let b = bytes[i]
            if b == 10 || b == 13 {
                out.append(Line(number: number, bytes: bytes[start..<i]))
                number += 1
                if b == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < bytes.count { out.append(Line(number: number, bytes: bytes[start...])) }
        return out
    }

    /// The record's name: the text before the first `*`, spaces trimmed.
    static func recordName(_ line: ArraySlice<UInt8>) -> String {
        let name = line.prefix { $0 != UInt8(ascii: "*") }
        return String(decoding: name, as: UTF8.self).trimmingSpaces()
    }

    static func hex(_ v: UInt16) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Foundation-free).
    func trimmingSpaces() -> String {
        let kept = self.drop { $0 == " " || $0 == "\t" }
        var end = kept.endIndex
        while end > kept.startIndex, kept[kept.index(before: end)] == " " || kept[kept.index(before: end)] == "\t" {
            end = kept.index(before: end)
        }
        return String(kept[kept.startIndex..<end])
    }
}

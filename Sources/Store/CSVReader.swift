/// A byte-level RFC 4180 reader over one file held in memory: comma separated, `"`-quoted fields with
/// `""` escapes, CRLF or LF line ends, a UTF-8 BOM skipped. It hands out each record's fields as byte
/// ranges into the buffer (quoted fields are unescaped into a side buffer), so the import's hot path
/// makes no Strings. Malformed quoting is reported with the line and column where it happened.
package struct CSVReader {
    package struct Malformed: Error, Equatable {
        package let line: Int
        package let column: Int
        package let reason: String
    }

    private(set) var bytes: UnsafeBufferPointer<UInt8>
    var pos: Int
    /// Physical line (1-based) where the record returned last began.
    package private(set) var line = 0
    var nextLine = 1
    /// Fields of the current record: (start, end) into `bytes`, or into `unescaped` when `quoted`.
    package private(set) var fields: [(start: Int, end: Int, quoted: Bool)] = []
    var unescaped: [UInt8] = []

    /// `continuing`: `bytes` are the rest of a file from a record's start (no byte order mark to skip), and
    /// lines are counted from 1 there.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, continuing: Bool = false) {
        self.bytes = bytes
        pos = (!continuing && bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) ? 3 : 0
        fields.reserveCapacity(16)
    }

    /// Stops the reader at byte `end` (at or past where it is): the input ends there. The first half of a file
    /// cut in two ends at the cut, blank lines before it included, and never reads on into the second half.
    package mutating func stop(at end: Int) {
        // Clamped, not trapped: a cut behind the reader stops it where it is; one past the end changes nothing.
        let cut = min(max(end, pos), bytes.count)
        bytes = UnsafeBufferPointer(rebasing: bytes[..<cut])
    }

    /// Physical lines consumed so far: at a record's end, the line count a reader continuing from here adds to
    /// its own line numbers.
    package var linesConsumed: Int { nextLine - 1 }

    /// Bytes consumed so far (for progress).
    package var offset: Int { pos }

    /// Reads the next record; false at the end of the input. Blank lines are skipped.
    package mutating func next() throws(Malformed) -> Bool {
        fields.removeAll(keepingCapacity: true)
        unescaped.removeAll(keepingCapacity: true)
        let n = bytes.count
        // Skip blank lines.
        while pos < n && (bytes[pos] == 10 || bytes[pos] == 13) {
            if bytes[pos] == 10 { nextLine += 1 }
            pos += 1
        }
        guard pos < n else { return false }
        line = nextLine
        while true {
            if pos < n && bytes[pos] == 34 {  // quoted field
                let start = unescaped.count
                pos += 1
                var closed = false
                while pos < n {
                    let c = bytes[pos]
                    if c == 34 {
                        if pos + 1 < n && bytes[pos + 1] == 34 {
                            unescaped.append(34)
                            pos += 2
                            continue
                        }
                        pos += 1
                        closed = true
                        break
                    }
                    if c == 10 { nextLine += 1 }
                    unescaped.append(c)
                    pos += 1
                }
                guard closed else {
                    throw Malformed(line: line, column: fields.count + 1, reason: "unterminated quoted field")
                }
                fields.append((start, unescaped.count, true))
                if pos < n && bytes[pos] != 44 && bytes[pos] != 10 && bytes[pos] != 13 {
                    throw Malformed(
                        line: nextLine,
                        column: fields.count,
                        reason: "unexpected character after closing quote"
                    )
                }
            } else {
                let start = pos
                while pos < n {
                    let c = bytes[pos]
                    if c == 44 || c == 10 || c == 13 { break }
                    if c == 34 {
                        throw Malformed(line: line, column: fields.count + 1, reason: "quote inside an unquoted field")
                    }
                    pos += 1
                }
                fields.append((start, pos, false))
            }
            if pos >= n { return true }
            let c = bytes[pos]
            if c == 44 {
                pos += 1
                if pos >= n {
                    fields.append((pos, pos, false))
                    return true
                }
                continue
            }
            // End of record.
            if c == 13 {
                pos += 1
                if pos < n && bytes[pos] == 10 { pos += 1 }
            } else {
                pos += 1
            }
            nextLine += 1
            return true
        }
    }

    /// The raw bytes of field `i` (unescaped when quoted). Valid until the next call to `next()`.
    @inline(__always)
    package func withField<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let f = fields[i]
        if f.quoted {
            return unescaped.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[f.start..<f.end])) }
        }
        return body(UnsafeBufferPointer(rebasing: bytes[f.start..<f.end]))
    }

    package func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    package var count: Int { fields.count }
}

/// Fast, strict parsers for the field types of the import.
package enum FieldParse {
    /// Most digits before the decimal point a number may have (larger values are refused, never wrapped).
    package static let maxIntegerDigits = 15

    /// `-?digits(.digits)?` with at most `maxIntegerDigits` digits before the point; nil otherwise.
    package static func decimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var neg = false
        let n = b.count
        guard n > 0, n < 40 else { return nil }
        if b[0] == 45 {
            neg = true
            i = 1
        } else if b[0] == 43 {
            i = 1
        }
        var intPart: Int64 = 0
        var digits = 0
        while i < n, b[i] >= 48, b[i] <= 57 {
            intPart = intPart &* 10 &+ Int64(b[i] - 48)
            i += 1
            digits += 1
        }
        guard digits <= maxIntegerDigits else { return nil }
        var frac = 0.0
        var scale = 1.0
        if i < n && b[i] == 46 {
            i += 1
            var fd = 0
            var f: Int64 = 0
            while i < n, b[i] >= 48, b[i] <= 57 {
                if fd < 15 {
                    f = f * 10 + Int64(b[i] - 48)
                    scale *= 10
                    fd += 1
                }
                i += 1
                digits += 1
            }
            guard fd > 0 else { return nil }
            frac = Double(f) / scale
        }
        guard i == n, digits > 0, digits < 30 else { return nil }
        let v = Double(intPart) + frac
        return neg ? -v : v
    }

    /// A non-negative or negative whole number; nil otherwise.
    package static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        var neg = false
        let n = b.count
        guard n > 0, n < 19 else { return nil }
        if b[0] == 45 {
            neg = true
            i = 1
        }
        guard i < n else { return nil }
        var v = 0
        while i < n {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
            i += 1
        }
        return neg ? -v : v
    }

    /// ISO 8601 to seconds since 1970: `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM|±HHMM)`, or a bare date
    /// `YYYY-MM-DD` (midnight UTC) when `dateOnlyAllowed`. A space may stand for `T`.
    package static func timestamp(_ b: UnsafeBufferPointer<UInt8>, dateOnlyAllowed: Bool = false) -> Int64? {
        preciseTimestamp(b, dateOnlyAllowed: dateOnlyAllowed)?.seconds
    }

    /// As `timestamp`, with the fraction of the second kept in nanoseconds (digits beyond 9 are ignored).
    package static func preciseTimestamp(
        _ b: UnsafeBufferPointer<UInt8>,
        dateOnlyAllowed: Bool = false
    ) -> (seconds: Int64, nanos: Int32)? {
        let n = b.count
        var nanos: Int32 = 0
        func d(_ i: Int) -> Int? { i < n && b[i] >= 48 && b[i] <= 57 ? Int(b[i] - 48) : nil }
        func num(_ i: Int, _ len: Int) -> Int? {
            var v = 0
            for k in i..<(i + len) {
                guard let x = d(k) else { return nil }
                v = v * 10 + x
            }
            return v
        }
        guard n >= 10, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let da = num(8, 2) else {
            return nil
        }
        guard (1...12).contains(mo), da >= 1, da <= daysInMonth(y, mo), y >= 1970, y < 2200 else { return nil }
        let days = daysFromCivil(y, mo, da)
        if n == 10 { return dateOnlyAllowed ? (Int64(days) * 86400, 0) : nil }
        guard n >= 16, b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2),
            h < 24, mi < 60
        else { return nil }
        var i = 16
        var s = 0
        if i < n && b[i] == 58 {
            guard let ss = num(17, 2), ss < 61 else { return nil }
            s = ss
            i = 19
            if i < n && (b[i] == 46 || b[i] == 44) {
                i += 1
                let st = i
                var scale: Int32 = 100_000_000
                while let x = d(i) {
                    if scale > 0 {
                        nanos += Int32(x) * scale
                        scale /= 10
                    }
                    i += 1
                }
                guard i > st else { return nil }
            }
        }
        guard i < n else { return nil }  // an offset or Z is required
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign = b[i] == 45 ? -1 : 1
            guard let oh = num(i + 1, 2), oh <= 14 else { return nil }
            var om = 0
            if i + 3 < n && b[i + 3] == 58 {
                guard let m = num(i + 4, 2) else { return nil }
                om = m
                i += 6
            } else if i + 3 < n {
                guard let m = num(i + 3, 2) else { return nil }
                om = m
                i += 5
            } else {
                i += 3
            }
            guard om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == n else { return nil }
        return (Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset), nanos)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    package static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for seconds since 1970.
    package static func iso8601(_ t: Int64) -> String {
        let days = Int(t >= 0 ? t / 86400 : (t - 86399) / 86400)
        let secs = Int(t - Int64(days) * 86400)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func p2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(p2(m))-\(p2(d))T\(p2(secs / 3600)):\(p2(secs / 60 % 60)):\(p2(secs % 60))Z"
    }
}

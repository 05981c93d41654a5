/// Percent-decoding of path segments and query strings (RFC 3986, with `+` as space in queries).
package enum PercentDecoding {
    /// Decodes `%XX` escapes. Returns nil for a malformed escape, invalid UTF-8 or a NUL byte.
    package static func decode<S: StringProtocol>(_ s: S, plusAsSpace: Bool = false) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(),
                    let hv = HTTPRequestParser.hexValue(h), let lv = HTTPRequestParser.hexValue(l)
                else { return nil }
                out.append(UInt8(hv << 4 | lv))
            } else if plusAsSpace && c == UInt8(ascii: "+") {
                out.append(0x20)
            } else {
                out.append(c)
            }
        }
        if out.contains(0) { return nil }
        return String(validating: out, as: UTF8.self)
    }

    /// Splits `a=1&b=x%20y` into decoded pairs, in order. Nil if any part is malformed.
    package static func parseQuery<S: StringProtocol>(_ query: S) -> [(String, String)]? {
        var result: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = decode(kv[0], plusAsSpace: true) else { return nil }
            let v = kv.count > 1 ? decode(kv[1], plusAsSpace: true) : ""
            guard let value = v else { return nil }
            result.append((k, value))
        }
        return result
    }
}

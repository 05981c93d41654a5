import Foundation

/// A small JSON writer for the API's `[String: Any]` trees: keys sorted by code point (stable
/// output), no locale-aware collation, no NSString bridging — several times cheaper than
/// `JSONSerialization` with `.sortedKeys`, which dominated the score route's profile.
/// Supports dictionaries, arrays, String, Bool, the integer types, Double, Float, NSNumber and NSNull;
/// anything else is written as `null`. Non-finite numbers are written as `null`.
package enum JSONWriter {
    package static func encode(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, &out)
        return out
    }

    static func write(_ value: Any, _ out: inout [UInt8]) {
        // Foundation numbers first: a boxed NSNumber would otherwise match `as Bool` when it is 0 or 1.
        if type(of: value) is NSNumber.Type, let n = value as? NSNumber {
            if String(cString: n.objCType) == "c" {
                out.append(contentsOf: (n.boolValue ? "true" : "false").utf8)
            } else if CFNumberIsFloat(n) {
                writeDouble(n.doubleValue, &out)
            } else {
                out.append(contentsOf: String(n.int64Value).utf8)
            }
            return
        }
        switch value {
        case let s as String: writeString(s, &out)
        case let b as Bool: out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case let i as Int: out.append(contentsOf: String(i).utf8)
        case let i as Int64: out.append(contentsOf: String(i).utf8)
        case let i as Int32: out.append(contentsOf: String(i).utf8)
        case let d as Double: writeDouble(d, &out)
        case let f as Float: writeDouble(Double(f), &out)
        case let d as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in d.keys.sorted() {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, &out)
                out.append(UInt8(ascii: ":"))
                write(d[key]!, &out)
            }
            out.append(UInt8(ascii: "}"))
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(v, &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out.append(contentsOf: "null".utf8)
        }
    }

    static func CFNumberIsFloat(_ n: NSNumber) -> Bool {
        let t = String(cString: n.objCType)
        return t == "d" || t == "f"
    }

    static func writeDouble(_ d: Double, _ out: inout [UInt8]) {
        guard d.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        if d == d.rounded(), abs(d) < 1e15 {
            out.append(contentsOf: String(Int64(d)).utf8)
            return
        }
        out.append(contentsOf: d.description.utf8)
    }

    static func writeString(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Test access to the writer (the type itself stays internal to the app).
package enum JSONWriterProbe {
    package static func encode(_ value: Any) -> [UInt8] { JSONWriter.encode(value) }
}

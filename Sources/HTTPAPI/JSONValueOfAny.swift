import Foundation

extension JSONValue {
    /// A value given as Swift literals and Foundation objects (an error's `details`: `["line": 3, "violations": […]]`)
    /// as JSON: strings, booleans, numbers, arrays, dictionaries, `NSNull`, `JSONValue`, and any `Encodable` (encoded
    /// by `APIJSON`). Anything else, and a number JSON cannot carry, is `null`.
    package init(any value: Any) {
        if let v = value as? JSONValue {
            self = v
            return
        }
        // Foundation numbers first: a boxed NSNumber would otherwise match `as Bool` when it is 0 or 1.
        if type(of: value) is NSNumber.Type, let n = value as? NSNumber {
            let t = String(cString: n.objCType)
            if t == "c" {
                self = .bool(n.boolValue)
            } else if t == "d" || t == "f" {
                self = n.doubleValue.isFinite ? .number(n.doubleValue) : .null
            } else {
                self = .integer(n.int64Value)
            }
            return
        }
        switch value {
        case let s as String: self = .string(s)
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .integer(Int64(i))
        case let i as Int64: self = .integer(i)
        case let i as Int32: self = .integer(Int64(i))
        case let d as Double: self = d.isFinite ? .number(d) : .null
        case let f as Float: self = f.isFinite ? .number(Double(f)) : .null
        case is NSNull: self = .null
        case let o as [String: Any]: self = .object(o.mapValues { JSONValue(any: $0) })
        case let a as [Any]: self = .array(a.map { JSONValue(any: $0) })
        case let e as any Encodable:
            self =
                ((try? APIJSON.encode(e)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0)) })
                ?? .null
        default: self = .null
        }
    }
}

extension JSONValue {
    /// A Codable body as a JSON value (a job's result, kept as written: `APIJSON`'s output read back).
    package init<T: Encodable>(encoding body: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(try APIJSON.encode(body)))
    }
}

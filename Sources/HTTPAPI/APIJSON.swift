import Foundation

/// How the API writes and reads Codable bodies.
package enum APIJSON {
    /// Keys sorted (stable output), slashes not escaped. Throws only for a value JSON cannot carry
    /// (a non-finite number); `AppContext.handle` answers that with a 500 and a log line.
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes `type` from JSON bytes, or throws a 400 naming the field (`lines[2].units_added must be a
    /// whole number`).
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let DecodingError.typeMismatch(expected, context) {
            throw .badRequest(
                context.codingPath.isEmpty && expected is [String: Any].Type
                    ? "body must be a JSON object" : "\(path(context.codingPath)) must be \(describe(expected))"
            )
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw .badRequest("\(path(context.codingPath)) is not valid: \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw .badRequest("\(path(context.codingPath)) must be \(describe(expected)), not null")
        } catch let DecodingError.keyNotFound(key, context) {
            throw .badRequest("\(path(context.codingPath + [key])) is required")
        } catch {
            // Foundation on Linux reports a number that does not fit its field (1.5 for a count) as invalid
            // JSON without a path; a second parse tells the two apart.
            do {
                _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            } catch {
                throw .badRequest("body is not valid JSON: \(JSONRequest.reason(error))")
            }
            throw .badRequest("a number in the body does not fit its field: counts, indexes and days are whole numbers")
        }
    }

    /// `lines[2].units_added` for a coding path.
    static func path(_ keys: [CodingKey]) -> String {
        var out = ""
        for k in keys {
            if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return out.isEmpty ? "body" : out
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type, is UInt32.Type: "a whole number"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

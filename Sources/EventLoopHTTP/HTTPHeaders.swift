/// An ordered list of header fields. Names are stored lower-cased; lookups are case-insensitive.
package struct HTTPHeaders: Sendable, Sequence {
    package private(set) var fields: [(name: String, value: String)] = []

    package init() {}

    package init(_ pairs: [(String, String)]) {
        for (n, v) in pairs { append(name: n, value: v) }
    }

    package var count: Int { fields.count }

    package mutating func append(name: String, value: String) {
        fields.append((name.lowercased(), value))
    }

    /// Replaces every field of that name with one field.
    package mutating func set(_ name: String, _ value: String) {
        let n = name.lowercased()
        fields.removeAll { $0.name == n }
        fields.append((n, value))
    }

    /// The first value of the field, if present.
    package subscript(_ name: String) -> String? {
        let n = name.lowercased()
        return fields.first { $0.name == n }?.value
    }

    package func values(_ name: String) -> [String] {
        let n = name.lowercased()
        return fields.filter { $0.name == n }.map(\.value)
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

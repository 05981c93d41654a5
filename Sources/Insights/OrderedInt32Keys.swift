import Foundation

/// Stores `[String: [Int32: Double]]` maps (the models' per-product terms) in key order, so that the same
/// fit is the same bytes in every process. Swift encodes a dictionary whose keys are neither `String` nor
/// `Int` as one array of alternating keys and values, in the dictionary's iteration order, which changes
/// from process to process with the hash seed (`JSONEncoder`'s `.sortedKeys` orders only object keys).
/// This writes the same array with the keys sorted, so what was stored before reads back unchanged.
@propertyWrapper
package struct OrderedInt32Keys: Sendable, Codable {
    package var wrappedValue: [String: [Int32: Double]]

    package init(wrappedValue: [String: [Int32: Double]]) { self.wrappedValue = wrappedValue }

    package init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode([String: [Int32: Double]].self)
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(wrappedValue.mapValues(Pairs.init))
    }

    /// One inner map as Swift's own alternating array, keys ascending.
    struct Pairs: Encodable {
        let map: [Int32: Double]
        func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            for k in map.keys.sorted() {
                try c.encode(k)
                try c.encode(map[k]!)
            }
        }
    }
}

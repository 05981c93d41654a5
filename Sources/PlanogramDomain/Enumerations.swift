/// Temperature zone of a cabinet, and the temperature a product requires.
package enum Temperature: String, Sendable, CaseIterable, Codable {
    case ambient, chilled, frozen

    /// Whether a product that requires `self` may sit in a cabinet of zone `cabinet`.
    /// An ambient product may sit in a chilled cabinet; chilled needs chilled; frozen needs frozen.
    package func fits(in cabinet: Temperature) -> Bool {
        switch (self, cabinet) {
        case (.ambient, .ambient), (.ambient, .chilled): return true
        case (.chilled, .chilled), (.frozen, .frozen): return true
        default: return false
        }
    }
}

/// Where a machine stands.
package enum VenueType: String, Sendable, CaseIterable, Codable {
    case office, hospital, school, university, gym, transit, factory, hotel, retail, other
}

/// What kind of machine it is.
package enum DeviceType: String, Sendable, CaseIterable, Codable {
    case snack, beverage, combo, fresh, frozen
}

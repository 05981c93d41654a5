/// A span of the day, in minutes after midnight in the fleet's time zone: `from` inclusive, `until`
/// exclusive, `from < until` (a window does not cross midnight).
package struct TimeWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    package var from: Int
    package var until: Int

    package init(from: Int, until: Int) {
        self.from = from
        self.until = until
    }

    package func contains(minute: Int) -> Bool { minute >= from && minute < until }

    /// `HH:MM` of a minute of the day.
    package static func text(_ minute: Int) -> String {
        let h = minute / 60
        let m = minute % 60
        return (h < 10 ? "0\(h)" : "\(h)") + ":" + (m < 10 ? "0\(m)" : "\(m)")
    }

    /// Minutes after midnight of `HH:MM` (00:00 … 24:00); nil otherwise.
    package static func minute(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), m < 60, h < 24 || (h == 24 && m == 0)
        else { return nil }
        return h * 60 + m
    }

    package var description: String { Self.text(from) + "–" + Self.text(until) }
}

/// Where trucks start and end their day (docs/MODELS.md `depots.csv`).
package struct Depot: Sendable, Hashable, Codable {
    package var id: String
    package var name: String
    package var latitude: Double
    package var longitude: Double
    package var hours: TimeWindow

    package init(id: String, name: String, latitude: Double, longitude: Double, hours: TimeWindow) {
        self.id = id
        self.name = name
        self.latitude = latitude
        self.longitude = longitude
        self.hours = hours
    }
}

/// A truck (docs/MODELS.md `vehicles.csv`): its depot, how many units it carries, its shift.
package struct Vehicle: Sendable, Hashable, Codable {
    package var id: String
    package var depotID: String
    package var capacityUnits: Int
    package var shift: TimeWindow

    package init(id: String, depotID: String, capacityUnits: Int, shift: TimeWindow) {
        self.id = id
        self.depotID = depotID
        self.capacityUnits = capacityUnits
        self.shift = shift
    }
}

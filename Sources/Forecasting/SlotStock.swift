/// The stock of one slot as lots (docs/MODELS.md): a restock adds a lot with its load time, a sale takes one unit
/// of the oldest lot, a driver's pull removes the oldest units, and a lot older than the product's shelf
/// life is expired (still counted in the slot until pulled: a machine does not check dates). A pure value.
package struct SlotStock: Sendable, Equatable {
    package struct Lot: Sendable, Equatable {
        package var loadedAt: Int64
        package var units: Int
        package init(loadedAt: Int64, units: Int) {
            self.loadedAt = loadedAt
            self.units = units
        }
    }

    /// Oldest first.
    package private(set) var lots: [Lot] = []
    /// Seconds a unit stays good after it is loaded; nil for products that do not expire here.
    package let shelfLife: Int64?
    /// Sales that found no recorded stock (a restock missing from the data, a count off).
    package private(set) var unseenSales = 0

    package init(shelfLifeDays: Int?, lots: [Lot] = []) {
        shelfLife = shelfLifeDays.flatMap { $0 > 0 ? Int64($0) * 86_400 : nil }
        self.lots = lots.filter { $0.units > 0 }
    }

    package var units: Int { lots.reduce(0) { $0 + $1.units } }

    package mutating func restock(units: Int, at time: Int64) {
        guard units > 0 else { return }
        lots.append(Lot(loadedAt: time, units: units))
    }

    /// One vend: takes a unit of the oldest lot. False when the slot had no recorded stock.
    @discardableResult
    package mutating func sell() -> Bool {
        guard !lots.isEmpty else {
            unseenSales += 1
            return false
        }
        lots[0].units -= 1
        if lots[0].units == 0 { lots.removeFirst() }
        return true
    }

    /// A driver pulls `units`, oldest first. Returns how many were there to pull.
    @discardableResult
    package mutating func pull(units: Int) -> Int {
        var left = max(0, units)
        var pulled = 0
        while left > 0, !lots.isEmpty {
            let take = min(left, lots[0].units)
            lots[0].units -= take
            left -= take
            pulled += take
            if lots[0].units == 0 { lots.removeFirst() }
        }
        return pulled
    }

    /// When a lot loaded at `loadedAt` expires (nil: never).
    package func expiry(of lot: Lot) -> Int64? { shelfLife.map { lot.loadedAt + $0 } }

    /// Units that are past their date at `time`.
    package func expired(at time: Int64) -> Int {
        guard shelfLife != nil else { return 0 }
        return lots.reduce(0) { $0 + (expiry(of: $1)! <= time ? $1.units : 0) }
    }

    /// Units still good at `now` that will be past their date before `time`.
    package func expiring(after now: Int64, before time: Int64) -> Int {
        guard shelfLife != nil else { return 0 }
        return lots.reduce(0) { sum, lot in
            let e = expiry(of: lot)!
            return sum + (e > now && e <= time ? lot.units : 0)
        }
    }

    /// The earliest expiry of a unit still in the slot after `now`, if any.
    package func nextExpiry(after now: Int64) -> Int64? {
        lots.compactMap { expiry(of: $0) }.filter { $0 > now }.min()
    }
}

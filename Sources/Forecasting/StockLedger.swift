import PlanogramDomain

/// One slot of one cabinet.
package struct SlotKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    package let cabinet: CabinetKey
    package let slot: SlotCode
    package init(_ cabinet: CabinetKey, _ slot: SlotCode) {
        self.cabinet = cabinet
        self.slot = slot
    }
    package static func < (a: SlotKey, b: SlotKey) -> Bool { (a.cabinet, a.slot) < (b.cabinet, b.slot) }
    package var description: String { "\(cabinet)/\(slot)" }
}

/// The stock by lot of every slot, replayed from the history in time order (restocks, sales, pulls), and
/// what expired on the way. A slot whose product changes (a new planogram) starts afresh: the old
/// product's units are taken out at the change, as a driver does. A pure value.
package struct StockLedger: Sendable {
    package private(set) var slots: [SlotKey: SlotStock] = [:]
    /// The product each slot's lots belong to.
    package private(set) var productOf: [SlotKey: String] = [:]
    /// Units found past their date when a driver pulled them or the product changed, per slot.
    package private(set) var spoiled: [SlotKey: Int] = [:]
    /// Slots whose current product has a recorded fill (a visit or a services row), so their stock follows
    /// from evidence; the others' stock is unknown (docs/MODELS.md, "Stock only from evidence").
    package private(set) var filled: Set<SlotKey> = []
    let shelfLifeDays: @Sendable (String) -> Int?

    package init(shelfLifeDays: @escaping @Sendable (String) -> Int?) {
        self.shelfLifeDays = shelfLifeDays
    }

    private mutating func stock(_ key: SlotKey, product: String, at time: Int64) -> SlotStock {
        if let p = productOf[key], p == product, let s = slots[key] { return s }
        if let old = slots[key] { spoiled[key, default: 0] += old.expired(at: time) }  // the old product leaves
        productOf[key] = product
        filled.remove(key)
        return SlotStock(shelfLifeDays: shelfLifeDays(product))
    }

    /// A fill of `units`. `recorded`: a fill the history holds (a visit, a services row); false for an assumed
    /// starting level, which does not make the stock known.
    package mutating func restock(_ key: SlotKey, product: String, units: Int, at time: Int64, recorded: Bool = true) {
        var s = stock(key, product: product, at: time)
        s.restock(units: units, at: time)
        slots[key] = s
        if recorded { filled.insert(key) }
    }

    /// How the stock of `key` holding `product` is known: `inferred` from a recorded fill and the sales since,
    /// or `unknown`.
    package func basis(_ key: SlotKey, product: String) -> StockBasis {
        productOf[key] == product && filled.contains(key) ? .inferred : .unknown
    }

    package mutating func sale(_ key: SlotKey, product: String, at time: Int64) {
        var s = stock(key, product: product, at: time)
        s.sell()
        slots[key] = s
    }

    /// A driver pulls units (expired or expiring first, as they are the oldest). Returns how many were there.
    @discardableResult
    package mutating func pull(_ key: SlotKey, units: Int, at time: Int64) -> Int {
        guard var s = slots[key] else { return 0 }
        let expired = min(units, s.expired(at: time))
        spoiled[key, default: 0] += expired
        let pulled = s.pull(units: units)
        slots[key] = s
        return pulled
    }

    /// Units per slot at `time` that are past their date.
    package func expired(at time: Int64) -> [SlotKey: Int] {
        slots.compactMapValues { s in
            let e = s.expired(at: time)
            return e > 0 ? e : nil
        }
    }
}

/// Where a slot's stock comes from (docs/MODELS.md, "Stock only from evidence"): `counted` by a person,
/// `inferred` from a recorded fill and the sales since, or `unknown` — then no stock, empty time or
/// stock-out probability is given.
package enum StockBasis: String, Sendable {
    case counted
    case inferred
    case unknown
}

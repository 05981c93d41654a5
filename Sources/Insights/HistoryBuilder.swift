import PlanogramDomain

/// Turns the raw event streams (sales and restocks, in time order) into a `SalesHistory`, inferring
/// stock per slot: a restock adds its units, a sale takes one; a slot is out of stock from the sale
/// that empties it until the next restock. Stock is assumed full at the first planogram.
public final class HistoryBuilder {
    static let tradingStart: Int64 = 6 * 3600, tradingEnd: Int64 = 22 * 3600

    struct SlotState {
        var stock: Int
        var emptySince: Int64?   // time the slot ran empty, nil while stocked
        var outSeconds: [Int32: Int64] = [:]
    }

    let cabinets: [CabinetKey: Cabinet]
    let devices: [String: Device]
    let products: [Product]
    let productIndex: [String: Int32]
    let planograms: [CabinetKey: [Planogram]]
    private var states: [CabinetKey: [SlotCode: SlotState]] = [:]
    private var units: [CabinetKey: [SlotCode: [Int32: (units: Float, revenue: Float)]]] = [:]
    private var deviceDayRevenue: [String: [Int32: Double]] = [:]
    private var deviceDayUnits: [String: [Int32: Double]] = [:]
    private var transactions: [String: [Int32]] = [:]
    private var serviceDays: [String: Set<Int32>] = [:]
    private var firstDay = Int32.max, lastDay = Int32.min

    public init(catalog: [CabinetKey: Cabinet], devices: [String: Device], products: [Product], planograms: [CabinetKey: [Planogram]]) {
        self.cabinets = catalog
        self.devices = devices
        self.products = products
        var idx: [String: Int32] = [:]
        for (i, p) in products.enumerated() { idx[p.id] = Int32(i) }
        self.productIndex = idx
        self.planograms = planograms.mapValues { $0.sorted { $0.effectiveFrom < $1.effectiveFrom } }
        for (key, versions) in self.planograms {
            guard let first = versions.first else { continue }
            var m: [SlotCode: SlotState] = [:]
            for (slot, f) in first.facings { m[slot] = SlotState(stock: f.capacity) }
            states[key] = m
        }
    }

    private func touch(_ day: Int32) {
        if day < firstDay { firstDay = day }
        if day > lastDay { lastDay = day }
    }

    /// Out-of-stock seconds within trading hours between `from` and `to`, spread over the days.
    private static func addOut(_ state: inout SlotState, from: Int64, to: Int64) {
        guard to > from else { return }
        var t = from
        while t < to {
            let day = dayOf(t)
            let dayStart = Int64(day) * 86400
            let lo = max(t, dayStart + tradingStart), hi = min(to, dayStart + tradingEnd)
            if hi > lo { state.outSeconds[day, default: 0] += hi - lo }
            t = dayStart + 86400
        }
    }

    public func addService(ts: Int64, deviceID: String, cabinetIndex: Int, slot: SlotCode, units added: Int) {
        let key = CabinetKey(deviceID, cabinetIndex)
        touch(dayOf(ts))
        serviceDays[deviceID, default: []].insert(dayOf(ts))
        var s = states[key]?[slot] ?? SlotState(stock: 0)
        if let since = s.emptySince { Self.addOut(&s, from: since, to: ts) }
        s.emptySince = nil
        s.stock += added
        states[key, default: [:]][slot] = s
    }

    public func addSale(ts: Int64, deviceID: String, cabinetIndex: Int, slot: SlotCode, productID: String, price: Double,
                        transactionID: String?) {
        let key = CabinetKey(deviceID, cabinetIndex)
        let day = dayOf(ts)
        touch(day)
        var s = states[key]?[slot] ?? SlotState(stock: 1)
        if s.emptySince != nil {
            // A sale from a slot we thought empty: there was stock we did not see (a restock missing
            // from the data, or a count off). Trust the sale: the slot was not out of stock.
            s.emptySince = nil
            s.stock = 1
        }
        s.stock = max(0, s.stock - 1)
        if s.stock == 0 { s.emptySince = ts }
        states[key, default: [:]][slot] = s
        var u = units[key]?[slot]?[day] ?? (0, 0)
        u.units += 1
        u.revenue += Float(price)
        units[key, default: [:]][slot, default: [:]][day] = u
        deviceDayRevenue[deviceID, default: [:]][day, default: 0] += price
        deviceDayUnits[deviceID, default: [:]][day, default: 0] += 1
        if let t = transactionID, !t.isEmpty, let p = productIndex[productID] {
            transactions[deviceID + "\u{1F}" + t, default: []].append(p)
        }
    }

    public func finish() -> SalesHistory {
        let endTs = Int64(lastDay + 1) * 86400
        var series: [SalesHistory.SlotSeries] = []
        for key in planograms.keys.sorted() {
            guard let cab = cabinets[key], let versions = planograms[key] else { continue }
            var st = states[key] ?? [:]
            for slot in cab.allSlots {
                if var s = st[slot], let since = s.emptySince { Self.addOut(&s, from: since, to: endTs); s.emptySince = nil; st[slot] = s }
            }
            for slot in cab.allSlots {
                var days: [SalesHistory.SlotDay] = []
                guard firstDay <= lastDay else { continue }
                var vi = 0
                for day in firstDay...lastDay {
                    let noon = Int64(day) * 86400 + 12 * 3600
                    while vi + 1 < versions.count && versions[vi + 1].effectiveFrom <= noon { vi += 1 }
                    guard versions[vi].effectiveFrom <= noon else { continue }
                    let facing = versions[vi].facings[slot]
                    let u = units[key]?[slot]?[day] ?? (0, 0)
                    if facing == nil && u.units == 0 { continue }
                    let out = Float(st[slot]?.outSeconds[day] ?? 0) / Float(Self.tradingEnd - Self.tradingStart)
                    days.append(.init(day: day, product: facing.flatMap { productIndex[$0.productID] } ?? -1, units: u.units,
                                      revenue: u.revenue, inStock: max(0, 1 - out)))
                }
                if !days.isEmpty { series.append(.init(cabinet: key, slot: slot, days: days)) }
            }
        }
        var baskets: [[Int32]] = []
        var withProduct: [Int32: Int] = [:]
        for (_, items) in transactions {
            let distinct = Array(Set(items)).sorted()
            for p in distinct { withProduct[p, default: 0] += 1 }
            if distinct.count >= 2 { baskets.append(distinct) }
        }
        baskets.sort { $0.lexicographicallyPrecedes($1) }
        var intervals: [String: Double] = [:]
        for (d, days) in serviceDays {
            let sorted = days.sorted()
            intervals[d] = sorted.count >= 2 ? Double(sorted.last! - sorted.first!) / Double(sorted.count - 1) : 3
        }
        var h = SalesHistory(cabinets: cabinets, devices: devices, products: products, productIndex: productIndex, series: series,
                             deviceDayRevenue: deviceDayRevenue, deviceDayUnits: deviceDayUnits, baskets: baskets,
                             transactionCount: transactions.count, transactionsWithProduct: withProduct, serviceIntervalDays: intervals, planograms: planograms,
                             firstDay: firstDay == .max ? 0 : firstDay, lastDay: lastDay == .min ? 0 : lastDay)
        h.serviceDays = serviceDays.mapValues { $0.sorted() }
        return h
    }
}

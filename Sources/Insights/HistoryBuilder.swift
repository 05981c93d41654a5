import PlanogramDomain

/// Turns the raw event streams (sales and restocks, in time order) into a `SalesHistory`, inferring
/// stock per slot: a restock adds its units, a sale takes one; a slot is out of stock from the sale
/// that empties it until the next restock. Stock is assumed full at the first planogram.
///
/// Every event is one lookup of its device by id and one of its slot by (device, cabinet, slot); what
/// accumulates per day is kept in arrays indexed by day (`DayValues`), not in dictionaries. Events
/// arrive in time order, so a slot's days nearly always grow at the end; an event out of order is still
/// counted where it belongs. (The fleet-wide load of a year of the metro fleet spent most of its time
/// in nested dictionary lookups per sale before; BENCHMARKS §8.)
package final class HistoryBuilder {
    static let tradingStart: Int64 = 6 * 3600, tradingEnd: Int64 = 22 * 3600

    /// Values per day from `first` on; days before or after the range extend it.
    struct DayValues<V: AdditiveArithmetic> {
        private(set) var first: Int32 = 0
        private(set) var values: [V] = []

        mutating func add(_ day: Int32, _ v: V) {
            if values.isEmpty {
                first = day
                values = [v]
                return
            }
            if day < first {
                values.insert(contentsOf: repeatElement(.zero, count: Int(first) - Int(day)), at: 0)
                first = day
            }
            let i = Int(day) - Int(first)
            if i >= values.count { values.append(contentsOf: repeatElement(.zero, count: i - values.count + 1)) }
            values[i] += v
        }

        func value(_ day: Int32) -> V {
            let i = Int(day) - Int(first)
            return i >= 0 && i < values.count ? values[i] : .zero
        }
    }

    /// Units and revenue of a slot's day, side by side (one cache line touched per sale, not two).
    struct Sold: AdditiveArithmetic {
        var units: Float = 0
        var revenue: Float = 0
        static let zero = Sold()
        static func + (a: Sold, b: Sold) -> Sold { Sold(units: a.units + b.units, revenue: a.revenue + b.revenue) }
        static func - (a: Sold, b: Sold) -> Sold { Sold(units: a.units - b.units, revenue: a.revenue - b.revenue) }
    }

    struct SlotState {
        var stock: Int
        var emptySince: Int64?  // time the slot ran empty, nil while stocked
        var outSeconds = DayValues<Int64>()
        var sold = DayValues<Sold>()
        init(stock: Int) { self.stock = stock }
    }

    /// A slot of a cabinet of a device (the device by its index in `deviceIDs`).
    struct SlotRef: Hashable {
        let device: Int32
        let cabinet: Int
        let slot: SlotCode
    }

    struct DeviceState {
        var revenue = DayValues<Double>()
        var units = DayValues<Double>()
        /// Transactions by id: their number, the product of each one's first sale, and the products of
        /// the later sales of those with more than one (most have one: no array per transaction).
        var transactionNumber: [String: Int32] = [:]
        var firstProduct: [Int32] = []
        var moreProducts: [Int32: [Int32]] = [:]
        var serviceDays: Set<Int32> = []
        var hasVends = false
        var hasDays = false
        var intervals: [IntervalCount] = []
    }

    let cabinets: [CabinetKey: Cabinet]
    let devices: [String: Device]
    let products: [Product]
    let productIndex: [String: Int32]
    let planograms: [CabinetKey: [Planogram]]
    private var deviceIndex: [String: Int32] = [:]
    private var deviceIDs: [String] = []
    private var deviceStates: [DeviceState] = []
    private var slotIndex: [SlotRef: Int] = [:]
    private var slotStates: [SlotState] = []
    private var firstDay = Int32.max, lastDay = Int32.min

    /// The fleet's clock: a day of the history is a local date, and trading hours are 06:00–22:00 on its wall
    /// clock (docs/MODELS.md `PLANOGRAM_TIMEZONE`). UTC: the day is `ts / 86400`, as before.
    let clock: FleetClock

    package init(
        catalog: [CabinetKey: Cabinet],
        devices: [String: Device],
        products: [Product],
        planograms: [CabinetKey: [Planogram]],
        clock: FleetClock = .utc
    ) {
        self.clock = clock
        self.cabinets = catalog
        self.devices = devices
        self.products = products
        var idx: [String: Int32] = [:]
        for (i, p) in products.enumerated() { idx[p.id] = Int32(i) }
        self.productIndex = idx
        self.planograms = planograms.mapValues { $0.sorted { $0.effectiveFrom < $1.effectiveFrom } }
        for (key, versions) in self.planograms.sorted(by: { $0.key < $1.key }) {
            guard let first = versions.first else { continue }
            let d = device(key.deviceID)
            for (slot, f) in first.facings.sorted(by: { $0.key < $1.key }) {
                slotIndex[SlotRef(device: d, cabinet: key.index, slot: slot)] = slotStates.count
                slotStates.append(SlotState(stock: f.capacity))
            }
        }
    }

    private func device(_ id: String) -> Int32 {
        if let d = deviceIndex[id] { return d }
        let d = Int32(deviceIDs.count)
        deviceIndex[id] = d
        deviceIDs.append(id)
        deviceStates.append(DeviceState())
        return d
    }

    /// The slot's index in `slotStates`, created with `stock` units when the first planogram did not have it.
    private func slot(_ ref: SlotRef, stock: Int) -> Int {
        if let i = slotIndex[ref] { return i }
        slotIndex[ref] = slotStates.count
        slotStates.append(SlotState(stock: stock))
        return slotStates.count - 1
    }

    private func touch(_ day: Int32) {
        if day < firstDay { firstDay = day }
        if day > lastDay { lastDay = day }
    }

    /// The local date last looked up, and when it begins and ends (events come in time order: nearly every
    /// one falls on the same day as the one before it).
    private var dayCache: (day: Int32, start: Int64, end: Int64) = (0, 0, 0)

    /// The local date of `ts` on the fleet's clock.
    @inline(__always) private func localDay(_ ts: Int64) -> Int32 {
        if clock.isUTC { return dayOf(ts) }
        if ts >= dayCache.start && ts < dayCache.end { return dayCache.day }
        let day = clock.day(of: ts)
        dayCache = (Int32(day), clock.midnight(day), clock.midnight(day + 1))
        return dayCache.day
    }

    /// Out-of-stock seconds within trading hours between `from` and `to`, spread over the days.
    private static func addOut(_ state: inout SlotState, from: Int64, to: Int64, clock: FleetClock) {
        guard to > from else { return }
        var t = from
        while t < to {
            let day = clock.isUTC ? Int64(dayOf(t)) : clock.day(of: t)
            let open = clock.instant(day: day, minute: Int(tradingStart / 60))
            let close = clock.instant(day: day, minute: Int(tradingEnd / 60))
            let lo = max(t, open)
            let hi = min(to, close)
            if hi > lo { state.outSeconds.add(Int32(day), hi - lo) }
            t = clock.midnight(day + 1)
        }
    }

    package func addService(ts: Int64, deviceID: String, cabinetIndex: Int, slot code: SlotCode, units added: Int) {
        let d = device(deviceID)
        let day = localDay(ts)
        touch(day)
        deviceStates[Int(d)].serviceDays.insert(day)
        let i = slot(SlotRef(device: d, cabinet: cabinetIndex, slot: code), stock: 0)
        if let since = slotStates[i].emptySince { Self.addOut(&slotStates[i], from: since, to: ts, clock: clock) }
        slotStates[i].emptySince = nil
        slotStates[i].stock += added
    }

    package func addSale(
        ts: Int64,
        deviceID: String,
        cabinetIndex: Int,
        slot code: SlotCode,
        productID: String,
        price: Double,
        transactionID: String?
    ) {
        let d = device(deviceID)
        let day = localDay(ts)
        touch(day)
        let i = slot(SlotRef(device: d, cabinet: cabinetIndex, slot: code), stock: 1)
        deviceStates[Int(d)].hasVends = true
        if slotStates[i].emptySince != nil {
            // A sale from a slot we thought empty: there was stock we did not see (a restock missing
            // from the data, or a count off). Trust the sale: the slot was not out of stock.
            slotStates[i].emptySince = nil
            slotStates[i].stock = 1
        }
        slotStates[i].stock = max(0, slotStates[i].stock - 1)
        if slotStates[i].stock == 0 { slotStates[i].emptySince = ts }
        recordSold(d, i, day: day, units: 1, revenue: price, productID: productID, transactionID: transactionID)
    }

    /// Units a slot sold on a local date whose times the data does not give (an export with dates only,
    /// docs/formats/EXPORTS.md): counted on that day, never given an hour, and no stock is inferred from them.
    package func addDayCount(
        day: Int32,
        deviceID: String,
        cabinetIndex: Int,
        slot code: SlotCode,
        productID: String,
        units: Int,
        revenue: Double
    ) {
        let d = device(deviceID)
        touch(day)
        deviceStates[Int(d)].hasDays = true
        let i = slot(SlotRef(device: d, cabinet: cabinetIndex, slot: code), stock: 1)
        recordSold(d, i, day: day, units: units, revenue: revenue, productID: productID, transactionID: nil)
    }

    /// Units a slot sold between two DEX reads (docs/formats/DEX.md): kept as a count over its span, never
    /// spread over days; used for a device whose history has nothing finer.
    package func addIntervalCount(
        deviceID: String,
        cabinetIndex: Int,
        slot code: SlotCode,
        fromTs: Int64,
        toTs: Int64,
        units: Double
    ) {
        guard toTs > fromTs else { return }
        let d = device(deviceID)
        touch(localDay(fromTs))
        touch(localDay(toTs))
        deviceStates[Int(d)].intervals.append(
            IntervalCount(cabinetIndex: cabinetIndex, slot: code, fromTs: fromTs, toTs: toTs, units: units)
        )
    }

    private func recordSold(
        _ d: Int32,
        _ i: Int,
        day: Int32,
        units: Int,
        revenue price: Double,
        productID: String,
        transactionID: String?
    ) {
        slotStates[i].sold.add(day, Sold(units: Float(units), revenue: Float(price)))
        deviceStates[Int(d)].revenue.add(day, price)
        deviceStates[Int(d)].units.add(day, Double(units))
        if let t = transactionID, !t.isEmpty, let p = productIndex[productID] {
            if let n = deviceStates[Int(d)].transactionNumber[t] {
                deviceStates[Int(d)].moreProducts[n, default: []].append(p)
            } else {
                deviceStates[Int(d)].transactionNumber[t] = Int32(deviceStates[Int(d)].firstProduct.count)
                deviceStates[Int(d)].firstProduct.append(p)
            }
        }
    }

    package func finish() -> SalesHistory {
        let endTs = clock.midnight(Int64(lastDay) + 1)
        // A slot empty at the end is out of stock until then (on a copy: the builder may take more events).
        var slotStates = self.slotStates
        for i in slotStates.indices {
            if let since = slotStates[i].emptySince {
                Self.addOut(&slotStates[i], from: since, to: endTs, clock: clock)
                slotStates[i].emptySince = nil
            }
        }
        var series: [SalesHistory.SlotSeries] = []
        for key in planograms.keys.sorted() {
            guard let cab = cabinets[key], let versions = planograms[key] else { continue }
            let d = deviceIndex[key.deviceID]
            for slot in cab.allSlots {
                var days: [SalesHistory.SlotDay] = []
                guard firstDay <= lastDay else { continue }
                // A device with no fill on record has unknown stock: its sales never make a slot "empty" (the
                // start-full assumption is only for devices whose fills are in the history; docs/MODELS.md
                // "Stock only from evidence").
                let fillsKnown = d.map { !deviceStates[Int($0)].serviceDays.isEmpty } ?? false
                let state = d.flatMap { slotIndex[SlotRef(device: $0, cabinet: key.index, slot: slot)] }.map {
                    slotStates[$0]
                }
                var vi = 0
                for day in firstDay...lastDay {
                    let noon = clock.instant(day: Int64(day), minute: 12 * 60)
                    while vi + 1 < versions.count && versions[vi + 1].effectiveFrom <= noon { vi += 1 }
                    guard versions[vi].effectiveFrom <= noon else { continue }
                    let facing = versions[vi].facings[slot]
                    let sold = state?.sold.value(day) ?? .zero
                    if facing == nil && sold.units == 0 { continue }
                    let out =
                        fillsKnown
                        ? Float(state?.outSeconds.value(day) ?? 0) / Float(Self.tradingEnd - Self.tradingStart) : 0
                    days.append(
                        .init(
                            day: day,
                            product: facing.flatMap { productIndex[$0.productID] } ?? -1,
                            units: sold.units,
                            revenue: sold.revenue,
                            inStock: max(0, 1 - out)
                        )
                    )
                }
                if !days.isEmpty { series.append(.init(cabinet: key, slot: slot, days: days)) }
            }
        }
        var deviceDayRevenue: [String: [Int32: Double]] = [:]
        var deviceDayUnits: [String: [Int32: Double]] = [:]
        var serviceDays: [String: Set<Int32>] = [:]
        var baskets: [[Int32]] = []
        var withProductCount = [Int](repeating: 0, count: products.count)
        var transactionCount = 0
        for (d, id) in deviceIDs.enumerated() {
            let s = deviceStates[d]
            if !s.units.values.isEmpty {
                // The days with a sale (every sale counts a unit), as the models read them.
                var revenue: [Int32: Double] = [:]
                var units: [Int32: Double] = [:]
                for (k, u) in s.units.values.enumerated() where u > 0 {
                    let day = s.units.first + Int32(k)
                    units[day] = u
                    revenue[day] = s.revenue.value(day)
                }
                deviceDayRevenue[id] = revenue
                deviceDayUnits[id] = units
            }
            if !s.serviceDays.isEmpty { serviceDays[id] = s.serviceDays }
            transactionCount += s.firstProduct.count
            for (n, first) in s.firstProduct.enumerated() {
                guard let more = s.moreProducts[Int32(n)] else {
                    withProductCount[Int(first)] += 1
                    continue
                }
                let distinct = Array(Set(more + [first])).sorted()
                for p in distinct { withProductCount[Int(p)] += 1 }
                if distinct.count >= 2 { baskets.append(distinct) }
            }
        }
        baskets.sort { $0.lexicographicallyPrecedes($1) }
        var withProduct: [Int32: Int] = [:]
        for (p, n) in withProductCount.enumerated() where n > 0 { withProduct[Int32(p)] = n }
        var intervals: [String: Double] = [:]
        for (d, days) in serviceDays {
            let sorted = days.sorted()
            intervals[d] = sorted.count >= 2 ? Double(sorted.last! - sorted.first!) / Double(sorted.count - 1) : 3
        }
        var h = SalesHistory(
            cabinets: cabinets,
            devices: devices,
            products: products,
            productIndex: productIndex,
            series: series,
            deviceDayRevenue: deviceDayRevenue,
            deviceDayUnits: deviceDayUnits,
            baskets: baskets,
            transactionCount: transactionCount,
            transactionsWithProduct: withProduct,
            serviceIntervalDays: intervals,
            planograms: planograms,
            firstDay: firstDay == .max ? 0 : firstDay,
            lastDay: lastDay == .min ? 0 : lastDay
        )
        h.serviceDays = serviceDays.mapValues { $0.sorted() }
        for (d, id) in deviceIDs.enumerated() {
            let st = deviceStates[d]
            if st.hasVends || st.hasDays {
                h.resolutions[id] = st.hasVends ? (st.hasDays ? .mixed : .vends) : .days
            } else if !st.intervals.isEmpty {
                h.resolutions[id] = .intervals
                h.intervalCounts[id] = st.intervals.sorted { ($0.toTs, $0.slot) < ($1.toTs, $1.slot) }
            }
        }
        h.clock = clock
        return h
    }
}

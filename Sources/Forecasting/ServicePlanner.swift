import Foundation
import PlanogramDomain

/// One slot as the service planner sees it: what it holds, what it earns, its demand and its lots now.
package struct PlannerSlot: Sendable {
    package let key: SlotKey
    package let productID: String
    package let price: Double
    package let unitCost: Double
    package let capacity: Int
    package let caseSize: Int
    /// Days a unit stays good (nil: does not expire here).
    package let shelfLifeDays: Int?
    package let demand: DemandPath
    /// Lots now, oldest first: (load time, units).
    package let lots: [(loadedAt: Int64, units: Int)]
    /// Where the lots come from; `unknown`: they are the assumed capacity, not evidence.
    package var stockBasis: StockBasis = .inferred
    /// The operator's par level, if set (never above the capacity).
    package var par: Int?

    package init(
        key: SlotKey,
        productID: String,
        price: Double,
        unitCost: Double,
        capacity: Int,
        caseSize: Int,
        shelfLifeDays: Int?,
        demand: DemandPath,
        lots: [(loadedAt: Int64, units: Int)]
    ) {
        self.key = key
        self.productID = productID
        self.price = price
        self.unitCost = unitCost
        self.capacity = capacity
        self.caseSize = max(1, caseSize)
        self.shelfLifeDays = shelfLifeDays.flatMap { $0 > 0 ? $0 : nil }
        self.demand = demand
        self.lots = lots
    }
}

/// A device as the planner sees it.
package struct PlannerDevice: Sendable {
    package let deviceID: String
    /// When a driver may come (nil: all day); a visit is planned at its start, or at 08:00.
    package let access: TimeWindow?
    package let lastVisit: Int64?
    package let slots: [PlannerSlot]
    /// The device's usual days between visits (from its history), if known: the planner expects the next
    /// visit about that far ahead when it sizes a pick list.
    package let usualIntervalDays: Double?

    package init(
        deviceID: String,
        access: TimeWindow?,
        lastVisit: Int64?,
        slots: [PlannerSlot],
        usualIntervalDays: Double? = nil
    ) {
        self.deviceID = deviceID
        self.access = access
        self.lastVisit = lastVisit
        self.slots = slots
        self.usualIntervalDays = usualIntervalDays
    }
}

/// What a driver loads into and takes out of one slot at a visit.
package struct PickLine: Sendable, Equatable {
    package let key: SlotKey
    package let productID: String
    package let load: Int
    package let pull: Int
    /// Units expected in the slot when the driver arrives (before the pull), for the driver's eye.
    package let expectedStock: Int
    /// `unknown`: no fill is on record since the slot got its product, so the plan assumed it at capacity
    /// (docs/MODELS.md, "Stock only from evidence") and the driver counts on site.
    package var stockBasis: StockBasis = .inferred
    /// What the model's service level asks to load, what the par asks (nil: no par set), and the rule that
    /// chose `load` (docs/MODELS.md "Par levels").
    package var modelLoad = 0
    package var parLoad: Int?
    package var rule: PickRule = .model

    package init(key: SlotKey, productID: String, load: Int, pull: Int, expectedStock: Int) {
        self.key = key
        self.productID = productID
        self.load = load
        self.pull = pull
        self.expectedStock = expectedStock
    }
}

/// A visit of the plan, with why and what it is worth.
package struct PlannedVisit: Sendable {
    package let deviceID: String
    package let day: Int64
    package let at: Int64
    package let reasons: [String]
    /// Revenue of the sales a visit today saves that waiting a day would lose (expected).
    package let expectedLostRevenueAvoided: Double
    /// Units that would pass their date before the next visit if this one did not pull them (expected).
    package let expectedSpoiledUnitsAvoided: Double
    package let picks: [PickLine]

    package init(
        deviceID: String,
        day: Int64,
        at: Int64,
        reasons: [String],
        expectedLostRevenueAvoided: Double,
        expectedSpoiledUnitsAvoided: Double,
        picks: [PickLine]
    ) {
        self.deviceID = deviceID
        self.day = day
        self.at = at
        self.reasons = reasons
        self.expectedLostRevenueAvoided = expectedLostRevenueAvoided
        self.expectedSpoiledUnitsAvoided = expectedSpoiledUnitsAvoided
        self.picks = picks
    }
}

/// The service plan of docs/MODELS.md: which devices to visit on which day and why. A device is visited on a day
/// when the cheapest schedule of the next `lookAheadDays` days — the visit cost a visit plus the margin
/// expected to be lost to empty slots, found exactly by `VisitSchedule` — visits that day and some margin
/// is at stake before the next (`stockout_risk`; with `lookAheadDays` 0 the first versions' one-day renewal
/// rule instead: wait while a day of waiting costs less than the cycle's average day), when units of a lot
/// would stand in the slot past their date by the next day (`expiry`), or when the longest allowed
/// interval since the last visit is reached (`max_interval`). A visit fills each slot to cover demand
/// until the visit after next at the service level (capped by capacity) and pulls what is expired or
/// would expire before the next visit. Deterministic: it follows expected demand day by day.
/// Which load a pick line uses (`PLANOGRAM_PICK_RULE`): the model's, the par's (the model's where no par is
/// set), or the larger of the two.
package enum PickRule: String, Sendable, CaseIterable {
    case model, par, max
}

package struct ServicePlanner: Sendable {
    package var visitCost: Double
    /// The load a pick line uses (docs/MODELS.md "Par levels").
    package var pickRule: PickRule = .model
    package var maxIntervalDays: Int
    package var serviceLevel: Double
    /// Days the visit rule looks ahead (`VisitSchedule`: the cheapest visit days over them, by a shortest
    /// path); 0: the one-day renewal rule of the first versions (kept for the replay's comparison).
    package var lookAheadDays = 7
    /// The price of an hour a slot stands empty in trading hours, beside the margin its lost sales cost
    /// (0, the default: margin only; `backtest plan --empty-slot-hour-cost`). Used by the week-ahead rule.
    package var emptySlotHourCost = 0.0
    /// Units expected to stand past their date before the next day's visit that call for a visit today
    /// (`expiry`); 0.5 (the default): one unit more likely than not. A higher figure lets a few expired
    /// units wait for the next visit the stock calls for (they are spoiled either way).
    package var expiryVisitUnits = 0.5
    /// The level a pick list loads a perishable slot to (units that may pass their date before the visit
    /// after next): that quantile of what sells before the date. 0.5 (the default, the median): replayed on
    /// both fleets against the newsvendor's critical ratio (margin / price, 0.5–0.65 there) it spoiled 3–7
    /// points less at the same stockout-hours and sales (BENCHMARKS §8, 2026-12-03); a higher level trades
    /// spoiled units for fewer empty hours (`backtest plan --perishable-level`,
    /// `PLANOGRAM_PERISHABLE_SERVICE_LEVEL`).
    package var perishableServiceLevel = 0.5

    package init(visitCost: Double = 25, maxIntervalDays: Int = 7, serviceLevel: Double = 0.95) {
        self.visitCost = visitCost
        self.maxIntervalDays = maxIntervalDays
        self.serviceLevel = serviceLevel
    }

    /// Expected units (fractional) per lot during the simulation.
    struct Lot {
        var loadedAt: Int64
        var units: Double
    }

    /// The fleet's wall clock (`PLANOGRAM_TIMEZONE`): plan days are its local dates, access hours its
    /// times of day. UTC by default, and in the replay, whose generated fleets keep UTC.
    package var clock = FleetClock.utc

    /// A visit's time on a local date: when the device's access window opens, else 08:00.
    static func visitTime(day: Int64, access: TimeWindow?, clock: FleetClock = .utc) -> Int64 {
        clock.instant(day: day, minute: access?.from ?? 8 * 60)
    }

    func visitTime(day: Int64, access: TimeWindow?) -> Int64 { Self.visitTime(day: day, access: access, clock: clock) }

    /// Seconds between two instants on the wall clock (an hour more or less than elapsed across a
    /// daylight-saving change), so that "seven days after the last visit" falls on the same local day.
    func wallSeconds(from a: Int64, to b: Int64) -> Int64 { (b + clock.offset(at: b)) - (a + clock.offset(at: a)) }

    /// E[(D − s)⁺]: units demanded beyond what `s` units can serve.
    static func unmet(_ d: CountDistribution, stock s: Double) -> Double {
        CountDistribution.unmet(mean: d.mean, size: d.size, stock: Int(s.rounded(.down)))
    }

    /// The plan for `days` days from `fromDay` (days since 1970), the slots' lots being those at `now`.
    package func plan(_ devices: [PlannerDevice], now: Int64, fromDay: Int64, days: Int) -> [PlannedVisit] {
        var out: [PlannedVisit] = []
        for device in devices.sorted(by: { $0.deviceID < $1.deviceID }) {
            out += planDevice(device, now: now, fromDay: fromDay, days: days)
        }
        return out.sorted { ($0.day, $0.deviceID) < ($1.day, $1.deviceID) }
    }

    func planDevice(_ device: PlannerDevice, now: Int64, fromDay: Int64, days: Int) -> [PlannedVisit] {
        var lots: [[Lot]] = device.slots.map { $0.lots.map { Lot(loadedAt: $0.loadedAt, units: Double($0.units)) } }
        var simulatedTo = now
        var lastVisit = device.lastVisit
        // Expected cost of empty slots since the last visit (the plan's own simulation): the cycle's cost so far.
        var lostSinceVisit = 0.0
        var visits: [PlannedVisit] = []
        for d in 0..<max(days, 0) {
            let day = fromDay + Int64(d)
            let at = max(visitTime(day: day, access: device.access), now)
            let tomorrow = visitTime(day: day + 1, access: device.access)
            // Expected sales from the last step until this visit time.
            consume(&lots, device, from: simulatedTo, to: at)
            simulatedTo = at
            var lostCost = 0.0
            var lostRevenue = 0.0
            // Today's visit time, then one per later day the visit rule looks at.
            let times = (0...max(1, lookAheadDays)).map { j in
                j == 0 ? at : visitTime(day: day + Int64(j), access: device.access)
            }
            // Units expected to stand past their date before the visit time after each one (index j: waiting
            // until times[j] leaves them so before times[j + 1]).
            var expiringBy = [Double](repeating: 0, count: times.count)
            for (i, slot) in device.slots.enumerated() {
                let stock = units(lots[i])
                let demand = slot.demand.distribution(from: at, to: tomorrow)
                let lost = Self.unmet(demand, stock: stock)
                lostCost += lost * max(0, slot.price - slot.unitCost)
                if emptySlotHourCost > 0 {
                    lostCost +=
                        emptySlotHourCost / 3600
                        * slot.demand.expectedEmptySeconds(stock: Int(stock.rounded(.down)), from: at, to: tomorrow)
                }
                lostRevenue += lost * slot.price
                if let life = slot.shelfLifeDays {
                    // Units that stand in the slot past their date: what is expired already, and what expires
                    // and is not expected to sell before it does (sales take the oldest units first). A lot that
                    // expires at a visit time may wait for it; one that will sell out in time needs no visit.
                    let limit = Int64(life) * 86_400
                    var sellsBefore = 0.0
                    for lot in lots[i] {
                        let expires = lot.loadedAt + limit
                        if expires <= at {
                            expiringBy[0] += lot.units
                            continue
                        }
                        guard let j = times.lastIndex(where: { $0 <= expires }), j + 1 < times.count else { break }
                        let sold = min(lot.units, max(0, slot.demand.expected(from: at, to: expires) - sellsBefore))
                        sellsBefore += sold
                        expiringBy[j] += lot.units - sold
                    }
                }
            }
            let expiring = expiringBy[0]
            // The last visit time the stock may wait for before units stand past their date (nil: none ahead).
            var deadline: Int? = nil
            var standing = 0.0
            for (j, u) in expiringBy.enumerated() {
                standing += u
                if standing >= expiryVisitUnits {
                    deadline = j
                    break
                }
            }
            var reasons: [String] = []
            // Renewal rule: a visit ends a cycle that cost `visitCost` plus what it lost; waiting one more day is
            // worth it only while that day's expected loss stays below the cycle's average cost per day.
            let daysSince = lastVisit.map { max(1, Double(at - $0) / 86_400) } ?? 1
            if lookAheadDays > 0 {
                let schedule = VisitSchedule(
                    visitCost: visitCost,
                    maxIntervalDays: maxIntervalDays,
                    emptySlotHourCost: emptySlotHourCost
                )
                // A visit the schedule makes today only because the longest interval ends, or units expire, is
                // that reason alone; one it makes sooner than a later expiry forces is for the stockout risk.
                if lostCost > 0.01,
                    schedule.visitsToday(
                        device.slots,
                        stock: lots.map(units),
                        visitTimes: times,
                        daysSinceVisit: lastVisit.map { Double(wallSeconds(from: $0, to: at)) / 86_400 },
                        expiryDeadline: deadline == 0 ? nil : deadline
                    )
                {
                    reasons.append("stockout_risk")
                }
            } else if lostCost > 0.01 && lostCost >= (visitCost + lostSinceVisit) / daysSince {
                reasons.append("stockout_risk")
            }
            if expiring >= expiryVisitUnits { reasons.append("expiry") }
            // Measured on the wall clock, so that a daylight-saving change does not move the day it falls on.
            if let last = lastVisit, wallSeconds(from: last, to: at) >= Int64(maxIntervalDays) * 86_400 {
                reasons.append("max_interval")
            }
            if lastVisit == nil && d == 0 { reasons.append("max_interval") }  // never visited on record
            guard !reasons.isEmpty else {
                lostSinceVisit += lostCost
                continue
            }
            // The visit: pull what is expired or expires before the next visit, load to the service level.
            let nextVisit = at + Int64(max(1, nextGap(device, after: at))) * 86_400
            let afterNext = nextVisit + (nextVisit - at)
            var picks: [PickLine] = []
            for (i, slot) in device.slots.enumerated() {
                let before = lots[i].reduce(0) { $0 + $1.units }
                var pull = 0.0
                if let life = slot.shelfLifeDays {
                    let limit = Int64(life) * 86_400
                    // Pull what is past its date, and what will be past it before the next visit and is not
                    // expected to sell by then (sales take the oldest units first).
                    var willSell = slot.demand.distribution(from: at, to: nextVisit).mean
                    var kept: [Lot] = []
                    for lot in lots[i] {
                        let expires = lot.loadedAt + limit
                        if expires <= at {
                            pull += lot.units
                            continue
                        }
                        let sold = min(
                            lot.units,
                            max(0, willSell * min(1, Double(expires - at) / Double(max(1, nextVisit - at))))
                        )
                        willSell -= sold
                        if expires <= nextVisit && lot.units - sold >= 0.5 {
                            let taken = min(lot.units, (lot.units - sold).rounded())
                            pull += taken
                            let left = lot.units - taken
                            if left > 1e-9 { kept.append(Lot(loadedAt: lot.loadedAt, units: left)) }
                        } else {
                            kept.append(lot)
                        }
                    }
                    lots[i] = kept
                }
                let remaining = lots[i].reduce(0) { $0 + $1.units }
                // A unit that may pass its date before the visit after next is perishable at this visit: it is
                // loaded only for what sells before it expires, to the perishable level (one left unsold is
                // spoiled, one missing is a lost sale). Chips with months to go are not: a unit left over sells
                // next time.
                let expiry = slot.shelfLifeDays.map { at + Int64($0) * 86_400 }
                let perishable = expiry.map { $0 < afterNext } ?? false
                let horizon = perishable ? (expiry ?? afterNext) : afterNext
                let level = perishable ? perishableServiceLevel : serviceLevel
                // A shelf-stable slot is loaded so that it is still not empty at the visit after next with the
                // service level: P(demand ≥ stock) ≤ 1 − level, one unit above the demand quantile (an empty
                // slot is a stockout whether or not a customer finds it so, and it is what the forecast's
                // stockout_probability counts). A perishable is loaded to the quantile itself.
                let quantile = slot.demand.distribution(from: at, to: horizon).quantile(level)
                let need = perishable ? quantile : quantile + 1
                let target = min(slot.capacity, max(need, 1))
                let modelLoad = max(0, target - Int(remaining.rounded()))
                // The par rule fills the slot to its par (what the operator set), whatever the forecast.
                let parLoad = slot.par.map { max(0, min(slot.capacity, $0) - Int(remaining.rounded())) }
                let load: Int
                switch (pickRule, parLoad) {
                case (.par, let p?): load = p
                case (.max, let p?): load = Swift.max(p, modelLoad)
                default: load = modelLoad
                }
                if load > 0 { lots[i].append(Lot(loadedAt: at, units: Double(load))) }
                let pulled = Int(pull.rounded())
                if load > 0 || pulled > 0 {
                    var line = PickLine(
                        key: slot.key,
                        productID: slot.productID,
                        load: load,
                        pull: pulled,
                        expectedStock: Int(before.rounded())
                    )
                    line.stockBasis = slot.stockBasis
                    line.modelLoad = modelLoad
                    line.parLoad = parLoad
                    line.rule = parLoad == nil ? .model : pickRule
                    picks.append(line)
                }
            }
            visits.append(
                PlannedVisit(
                    deviceID: device.deviceID,
                    day: day,
                    at: at,
                    reasons: reasons,
                    expectedLostRevenueAvoided: lostRevenue,
                    expectedSpoiledUnitsAvoided: expiring,
                    picks: picks
                )
            )
            lastVisit = at
            lostSinceVisit = 0
        }
        return visits
    }

    /// Days until the next visit is likely: the device's usual interval (from its history), at least one.
    func nextGap(_ device: PlannerDevice, after at: Int64) -> Int {
        // The device's usual interval when known; otherwise the longest allowed interval, shortened to the
        // day a slot would run out at expected demand (what the plan would do then).
        if let usual = device.usualIntervalDays, usual >= 1 {
            return max(1, min(maxIntervalDays, Int(usual.rounded())))
        }
        var gap = maxIntervalDays
        for slot in device.slots {
            let rate = slot.demand.expected(from: at, to: at + 86_400)
            guard rate > 0 else { continue }
            let days = Int((Double(slot.capacity) / rate).rounded(.down))
            gap = min(gap, max(1, days))
        }
        return max(1, gap)
    }

    /// Units in a slot; expired ones still sell (a machine does not check dates), so they count.
    func units(_ lots: [Lot]) -> Double { lots.reduce(0) { $0 + $1.units } }

    /// Takes the expected sales between two times from the oldest lots.
    func consume(_ lots: inout [[Lot]], _ device: PlannerDevice, from: Int64, to: Int64) {
        guard to > from else { return }
        for (i, slot) in device.slots.enumerated() {
            let stock = lots[i].reduce(0) { $0 + $1.units }
            var sold = slot.demand.distribution(from: from, to: to).expectedServed(capacity: Int(stock.rounded(.down)))
            while sold > 1e-9, !lots[i].isEmpty {
                let take = min(sold, lots[i][0].units)
                lots[i][0].units -= take
                sold -= take
                if lots[i][0].units <= 1e-9 { lots[i].removeFirst() }
            }
        }
    }
}

/// The warehouse's view of a day's pick lists: units and cases per product (pre-kitting).
package enum PickTotals {
    package static func byProduct(
        _ visits: [PlannedVisit],
        caseSize: (String) -> Int
    ) -> [(productID: String, units: Int, cases: Int)] {
        byProduct(lines: visits.flatMap { v in v.picks.map { ($0.productID, $0.load) } }, caseSize: caseSize)
    }

    /// The same from (product, units to load) lines.
    package static func byProduct(
        lines: [(productID: String, load: Int)],
        caseSize: (String) -> Int
    ) -> [(productID: String, units: Int, cases: Int)] {
        var units: [String: Int] = [:]
        for l in lines where l.load > 0 { units[l.productID, default: 0] += l.load }
        return units.keys.sorted().map { id in
            let u = units[id]!
            let size = max(1, caseSize(id))
            return (id, u, (u + size - 1) / size)
        }
    }
}

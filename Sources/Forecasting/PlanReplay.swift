import Foundation
import Insights
import PlanogramDomain

/// What the service plan would have done over a past period, against the visits that really happened
/// (docs/MODELS.md, the figures of docs/BENCHMARKS.md): both policies face the same demand — Poisson arrivals per slot and
/// day at the rates of a model fitted on the whole history, drawn once with a fixed seed — and each
/// keeps its own stock by lot. The history's policy visits on the days the device was really restocked and
/// fills every slot to capacity; the plan's policy asks the service planner each morning (with the
/// forecast fitted before the period) whether to visit and what to load and pull. Both pull what is past
/// its date when they visit. Reported: visits, stockout-hours (trading hours a slot stood empty), units
/// spoiled (pulled for their date, sold past it — a machine does not check — or past it at the end) and
/// units sold good. With `expiredUnitsBlock` the machine locks units past their date instead. Days, trading
/// hours and visit times are on the planner's clock (`ServicePlanner.clock`, the fleet's).
package struct PlanReplay {
    package struct Slot: Sendable {
        package let planner: PlannerSlot  // product, price, capacity, shelf life, the forecast's demand path
        package let trueRatePerDay: [Double]  // the demand both policies face, day by day over the period
        package init(planner: PlannerSlot, trueRatePerDay: [Double]) {
            self.planner = planner
            self.trueRatePerDay = trueRatePerDay
        }
    }

    package struct Device: Sendable {
        package let deviceID: String
        package let access: TimeWindow?
        package let slots: [Slot]
        /// Days (since 1970) the device was really restocked during the period.
        package let historicalVisitDays: Set<Int64>
        package let lastVisitBefore: Int64?
        package let usualIntervalDays: Double?
        package init(
            deviceID: String,
            access: TimeWindow?,
            slots: [Slot],
            historicalVisitDays: Set<Int64>,
            lastVisitBefore: Int64?,
            usualIntervalDays: Double? = nil
        ) {
            self.deviceID = deviceID
            self.access = access
            self.slots = slots
            self.historicalVisitDays = historicalVisitDays
            self.lastVisitBefore = lastVisitBefore
            self.usualIntervalDays = usualIntervalDays
        }
    }

    package struct Outcome: Sendable, Equatable {
        package var visits = 0
        package var stockoutHours = 0.0
        package var spoiledUnits = 0
        package var unitsSold = 0
        package var lostUnits = 0
        /// The part of `stockoutHours` in slots of fresh products: a shelf life no longer than two of the
        /// planner's longest intervals, so a unit may pass its date before the visit after next (sandwiches,
        /// salads, dairy; not chips with months of it).
        package var perishableStockoutHours = 0.0
        /// The plan's visits by their reasons (`PlannedVisit.reasons`, sorted and joined by "+"); empty for
        /// the history, whose visits have none.
        package var visitsByReason: [String: Int] = [:]

        package init() {}

        package mutating func add(_ o: Outcome) {
            visits += o.visits
            stockoutHours += o.stockoutHours
            spoiledUnits += o.spoiledUnits
            unitsSold += o.unitsSold
            lostUnits += o.lostUnits
            perishableStockoutHours += o.perishableStockoutHours
            visitsByReason.merge(o.visitsByReason, uniquingKeysWith: +)
        }
    }

    package let planner: ServicePlanner
    package let firstDay: Int64
    package let days: Int
    package let seed: UInt64
    /// A machine that locks a unit past its date (fresh-food machines with telemetry): the unit in front
    /// is not sold, and since it blocks the ones behind it the slot stands empty for customers from the
    /// moment it expired until a visit pulls it; the arrivals meanwhile are lost. Off (the default): the
    /// machine does not check, and a unit sold past its date counts as spoiled.
    package var expiredUnitsBlock = false

    package init(planner: ServicePlanner, firstDay: Int64, days: Int, seed: UInt64 = 7) {
        self.planner = planner
        self.firstDay = firstDay
        self.days = days
        self.seed = seed
    }

    /// (history, plan) over the fleet.
    package func run(_ devices: [Device]) -> (history: Outcome, plan: Outcome) {
        var history = Outcome()
        var plan = Outcome()
        for r in runByDevice(devices) {
            history.add(r.history)
            plan.add(r.plan)
        }
        return (history, plan)
    }

    /// Both policies device by device, in the order given.
    package func runByDevice(_ devices: [Device]) -> [(deviceID: String, history: Outcome, plan: Outcome)] {
        devices.map { ($0.deviceID, simulate($0, usePlan: false), simulate($0, usePlan: true)) }
    }

    /// The planner's view of the devices as the period starts (every slot full, loaded on the device's last visit
    /// before it, as `simulate` starts them): what a plan for the whole period is made from.
    package func startingDevices(_ devices: [Device]) -> [PlannerDevice] {
        devices.map { device in
            let loaded = device.lastVisitBefore ?? midnight(firstDay - 1)
            return Self.planned(
                device,
                lots: device.slots.map { [(loadedAt: loaded, units: $0.planner.capacity)] },
                lastVisit: device.lastVisitBefore
            )
        }
    }

    /// The planner's view of `device` holding `lots` (slot by slot), last visited at `lastVisit`.
    static func planned(
        _ device: Device,
        lots: [[(loadedAt: Int64, units: Int)]],
        lastVisit: Int64?
    ) -> PlannerDevice {
        PlannerDevice(
            deviceID: device.deviceID,
            access: device.access,
            lastVisit: lastVisit,
            slots: device.slots.enumerated().map { i, s in
                PlannerSlot(
                    key: s.planner.key,
                    productID: s.planner.productID,
                    price: s.planner.price,
                    unitCost: s.planner.unitCost,
                    capacity: s.planner.capacity,
                    caseSize: s.planner.caseSize,
                    shelfLifeDays: s.planner.shelfLifeDays,
                    demand: s.planner.demand,
                    lots: lots[i]
                )
            },
            usualIntervalDays: device.usualIntervalDays
        )
    }

    var clock: FleetClock { planner.clock }

    /// The local midnight starting day `day` of the planner's clock.
    func midnight(_ day: Int64) -> Int64 { clock.midnight(day) }

    /// The arrival instants (sorted) of every slot on every day, within the day's trading hours on the
    /// clock's wall time: drawn the same way for both policies. On UTC's clock (and any zone on a day
    /// without a change) a day's window is 06:00 + 16 h, so the same seed draws the same local times.
    func arrivals(_ device: Device) -> [[[Int64]]] {
        // The same draws for both policies, whatever either does.
        var rng = SeededRandom(seed: seed ^ device.deviceID.hashValueStable)
        let windows = (0..<days).map { d -> (open: Int64, span: Double) in
            let day = firstDay + Int64(d)
            let open = clock.instant(day: day, minute: Int(DemandPath.tradingStart / 60))
            return (open, Double(clock.instant(day: day, minute: Int(DemandPath.tradingEnd / 60)) - open))
        }
        return device.slots.map { slot in
            (0..<days).map { d in
                let n = rng.poisson(slot.trueRatePerDay[min(d, slot.trueRatePerDay.count - 1)])
                return (0..<n).map { _ in windows[d].open + Int64(rng.unit() * windows[d].span) }.sorted()
            }
        }
    }

    func simulate(_ device: Device, usePlan: Bool) -> Outcome {
        var out = Outcome()
        let draws = arrivals(device)
        // Every slot starts the period full, loaded on its last visit before it (or the day before).
        let start = midnight(firstDay)
        let loaded = device.lastVisitBefore ?? midnight(firstDay - 1)
        var lots: [[SlotStock.Lot]] = device.slots.map { [SlotStock.Lot(loadedAt: loaded, units: $0.planner.capacity)] }
        var emptySince: [Int64?] = Array(repeating: nil, count: device.slots.count)
        var lastVisit = device.lastVisitBefore
        func expiry(_ i: Int) -> Int64? { device.slots[i].planner.shelfLifeDays.map { Int64($0) * 86_400 } }
        func count(_ i: Int, _ hours: Double) {
            out.stockoutHours += hours
            if let life = device.slots[i].planner.shelfLifeDays, life <= 2 * planner.maxIntervalDays {
                out.perishableStockoutHours += hours
            }
        }
        // Units taken out for their date are spoiled, whether already past it or about to be.
        func pullExpired(_ i: Int, before limit: Int64) {
            guard let life = expiry(i) else { return }
            out.spoiledUnits += lots[i].filter { $0.loadedAt + life <= limit }.reduce(0) { $0 + $1.units }
            lots[i].removeAll { $0.loadedAt + life <= limit }
        }
        // With locking, a slot whose front unit passed its date stands empty from that moment (counted even
        // when no customer came to find it).
        func blockedSince(_ i: Int, before limit: Int64) {
            guard expiredUnitsBlock, emptySince[i] == nil, let life = expiry(i), let front = lots[i].first,
                front.loadedAt + life <= limit
            else { return }
            emptySince[i] = max(front.loadedAt + life, start)
        }
        for d in 0..<days {
            let day = firstDay + Int64(d)
            let visitAt = planner.visitTime(day: day, access: device.access)
            // The visit of the day, if any.
            var visit: [Int: (load: Int, pull: Int)]? = nil
            if usePlan {
                let me = Self.planned(
                    device,
                    lots: lots.map { $0.map { (loadedAt: $0.loadedAt, units: $0.units) } },
                    lastVisit: lastVisit
                )
                if let v = planner.plan([me], now: visitAt - 3_600, fromDay: day, days: 1).first {
                    var m: [Int: (load: Int, pull: Int)] = [:]
                    for (i, s) in device.slots.enumerated() {
                        let pick = v.picks.first { $0.key == s.planner.key }
                        m[i] = (pick?.load ?? 0, pick?.pull ?? 0)
                    }
                    visit = m
                    out.visitsByReason[v.reasons.sorted().joined(separator: "+"), default: 0] += 1
                }
            } else if device.historicalVisitDays.contains(day) {
                visit = Dictionary(uniqueKeysWithValues: device.slots.indices.map { ($0, (load: -1, pull: -1)) })
            }
            for (i, slot) in device.slots.enumerated() {
                let times = draws[i][d]
                var t0Index = 0
                // Sales before the visit (the visit is in the morning, arrivals within trading hours).
                func sell(until limit: Int64) {
                    while t0Index < times.count, times[t0Index] < limit {
                        let t = times[t0Index]
                        t0Index += 1
                        if lots[i].isEmpty {
                            out.lostUnits += 1
                            continue
                        }
                        if expiredUnitsBlock, let life = expiry(i), lots[i][0].loadedAt + life <= t {
                            out.lostUnits += 1
                            if emptySince[i] == nil { emptySince[i] = lots[i][0].loadedAt + life }
                            continue
                        }
                        // A unit sold past its date is spoiled too (it should have been pulled).
                        if let life = expiry(i), lots[i][0].loadedAt + life <= t {
                            out.spoiledUnits += 1
                        } else {
                            out.unitsSold += 1
                        }
                        lots[i][0].units -= 1
                        if lots[i][0].units == 0 { lots[i].removeFirst() }
                        if lots[i].isEmpty && emptySince[i] == nil { emptySince[i] = t }
                    }
                }
                if let v = visit?[i] {
                    sell(until: visitAt)
                    blockedSince(i, before: visitAt)
                    // The history's drivers pull what is past its date; the plan's pull what its pick list says
                    // (past its date, or expiring before the next visit and not expected to sell), oldest first.
                    if v.pull <= 0 {
                        pullExpired(i, before: visitAt)
                    } else {
                        let expiredBefore = out.spoiledUnits
                        pullExpired(i, before: visitAt)
                        var left = v.pull - (out.spoiledUnits - expiredBefore)  // the pick counts the expired ones too
                        while left > 0, !lots[i].isEmpty {
                            let take = min(left, lots[i][0].units)
                            lots[i][0].units -= take
                            left -= take
                            out.spoiledUnits += take
                            if lots[i][0].units == 0 { lots[i].removeFirst() }
                        }
                    }
                    let have = lots[i].reduce(0) { $0 + $1.units }
                    let load = v.load >= 0 ? v.load : max(0, slot.planner.capacity - have)
                    let room = max(0, slot.planner.capacity - have)
                    if min(load, room) > 0 { lots[i].append(SlotStock.Lot(loadedAt: visitAt, units: min(load, room))) }
                    if let since = emptySince[i], !lots[i].isEmpty {
                        count(i, Self.tradingHours(from: since, to: visitAt, clock: clock))
                        emptySince[i] = nil
                    }
                }
                sell(until: midnight(day + 1))
            }
            if visit != nil {
                out.visits += 1
                lastVisit = visitAt
            }
        }
        // The end: what stands empty is counted to the end, what is past its date is spoiled.
        let end = midnight(firstDay + Int64(days))
        for i in device.slots.indices {
            blockedSince(i, before: end)
            if let since = emptySince[i] { count(i, Self.tradingHours(from: since, to: end, clock: clock)) }
            if let life = expiry(i) {
                out.spoiledUnits += lots[i].filter { $0.loadedAt + life <= end }.reduce(0) { $0 + $1.units }
            }
        }
        return out
    }

    /// Trading hours (06:00–22:00 on the clock's wall time) between two times.
    static func tradingHours(from: Int64, to: Int64, clock: FleetClock = .utc) -> Double {
        DemandPath(firstDay: clock.day(of: from), ratePerDay: [1], size: .infinity, clock: clock).expected(
            from: from,
            to: to
        ) * 16
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

extension PlanReplay {
    /// The replay of the last `days` of a history: the truth's rates from `truth` (fitted on all of it),
    /// the plan's forecast from `forecast` (fitted before the period), the history's visit days; `clock`
    /// is the one the history was read on (its days are that clock's local dates). With `trueDemand` (a
    /// generated fleet's own rates, `FleetGenerator.trueDemand`: the product in the slot that day and its
    /// expected units), both policies face those instead wherever the slot held the replayed product that
    /// day; the other days keep the fitted truth's rates and are counted in `fallbackDays`.
    package static func devices(
        history h: SalesHistory,
        truth: DemandModel,
        truthCounts: DemandCounts,
        forecast: DemandModel,
        forecastCounts: DemandCounts,
        firstDay: Int64,
        days: Int,
        clock: FleetClock = .utc,
        trueDemand: ((SlotKey, Int64) -> (productID: String, unitsPerDay: Double)?)? = nil,
        fallbackDays: ((Int) -> Void)? = nil
    ) -> [Device] {
        var out: [Device] = []
        for (deviceID, device) in h.devices.sorted(by: { $0.key < $1.key }) {
            var slots: [Slot] = []
            for (key, cabinet) in h.cabinets.sorted(by: { $0.key < $1.key }) where key.deviceID == deviceID {
                let noon = clock.instant(day: firstDay, minute: 12 * 60)
                guard let plan = h.planograms[key]?.last(where: { $0.effectiveFrom <= noon }) else { continue }
                for (slot, f) in plan.sortedFacings {
                    guard let product = h.product(f.productID) else { continue }
                    let truthPath = truthCounts.path(
                        model: truth,
                        deviceID: deviceID,
                        cabinet: cabinet,
                        slot: slot,
                        productID: f.productID,
                        fromDay: firstDay,
                        days: days,
                        clock: clock
                    )
                    let forecastPath = forecastCounts.path(
                        model: forecast,
                        deviceID: deviceID,
                        cabinet: cabinet,
                        slot: slot,
                        productID: f.productID,
                        fromDay: firstDay,
                        days: days + 16,
                        clock: clock
                    )
                    let planner = PlannerSlot(
                        key: SlotKey(key, slot),
                        productID: f.productID,
                        price: product.price,
                        unitCost: product.unitCost,
                        capacity: f.capacity,
                        caseSize: product.caseSize,
                        shelfLifeDays: product.shelfLifeDays,
                        demand: forecastPath,
                        lots: []
                    )
                    var rates = truthPath.ratePerDay
                    if let trueDemand {
                        var kept = 0
                        for d in rates.indices {
                            if let t = trueDemand(SlotKey(key, slot), firstDay + Int64(d)), t.productID == f.productID {
                                rates[d] = t.unitsPerDay
                            } else {
                                kept += 1
                            }
                        }
                        fallbackDays?(kept)
                    }
                    slots.append(Slot(planner: planner, trueRatePerDay: rates))
                }
            }
            let visits = h.serviceDays[deviceID] ?? []
            let during = Set(
                visits.filter { Int64($0) >= firstDay && Int64($0) < firstDay + Int64(days) }.map { Int64($0) }
            )
            let before = visits.last { Int64($0) < firstDay }.map {
                ServicePlanner.visitTime(day: Int64($0), access: device.access, clock: clock)
            }
            out.append(
                Device(
                    deviceID: deviceID,
                    access: device.access,
                    slots: slots,
                    historicalVisitDays: during,
                    lastVisitBefore: before,
                    usualIntervalDays: forecast.serviceInterval(deviceID)
                )
            )
        }
        return out
    }
}

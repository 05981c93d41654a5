import Foundation

/// A route manager's budget of visits (docs/MODELS.md, "The visit budget"): `perDay` visits a day or `perWeek`
/// a week on average over the plan (at most `perDay × days`, or `perWeek × days / 7`, visits in all). The plan
/// within it is the planner's at the lowest price of a visit that keeps to it — found by search, never by
/// hand — and never below the visit cost the operator set. It is an average, not a cap on each day: visits a
/// device's longest interval forces can fall on one day whatever the price (`busiestDay` says how many).
package enum VisitBudget: Sendable, Equatable {
    case perDay(Int)
    case perWeek(Int)

    /// The most visits the budget allows over `days` days.
    package func allowance(days: Int) -> Int {
        switch self {
        case .perDay(let n): n * days
        case .perWeek(let n): Int((Double(n) * Double(days) / 7).rounded(.down))
        }
    }

    /// Whether `visits` keep to the budget over `days` days.
    package func admits(_ visits: [PlannedVisit], days: Int) -> Bool { visits.count <= allowance(days: days) }

    /// The most visits on one day.
    package static func busiestDay(_ visits: [PlannedVisit]) -> Int {
        Dictionary(grouping: visits, by: \.day).values.map(\.count).max() ?? 0
    }

    /// The search's outcome: the plan, the price of a visit it was made at, whether it keeps to the budget
    /// (it cannot when devices are due by the longest interval alone), and how many plans were tried.
    package struct Outcome: Sendable {
        package var visits: [PlannedVisit]
        package var visitCost: Double
        package var met: Bool
        package var evaluations: Int
        /// False when the budget could be kept only without visits for expiry alone (`expiryVisitUnits` off):
        /// units past their date then wait for the next visit the stock or the interval calls for.
        package var expiryVisits = true
    }

    /// The plan within the budget: the planner at its own visit cost if that keeps to it, else at the lowest
    /// price that does (doubling, then bisection to 1 % of the price); where no price does, the plan at the
    /// highest price tried, with `met` false.
    ///
    /// Visits for expiry alone are not priced: they spend visits of the budget that the stock may need more.
    /// So the plan is searched for twice, with them and without them (units past their date then wait for the
    /// next visit the stock or the interval calls for), and the one without is taken where it alone keeps to the
    /// budget, or where both do and it is expected to do better (`withoutExpiryVisitsIsBetter`).
    package func plan(
        _ planner: ServicePlanner,
        _ devices: [PlannerDevice],
        now: Int64,
        fromDay: Int64,
        days: Int
    ) -> Outcome {
        guard planner.expiryVisitUnits < 1_000_000 else {
            return search(planner, devices, now: now, fromDay: fromDay, days: days)
        }
        let relaxed = {
            var p = planner
            p.expiryVisitUnits = 1_000_000
            return p
        }()
        // The two searches are independent: one on each core.
        let results = ConcurrentResults<Outcome>(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            results[k] = search(k == 0 ? planner : relaxed, devices, now: now, fromDay: fromDay, days: days)
        }
        let priced = results[0]!
        var o = results[1]!
        o.evaluations += priced.evaluations
        o.expiryVisits = false
        guard o.met else { return priced.with(evaluations: o.evaluations) }
        guard priced.met else { return o }
        let end = planner.clock.midnight(fromDay + Int64(days))
        return Self.withoutExpiryVisitsIsBetter(devices, with: priced.visits, without: o.visits, now: now, until: end)
            ? o : priced.with(evaluations: o.evaluations)
    }

    /// Whether a plan without visits for expiry alone is expected (`PlanOutcome`, the planner's own demand) to leave
    /// fewer empty slot-hours than the plan with them, and no more units spoiled: the visits it did not spend on
    /// expiry then serve the stock, and the units they would have pulled are pulled at the next visit.
    package static func withoutExpiryVisitsIsBetter(
        _ devices: [PlannerDevice],
        with: [PlannedVisit],
        without: [PlannedVisit],
        now: Int64,
        until end: Int64
    ) -> Bool {
        let a = PlanOutcome.expected(devices, visits: with, now: now, until: end)
        let b = PlanOutcome.expected(devices, visits: without, now: now, until: end)
        return b.stockoutHours < a.stockoutHours && b.spoiledUnits <= a.spoiledUnits
    }

    func search(
        _ planner: ServicePlanner,
        _ devices: [PlannerDevice],
        now: Int64,
        fromDay: Int64,
        days: Int
    ) -> Outcome {
        var p = planner
        let found = Self.lowestPrice(from: max(planner.visitCost, 0.01)) { cost -> ([PlannedVisit], Bool) in
            p.visitCost = cost
            let visits = p.plan(devices, now: now, fromDay: fromDay, days: days)
            return (visits, admits(visits, days: days))
        }
        return Outcome(visits: found.result, visitCost: found.cost, met: found.met, evaluations: found.evaluations)
    }

    /// The lowest price of a visit, from `floor` up, whose outcome `run` admits: `floor` itself if admitted, else
    /// doubling until one is, then bisection to 1 % of the price. Where none up to a million is, the outcome at the
    /// highest price tried, not met. The budget's plan searches with it, and so does the replay of a budget
    /// (`planogram-lab backtest plan --budget-of-history`), each try a whole replay.
    package static func lowestPrice<T>(
        from floor: Double,
        _ run: (Double) -> (result: T, admitted: Bool)
    ) -> (cost: Double, result: T, met: Bool, evaluations: Int) {
        var evaluations = 1
        let first = run(floor)
        if first.admitted { return (floor, first.result, true, evaluations) }
        var low = floor
        var high = floor * 2
        var best: (cost: Double, result: T)?
        var last = first.result
        while high <= 1_000_000 {
            let r = run(high)
            evaluations += 1
            last = r.result
            if r.admitted {
                best = (high, r.result)
                break
            }
            low = high
            high *= 2
        }
        guard var found = best else { return (high / 2, last, false, evaluations) }
        while found.cost - low > 0.01 * found.cost {
            let mid = (low + found.cost) / 2
            let r = run(mid)
            evaluations += 1
            if r.admitted { found = (mid, r.result) } else { low = mid }
        }
        return (found.cost, found.result, true, evaluations)
    }
}

extension VisitBudget.Outcome {
    func with(evaluations n: Int) -> Self {
        var o = self
        o.evaluations = n
        return o
    }
}

/// Results written by the iterations of `concurrentPerform`, each to its own index.
final class ConcurrentResults<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(i: Int) -> T? {
        get { lock.withLock { values[i] } }
        set { lock.withLock { values[i] = newValue } }
    }
}

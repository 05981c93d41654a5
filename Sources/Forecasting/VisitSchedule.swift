import Foundation

/// The service planner's look at the days ahead of one device: the visit days that cost least over a
/// horizon — `visitCost` a visit plus the margin expected to be lost to empty slots — found exactly by a
/// shortest path over the days. A cycle from a visit on day a to the next on day b costs what the slots,
/// filled to capacity at a (or as they stand now, for the cycle that starts today without a visit), are
/// expected to lose until b. No cycle may be longer than the longest allowed interval, nor — after a visit
/// that loaded perishables — than their shortest shelf life (a fresh lot left past its date forces the
/// visit then); the first cycle ends by `expiryDeadline`, the last day the units in the slots now may wait
/// before some stand past their date. The planner visits today when the best schedule does; tomorrow it
/// looks again with the stock it then has (rolling horizon). Deterministic; demand from each slot's
/// `DemandPath`.
package struct VisitSchedule: Sendable {
    package let visitCost: Double
    package let maxIntervalDays: Int
    /// The price of an hour a slot stands empty during trading hours, beside the margin it loses (0: margin only).
    package let emptySlotHourCost: Double

    package init(visitCost: Double, maxIntervalDays: Int, emptySlotHourCost: Double = 0) {
        self.visitCost = visitCost
        self.maxIntervalDays = maxIntervalDays
        self.emptySlotHourCost = emptySlotHourCost
    }

    /// Whether the cheapest schedule visits today. `visitTimes[0]` is today's visit time, then one per later
    /// day; the last is the end of the horizon. `stock[i]` is slot i's units now; `daysSinceVisit` the days
    /// since the last visit (nil: never, which makes a visit today due); `expiryDeadline` the index of the
    /// last visit time the stock now may wait for (nil: none within the horizon; 0: today).
    package func visitsToday(
        _ slots: [PlannerSlot],
        stock: [Double],
        visitTimes: [Int64],
        daysSinceVisit: Double?,
        expiryDeadline: Int? = nil
    ) -> Bool {
        let h = visitTimes.count - 1  // visitTimes[0...h]: today's visit time, then each next day's; h = the end
        guard h >= 1 else { return false }
        // Expected demand of each slot from today's visit time to each later one (prefix sums).
        let cumulative: [[Double]] = slots.map { slot in
            var c = [0.0]
            for j in 1...h { c.append(c[j - 1] + slot.demand.expected(from: visitTimes[j - 1], to: visitTimes[j])) }
            return c
        }
        func lost(from a: Int, to b: Int, start: [Double]?) -> Double {
            var total = 0.0
            for (i, slot) in slots.enumerated() {
                let mean = cumulative[i][b] - cumulative[i][a]
                let units = start?[i] ?? Double(slot.capacity)
                let stock = Int(units.rounded(.down))
                total +=
                    CountDistribution.unmet(mean: mean, size: slot.demand.size, stock: stock)
                    * max(0, slot.price - slot.unitCost)
                if emptySlotHourCost > 0 {
                    total +=
                        emptySlotHourCost / 3600
                        * slot.demand.expectedEmptySeconds(stock: stock, from: visitTimes[a], to: visitTimes[b])
                }
            }
            return total
        }
        // best[j]: the least cost of the days before j with a visit on day j (j < h) or the end (j = h).
        // The first cycle starts now without a visit; it may run no longer than the interval allows.
        let limit = maxIntervalDays
        // The longest cycle after a visit on day a: a perishable loaded then that is not expected to sell out
        // by its date (the planner loads it to about what sells before then, so some is left) needs the visit
        // on the day it expires, if not before.
        let cycleLimit: [Int] = (0..<h).map { a in
            var m = limit
            for (i, slot) in slots.enumerated() {
                guard let life = slot.shelfLifeDays, life >= 1, life < m, a + life <= h else { continue }
                if cumulative[i][a + life] - cumulative[i][a] < Double(slot.capacity) - 0.5 { m = life }
            }
            return m
        }
        let firstLimit = min(
            daysSinceVisit.map { max(0, maxIntervalDays - Int($0.rounded(.down))) } ?? 0,
            expiryDeadline ?? h
        )
        var best = [Double](repeating: .infinity, count: h + 1)
        var firstVisit = [Int](repeating: -1, count: h + 1)
        for j in 0...h where j <= firstLimit || j == h && firstLimit >= h {
            best[j] = lost(from: 0, to: j, start: stock) + (j < h ? visitCost : 0)
            firstVisit[j] = j < h ? j : -1
        }
        for a in 0..<h where best[a].isFinite {
            for b in (a + 1)...h where b - a <= cycleLimit[a] || b == h {
                let cost = best[a] + lost(from: a, to: b, start: nil) + (b < h ? visitCost : 0)
                if cost < best[b] {
                    best[b] = cost
                    firstVisit[b] = firstVisit[a]
                }
            }
        }
        return firstVisit[h] == 0
    }
}

extension CountDistribution {
    /// E[(X − s)⁺] for X of this mean and size: the units demanded beyond `s`, without building the
    /// distribution (the planner's inner loop).
    package static func unmet(mean: Double, size: Double, stock s: Int) -> Double {
        guard mean > 1e-12 else { return 0 }
        guard s > 0 else { return mean }
        var p: Double
        var q = 0.0
        let poisson = !(size.isFinite && size > 0)
        if poisson {
            p = exp(-mean)
        } else {
            q = mean / (size + mean)
            p = exp(size * log(size / (size + mean)))
        }
        var served = 0.0
        var cdf = 0.0
        for x in 0..<s {
            served += Double(x) * p
            cdf += p
            p *= poisson ? mean / Double(x + 1) : (Double(x) + size) / Double(x + 1) * q
        }
        served += Double(s) * max(0, 1 - cdf)
        return max(0, mean - served)
    }
}

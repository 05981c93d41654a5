import Foundation

/// A bound for the service-plan replay (`PlanReplay`): the visit days that would have left slots empty
/// the fewest trading hours had every arrival of the period been known in advance, each visit filling
/// every slot to capacity (the history's fill), with at most a given number of visits over the fleet.
/// Per device the days are chosen by a shortest path over the days of the period (a cycle from one visit
/// to the next costs the empty slot-hours it leaves plus a price per visit), and the price is searched
/// so that the fleet's visits fit the budget. It faces the same arrivals as both policies of the replay
/// (`arrivals(_:)`), so no planner that fills to capacity can leave fewer stockout-hours with as many
/// visits: it says how much of a target is reachable at all on a history.
extension PlanReplay {
    package struct OracleOutcome: Sendable, Equatable {
        /// A schedule within the budget: its visits and stockout-hours.
        package var visits = 0
        package var stockoutHours = 0.0
        /// No schedule within the budget leaves fewer hours than this (the Lagrangian bound: for any price
        /// p, hours(p) + p · (visits(p) − budget) is at most the best within the budget).
        package var lowerBound = 0.0
        /// The schedule's visits and stockout-hours device by device, in the order given.
        package var deviceVisits: [Int] = []
        package var deviceHours: [Double] = []
    }

    /// The fewest stockout-hours over `devices` with at most `maxVisits` visits in all: a schedule that
    /// keeps the budget, and a bound no schedule beats (the two meet where the fleet's trade-off is convex).
    package func oracle(_ devices: [Device], maxVisits: Int) -> OracleOutcome {
        let tables = devices.map { cycleHours($0) }
        func solve(_ price: Double) -> OracleOutcome {
            var out = OracleOutcome()
            for t in tables {
                let (v, h) = Self.shortestPath(t, price: price)
                out.visits += v
                out.stockoutHours += h
                out.deviceVisits.append(v)
                out.deviceHours.append(h)
            }
            return out
        }
        // Visits fall as the price rises; the smallest price within the budget leaves the fewest hours.
        var lo = 0.0
        var hi = 1e7
        var best = solve(hi)
        var bound = 0.0
        func look(_ price: Double, _ r: OracleOutcome) {
            bound = max(bound, r.stockoutHours + price * Double(r.visits - maxVisits))
        }
        look(hi, best)
        guard best.visits <= maxVisits else {
            best.lowerBound = best.stockoutHours
            return best
        }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            let r = solve(mid)
            look(mid, r)
            if r.visits <= maxVisits {
                best = r
                hi = mid
            } else {
                lo = mid
            }
        }
        best.lowerBound = min(bound, best.stockoutHours)
        return best
    }

    /// `hours[a + 1][b]`: the trading hours the device's slots stand empty from a visit on day `a` (−1: the
    /// start of the period, every slot as loaded before it) until the next on day `b` (`days`: the end).
    func cycleHours(_ device: Device) -> [[Double]] {
        let n = days
        let draws = arrivals(device)
        let end = midnight(firstDay + Int64(n))
        func time(_ d: Int) -> Int64 {
            d >= n ? end : planner.visitTime(day: firstDay + Int64(d), access: device.access)
        }
        // Every slot's arrivals in time order.
        let times: [[Int64]] = draws.map { $0.flatMap { $0 } }
        var table = Array(repeating: Array(repeating: 0.0, count: n + 1), count: n + 1)
        for a in -1..<n {
            let start = a < 0 ? midnight(firstDay) : time(a)
            for (i, slot) in device.slots.enumerated() {
                // The slot, full at `start`, is empty from its capacity-th arrival after it on.
                let capacity = slot.planner.capacity
                let after = times[i].drop { $0 < start }
                let emptyAt: Int64? =
                    capacity <= 0 ? start : (after.count >= capacity ? after[after.startIndex + capacity - 1] : nil)
                guard let emptyAt else { continue }
                for b in (a + 1)...n where emptyAt < time(b) {
                    table[a + 1][b] += Self.tradingHours(from: emptyAt, to: time(b), clock: clock)
                }
            }
        }
        return table
    }

    /// The empty hours of a device under given visit days (day indices of the period), by the same table.
    package func stockoutHours(_ device: Device, visitDays: [Int]) -> Double {
        let table = cycleHours(device)
        let stops = [-1] + visitDays.sorted() + [days]
        return zip(stops, stops.dropFirst()).reduce(0) { $0 + table[$1.0 + 1][$1.1] }
    }

    /// The visit days with the least empty hours plus `price` per visit: (visits, empty hours).
    static func shortestPath(_ hours: [[Double]], price: Double) -> (visits: Int, hours: Double) {
        let n = hours.count - 1
        // best[k]: the least cost up to a visit on day k − 1 (k = 0: the start); index n + 1 is the end.
        var best = [(cost: Double, visits: Int, hours: Double)](repeating: (.infinity, 0, 0), count: n + 2)
        best[0] = (0, 0, 0)
        for b in 0...n {
            let visit = b < n ? price : 0
            for a in -1..<b {
                let from = best[a + 1]
                guard from.cost.isFinite else { continue }
                let h = hours[a + 1][b]
                let cost = from.cost + h + visit
                if cost < best[b + 1].cost { best[b + 1] = (cost, from.visits + (b < n ? 1 : 0), from.hours + h) }
            }
        }
        return (best[n + 1].visits, best[n + 1].hours)
    }
}

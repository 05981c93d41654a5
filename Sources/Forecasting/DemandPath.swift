import Foundation
import PlanogramDomain

/// Expected demand of one slot over time: a rate per day (units per in-stock day, already scaled for the
/// weekday and the trend) spread evenly over the trading day (06:00–22:00 on the fleet's clock, the hours
/// the history's in-stock share is measured in), and the negative binomial size of its counts. Days are
/// the clock's local dates, as the history's are (`HistoryBuilder`).
package struct DemandPath: Sendable {
    package static let tradingStart: Int64 = 6 * 3600, tradingEnd: Int64 = 22 * 3600

    /// Units per day for the days from `firstDay` on (days since 1970; the last rate holds beyond).
    package let firstDay: Int64
    package let ratePerDay: [Double]
    package let size: Double
    package let clock: FleetClock

    /// Off UTC: each day of the path's opening, closing and end, read off the clock once (a planner asks
    /// for the same days many times).
    private let windows: [(open: Int64, close: Int64, next: Int64)]
    private let firstMidnight: Int64?

    package init(firstDay: Int64, ratePerDay: [Double], size: Double, clock: FleetClock = .utc) {
        self.firstDay = firstDay
        self.ratePerDay = ratePerDay
        self.size = size
        self.clock = clock
        firstMidnight = clock.isUTC || ratePerDay.isEmpty ? nil : clock.midnight(firstDay)
        windows =
            clock.isUTC
            ? []
            : (0..<Int64(ratePerDay.count)).map { i in
                let day = firstDay + i
                return (
                    clock.instant(day: day, minute: Int(Self.tradingStart / 60)),
                    clock.instant(day: day, minute: Int(Self.tradingEnd / 60)),
                    clock.midnight(day + 1)
                )
            }
    }

    /// The local date of `t`, when its trading hours open and close, and when the next date begins.
    @inline(__always) func tradingDay(_ t: Int64) -> (day: Int64, open: Int64, close: Int64, next: Int64) {
        if clock.isUTC {
            let day = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
            let start = day * 86_400
            return (day, start + Self.tradingStart, start + Self.tradingEnd, start + 86_400)
        }
        if let start = firstMidnight, t >= start, t < windows[windows.count - 1].next {
            // Within the path's days: the day a whole number of 24 hours in, moved by one at most where a day
            // was 23 or 25 hours long.
            var i = min(Int((t - start) / 86_400), windows.count - 1)
            while i > 0 && t < windows[i - 1].next { i -= 1 }
            while t >= windows[i].next { i += 1 }
            let w = windows[i]
            return (firstDay + Int64(i), w.open, w.close, w.next)
        }
        let day = clock.day(of: t)
        return (
            day, clock.instant(day: day, minute: Int(Self.tradingStart / 60)),
            clock.instant(day: day, minute: Int(Self.tradingEnd / 60)),
            clock.midnight(day + 1)
        )
    }

    func rate(onDay d: Int64) -> Double {
        guard !ratePerDay.isEmpty else { return 0 }
        let i = Int(d - firstDay)
        return ratePerDay[min(max(i, 0), ratePerDay.count - 1)]
    }

    /// Expected units demanded between two times (seconds since 1970).
    package func expected(from: Int64, to: Int64) -> Double {
        guard to > from else { return 0 }
        var total = 0.0
        var t = from
        while t < to {
            let (day, open, close, next) = tradingDay(t)
            let lo = max(t, open)
            let hi = min(to, close)
            if hi > lo { total += rate(onDay: day) * Double(hi - lo) / Double(close - open) }
            t = next
        }
        return total
    }

    package func distribution(from: Int64, to: Int64) -> CountDistribution {
        CountDistribution(mean: expected(from: from, to: to), size: size)
    }

    /// Expected trading seconds between `from` and `to` during which a slot holding `stock` units at `from`
    /// (and not refilled) stands empty: ∫ P(demand since `from` ≥ stock) over the trading time. Within a day
    /// the rate is constant, so the expected demand m grows linearly there and the integral is exact for
    /// Poisson demand — ∫₀ᴹ P(N(m) ≥ s) dm = M·P(N(M) ≥ s) − s·P(N(M) ≥ s + 1) — and Simpson's rule
    /// (eight steps a day) for a negative binomial. What the service planner prices as empty slot-hours.
    package func expectedEmptySeconds(stock: Int, from: Int64, to: Int64) -> Double {
        guard to > from else { return 0 }
        let s = max(0, stock)
        var total = 0.0
        var m0 = 0.0
        var t = from
        while t < to {
            let (day, open, close, next) = tradingDay(t)
            let lo = max(t, open)
            let hi = min(to, close)
            if hi > lo {
                let seconds = Double(hi - lo)
                let perSecond = rate(onDay: day) / Double(close - open)
                let m1 = m0 + perSecond * seconds
                if s == 0 {
                    total += seconds
                } else if perSecond <= 1e-15 {
                    total += seconds * CountDistribution(mean: m0, size: size).atLeast(s)
                } else if size.isInfinite {
                    func g(_ m: Double) -> Double {
                        m * Self.poissonAtLeast(s, m) - Double(s) * Self.poissonAtLeast(s + 1, m)
                    }
                    total += max(0, (g(m1) - g(m0)) / perSecond)
                } else {
                    let n = 8
                    var acc = 0.0
                    for k in 0...n {
                        let w: Double = (k == 0 || k == n) ? 1 : (k % 2 == 1 ? 4 : 2)
                        acc +=
                            w * CountDistribution(mean: m0 + (m1 - m0) * Double(k) / Double(n), size: size).atLeast(s)
                    }
                    total += seconds * acc / Double(3 * n)
                }
                m0 = m1
            }
            t = next
        }
        return total
    }

    /// P(N ≥ s) for N Poisson with mean m.
    static func poissonAtLeast(_ s: Int, _ m: Double) -> Double {
        guard s > 0 else { return 1 }
        guard m > 1e-12 else { return 0 }
        var p = exp(-m)
        var below = 0.0
        for x in 0..<s {
            below += p
            p *= m / Double(x + 1)
        }
        return min(1, max(0, 1 - below))
    }

    /// The median time the slot runs empty: the first moment at which demand since `now` is at least the
    /// stock with probability ½, searched in steps of `step` seconds up to `horizon`; nil if not by then.
    package func medianEmptyTime(stock: Int, now: Int64, horizon: Int64, step: Int64 = 900) -> Int64? {
        if stock <= 0 { return now }
        var t = now
        while t < horizon {
            t = min(horizon, t + step)
            if distribution(from: now, to: t).atLeast(stock) >= 0.5 {
                // Refine within the last step by bisection (to the minute).
                var lo = t - step
                var hi = t
                while hi - lo > 60 {
                    let mid = (lo + hi) / 2
                    if distribution(from: now, to: mid).atLeast(stock) >= 0.5 { hi = mid } else { lo = mid }
                }
                return hi
            }
        }
        return nil
    }
}

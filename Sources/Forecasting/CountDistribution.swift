import Foundation

/// The distribution of a count of units over some span: negative binomial with `mean` and `size` k
/// (variance mean + mean²/k), Poisson when k is infinite. Demand for a slot is overdispersed (days differ
/// more than Poisson allows), so intervals and stockout probabilities use k fitted from the history.
package struct CountDistribution: Sendable, Equatable {
    package let mean: Double
    /// The negative binomial's size; `.infinity` is Poisson.
    package let size: Double

    package init(mean: Double, size: Double = .infinity) {
        self.mean = max(0, mean.isFinite ? mean : 0)
        self.size = size > 0 ? size : .infinity
    }

    package var variance: Double { size.isInfinite ? mean : mean + mean * mean / size }

    /// Calls `body` with P(X = 0), P(X = 1), … up to `n` (inclusive), in order, by the recurrence of the
    /// pmf (no array: the count model's calibration sums it millions of times through `atLeast`).
    @inline(__always) func forEachPMF(upTo n: Int, _ body: (Int, Double) -> Void) {
        guard n >= 0 else { return }
        if mean <= 1e-12 {
            body(0, 1)
            for x in stride(from: 1, through: n, by: 1) { body(x, 0) }
            return
        }
        var p = size.isInfinite ? exp(-mean) : exp(size * log(size / (size + mean)))
        body(0, p)
        let q = size.isInfinite ? 0 : mean / (size + mean)
        for x in 0..<n {
            if size.isInfinite { p *= mean / Double(x + 1) } else { p *= (Double(x) + size) / Double(x + 1) * q }
            body(x + 1, p)
        }
    }

    /// P(X = 0), P(X = 1), … up to `n` (inclusive).
    func pmf(upTo n: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(max(0, n + 1))
        forEachPMF(upTo: n) { _, p in out.append(p) }
        return out
    }

    /// P(X ≥ k).
    package func atLeast(_ k: Int) -> Double {
        guard k > 0 else { return 1 }
        if mean <= 1e-12 { return 0 }
        var below = 0.0
        forEachPMF(upTo: k - 1) { _, p in below += p }
        return min(1, max(0, 1 - below))
    }

    /// The smallest x with P(X ≤ x) ≥ q.
    package func quantile(_ q: Double) -> Int {
        guard mean > 1e-12 else { return 0 }
        // Far enough for any q below 1 − 1e-9 of demand the size of a slot's.
        let limit = Int((mean + 12 * variance.squareRoot() + 20).rounded(.up))
        var cdf = 0.0
        for (x, p) in pmf(upTo: min(limit, 100_000)).enumerated() {
            cdf += p
            if cdf >= q { return x }
        }
        return limit
    }

    /// E[min(X, c)]: the units a slot holding `c` can serve.
    package func expectedServed(capacity c: Int) -> Double {
        guard c > 0 else { return 0 }
        let ps = pmf(upTo: c - 1)
        var below = 0.0
        var cdf = 0.0
        for (x, p) in ps.enumerated() {
            below += Double(x) * p
            cdf += p
        }
        return below + Double(c) * max(0, 1 - cdf)
    }

    /// The distribution of min(X, c), the units a slot holding `c` sells: P(0), …, P(c − 1), and P(X ≥ c) last.
    func servedPMF(capacity c: Int) -> [Double] {
        guard c > 0 else { return [1] }
        var ps = pmf(upTo: c - 1)
        ps.append(max(0, 1 - ps.reduce(0, +)))
        return ps
    }

    /// The median of min(X, c): the point forecast of units sold that minimises the expected absolute
    /// error, the loss WAPE sums (the mean minimises the squared error instead; for counts of a few units
    /// the two differ).
    package func medianServed(capacity c: Int) -> Int {
        var cdf = 0.0
        for (x, p) in servedPMF(capacity: c).enumerated() {
            cdf += p
            if cdf >= 0.5 { return x }
        }
        return max(0, c)
    }

    /// E|min(X, c) − point|: the absolute error a forecast of `point` units sold is expected to make if the
    /// demand really is this distribution — the noise no forecast of one slot-interval can remove.
    package func expectedAbsoluteError(capacity c: Int, point: Double) -> Double {
        servedPMF(capacity: c).enumerated().reduce(0) { $0 + abs(Double($1.offset) - point) * $1.element }
    }
}

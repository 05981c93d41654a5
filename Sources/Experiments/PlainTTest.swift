import Foundation

/// The test the original plan sketches, kept as the baseline the benchmark compares against: Welch's
/// two-sample t-test treating every device-day as an independent observation.
package enum PlainTTest {
    package struct Result: Sendable {
        package let difference: Double
        package let t: Double
        package let df: Double
        package let pValue: Double
    }

    package static func welch(_ a: [Double], _ b: [Double]) -> Result {
        func meanVar(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.count > 1 ? x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1) : 0)
        }
        guard a.count > 1, b.count > 1 else { return Result(difference: 0, t: 0, df: 1, pValue: 1) }
        let (ma, va) = meanVar(a)
        let (mb, vb) = meanVar(b)
        let sa = va / Double(a.count)
        let sb = vb / Double(b.count)
        guard sa + sb > 0 else { return Result(difference: ma - mb, t: 0, df: 1, pValue: ma == mb ? 1 : 0) }
        let t = (ma - mb) / (sa + sb).squareRoot()
        let df = (sa + sb) * (sa + sb) / (sa * sa / Double(a.count - 1) + sb * sb / Double(b.count - 1))
        return Result(difference: ma - mb, t: t, df: df, pValue: studentTwoSided(t, df: df))
    }

    /// The t with P(|T| ≥ t) = `p` (bisection on the distribution function).
    package static func quantile(twoSided p: Double, df: Double) -> Double {
        var lo = 0.0
        var hi = 1e6
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if studentTwoSided(mid, df: df) > p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
    package static func studentTwoSided(_ t: Double, df: Double) -> Double {
        regularizedBeta(df / (df + t * t), df / 2, 0.5)
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz).
    package static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logs: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let powers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logs + powers)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, b, a) }
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = (a + 2 * m - 1) * (a + 2 * m)
            var num: Double = m * (b - m) * x / even
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            let odd: Double = (a + 2 * m) * (a + 2 * m + 1)
            num = -(a + m) * (a + b + m) * x / odd
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-14 { break }
        }
        return front * f / a
    }
}

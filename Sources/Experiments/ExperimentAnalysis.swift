import Foundation
import PlanogramDomain

/// One device's outcome: its arm, its mean daily metric before the start and since.
package struct DeviceOutcome: Sendable {
    package var id: String
    package var treated: Bool
    package var pre: Double
    package var post: Double
    package init(id: String, treated: Bool, pre: Double, post: Double) {
        self.id = id
        self.treated = treated
        self.pre = pre
        self.post = post
    }
}

/// The estimate docs/MODELS.md names, with what it was computed from.
package struct ExperimentEstimate: Codable, Sendable, Equatable {
    /// Treatment minus control, in the metric's daily unit per device, adjusted for the pre-period.
    package var effect: Double
    package var effectPercentage: Double
    package var confidenceInterval: [Double]
    /// Randomization inference, one look.
    package var pValue: Double
    /// The mixture sequential probability ratio test's p-value over every look so far (valid at any look).
    package var alwaysValidPValue: Double
    package var standardError: Double
    package var controlMean: Double
    /// Difference in differences of the raw means, the cross-check.
    package var differenceInDifferences: Double
    package var method: String
    /// The daily-monitoring test (`SequentialTest`): the day its boundary was first crossed, if it was,
    /// and the boundary at this look (on the effect's scale).
    package var sequentialCrossedAt: Int?
    package var sequentialBoundary: Double?

    package init(
        effect: Double,
        effectPercentage: Double,
        confidenceInterval: [Double],
        pValue: Double,
        alwaysValidPValue: Double,
        standardError: Double,
        controlMean: Double,
        differenceInDifferences: Double,
        method: String,
        sequentialCrossedAt: Int? = nil,
        sequentialBoundary: Double? = nil
    ) {
        self.effect = effect
        self.effectPercentage = effectPercentage
        self.confidenceInterval = confidenceInterval
        self.pValue = pValue
        self.alwaysValidPValue = alwaysValidPValue
        self.standardError = standardError
        self.controlMean = controlMean
        self.differenceInDifferences = differenceInDifferences
        self.method = method
        self.sequentialCrossedAt = sequentialCrossedAt
        self.sequentialBoundary = sequentialBoundary
    }

    enum CodingKeys: String, CodingKey {
        case effect
        case effectPercentage = "effect_percentage"
        case confidenceInterval = "confidence_interval"
        case pValue = "p_value"
        case
            alwaysValidPValue = "always_valid_p_value"
        case standardError = "standard_error"
        case controlMean = "control_mean"
        case
            differenceInDifferences = "difference_in_differences"
        case method
        case sequentialCrossedAt = "sequential_crossed_at"
        case
            sequentialBoundary = "sequential_boundary"
    }
}

/// CUPED/ANCOVA with device-level randomization inference (docs/MODELS.md). The outcome of a device is its mean
/// daily metric since the start, adjusted by the pre-period: `post − θ·(pre − mean pre)`, θ the pooled
/// regression slope of post on pre (assignment is independent of the pre-period, so the adjustment removes
/// variance without bias). The effect is the difference of the arms' adjusted means. Its p-value comes from
/// the design itself: every re-draw of the coins within the strata (all of them up to 2^12, else 4,000
/// seeded draws) gives the statistic's null distribution; the interval inverts that test for a constant
/// additive effect. Devices, not sales or days, are the units, so autocorrelated days and devices ten
/// times bigger than others do not fake precision.
package enum ExperimentAnalysis {
    package static let exactStrataLimit = 12
    package static let monteCarloDraws = 4_000

    /// The flips of the strata: each draw says, per stratum, whether its labels are swapped (a singleton's
    /// label flipped). Draw 0 is the observed assignment.
    package static func draws(strata: Int, seed: UInt64, count: Int = monteCarloDraws) -> [[Bool]] {
        if strata <= exactStrataLimit {
            return (0..<(1 << strata)).map { m in (0..<strata).map { m & (1 << $0) != 0 } }
        }
        var rng = SeededRandom(seed: seed ^ 0xA11CE)
        return [[Bool](repeating: false, count: strata)]
            + (1..<max(count, 1)).map { _ in (0..<strata).map { _ in rng.chance(0.5) } }
    }

    /// θ of CUPED: the slope of post on pre over all devices.
    package static func theta(_ o: [DeviceOutcome]) -> Double {
        let n = Double(o.count)
        guard n > 1 else { return 0 }
        let mx = o.reduce(0) { $0 + $1.pre } / n
        let my = o.reduce(0) { $0 + $1.post } / n
        var sxy = 0.0
        var sxx = 0.0
        for d in o {
            sxy += (d.pre - mx) * (d.post - my)
            sxx += (d.pre - mx) * (d.pre - mx)
        }
        return sxx > 0 ? sxy / sxx : 0
    }

    /// One look without the interval (what a daily look needs): the outcomes adjusted by the pre-period
    /// (CUPED), the difference of the arms, its standard error and the control's mean.
    package struct Look: Sendable {
        package let adjusted: [Double]
        package let effect: Double
        package let standardError: Double
        package let controlMean: Double
    }

    package static func look(_ o: [DeviceOutcome]) -> Look {
        let th = theta(o)
        let meanPre = o.isEmpty ? 0 : o.reduce(0) { $0 + $1.pre } / Double(o.count)
        let adj = o.map { $0.post - th * ($0.pre - meanPre) }
        let treated = o.map(\.treated)
        let control = o.filter { !$0.treated }
        return Look(
            adjusted: adj,
            effect: meanDiff(adj, treated),
            standardError: neymanSE(adj, treated),
            controlMean: control.isEmpty ? 0 : control.reduce(0) { $0 + $1.post } / Double(control.count)
        )
    }

    package static func meanDiff(_ v: [Double], _ treated: [Bool]) -> Double {
        var st = 0.0
        var sc = 0.0
        var nt = 0
        var nc = 0
        for (x, t) in zip(v, treated) {
            if t {
                st += x
                nt += 1
            } else {
                sc += x
                nc += 1
            }
        }
        guard nt > 0, nc > 0 else { return 0 }
        return st / Double(nt) - sc / Double(nc)
    }

    /// The two-sided randomization p-value of "the effect is τ0" for adjusted outcomes `adj`.
    static func pValue(
        _ adj: [Double],
        treated: [Bool],
        strata: [[Int]],
        draws: [[Bool]],
        effect tau0: Double,
        exact: Bool
    ) -> Double {
        let stat = RandomizationStatistic(
            values: zip(adj, treated).map { $1 ? $0 - tau0 : $0 },
            treated: treated,
            strata: strata
        )
        let observed = abs(stat.observed)
        var extreme = 0
        for d in draws where abs(stat(d)) >= observed - 1e-12 { extreme += 1 }
        return exact ? Double(extreme) / Double(draws.count) : Double(extreme + 1) / Double(draws.count + 1)
    }

    /// The estimate for outcomes in strata (indices into `outcomes`). `previousAlwaysValid` is the
    /// always-valid p-value of the looks before this one (1 at the first).
    /// The mixture's scale in standard errors of the first look: τ = 2.5 · SE (set once; calibrated by
    /// `Ops/bench experiments` to about 5 % false positives over 22 daily looks).
    package static let mixingScale = 2.5

    package static func estimate(
        _ outcomes: [DeviceOutcome],
        strata: [[Int]],
        alpha: Double = 0.05,
        seed: UInt64,
        mixingSD: Double? = nil,
        previousAlwaysValid: Double = 1
    ) -> ExperimentEstimate {
        let treated = outcomes.map(\.treated)
        let now = look(outcomes)
        let adj = now.adjusted
        let effect = now.effect
        let controlMean = now.controlMean
        let se = now.standardError
        let control = outcomes.filter { !$0.treated }
        let treatment = outcomes.filter(\.treated)
        let exact = strata.count <= exactStrataLimit
        let d = draws(strata: strata.count, seed: seed)
        let p = pValue(adj, treated: treated, strata: strata, draws: d, effect: 0, exact: exact)
        // The interval: the constant effects the test does not reject, found by bisection on each side.
        func bound(_ direction: Double) -> Double {
            let step = max(se, abs(effect) * 0.05, 1e-9)
            var inside = effect
            var outside = effect + direction * 2 * step
            var k = 0
            while pValue(adj, treated: treated, strata: strata, draws: d, effect: outside, exact: exact) >= alpha
                && k < 40
            {
                inside = outside
                outside = effect + direction * 2 * step * pow(2, Double(k + 1))
                k += 1
            }
            for _ in 0..<20 {
                let mid = (inside + outside) / 2
                if pValue(adj, treated: treated, strata: strata, draws: d, effect: mid, exact: exact) >= alpha {
                    inside = mid
                } else {
                    outside = mid
                }
            }
            return inside
        }
        // A design too small for the randomization test to reach α at all (at most five pairs: the
        // smallest attainable p-value is 2/2^K) has no finite randomization interval; its interval comes
        // from Student's t on the strata instead, and the method says so.
        let reachable = !exact || 2.0 / Double(d.count) <= alpha
        let (lo, hi): (Double, Double)
        if reachable {
            (lo, hi) = (bound(-1), bound(1))
        } else {
            let q = PlainTTest.quantile(twoSided: alpha, df: Double(max(1, strata.count - 1)))
            (lo, hi) = (effect - q * se, effect + q * se)
        }
        let mean = { (xs: [DeviceOutcome], f: (DeviceOutcome) -> Double) in
            xs.isEmpty ? 0 : xs.reduce(0) { $0 + f($1) } / Double(xs.count)
        }
        let did = (mean(treatment, \.post) - mean(treatment, \.pre)) - (mean(control, \.post) - mean(control, \.pre))
        let avp = min(
            previousAlwaysValid,
            mSPRTPValue(effect: effect, standardError: se, mixingSD: mixingSD ?? mixingScale * se)
        )
        return ExperimentEstimate(
            effect: effect,
            effectPercentage: controlMean != 0 ? effect / controlMean * 100 : 0,
            confidenceInterval: [lo, hi],
            pValue: p,
            alwaysValidPValue: avp,
            standardError: se,
            controlMean: controlMean,
            differenceInDifferences: did,
            method: "CUPED/ANCOVA on the pre-period, randomization inference within matched pairs ("
                + (exact ? "exact" : "\(d.count) draws")
                + ")"
                + (reachable
                    ? "" : "; interval from Student's t: \(strata.count) strata cannot reach α by randomization")
                + ", mixture SPRT for the always-valid p-value"
        )
    }

    /// Neyman's standard error of a difference of means.
    package static func neymanSE(_ v: [Double], _ treated: [Bool]) -> Double {
        func variance(_ xs: [Double]) -> Double {
            guard xs.count > 1 else { return 0 }
            let m = xs.reduce(0, +) / Double(xs.count)
            return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        }
        let t = zip(v, treated).filter(\.1).map(\.0)
        let c = zip(v, treated).filter { !$0.1 }.map(\.0)
        guard !t.isEmpty, !c.isEmpty else { return 0 }
        return (variance(t) / Double(t.count) + variance(c) / Double(c.count)).squareRoot()
    }

    /// One look of the mixture SPRT (Johari, Pekelis, Walsh, "Always valid inference", 2017) for a normal
    /// estimate with variance V = se² and a normal mixture N(0, τ²) over the effect: the likelihood ratio
    /// Λ = √(V/(V+τ²))·exp(τ²·θ̂² / (2V(V+τ²))); the look's p-value is 1/Λ (at most 1). The always-valid
    /// p-value is the smallest over the looks so far.
    package static func mSPRTPValue(effect: Double, standardError se: Double, mixingSD tau: Double) -> Double {
        let v = se * se
        let t2 = tau * tau
        guard v > 0, t2 > 0 else { return 1 }
        let logLambda = 0.5 * log(v / (v + t2)) + t2 * effect * effect / (2 * v * (v + t2))
        return min(1, exp(-logLambda))
    }
}

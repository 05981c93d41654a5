import Foundation
import PlanogramDomain

/// Placebo experiments on a fleet's history (docs/MODELS.md, issue figures): many A/A splits — a random start in
/// the history, the devices paired on the 28 days before it and randomized — analysed as the server does,
/// and the same splits with a true effect injected into the treated devices' days after the start. Reports
/// how often each method declares an effect: with one look at the end and with a look every day, for the
/// CUPED + randomization + mixture-SPRT analysis (matched pairs) and for the plan's procedure (a random half
/// of the devices treated, a two-sample t-test on their device-days), on the same devices and weeks.
package enum Calibration {
    package struct Options: Sendable {
        package var splits = 1_000
        package var preDays = 28
        package var postDays = 28
        package var firstLook = 7
        package var alpha = 0.05
        package var effects: [Double] = [0, 0.03, 0.05, 0.10]
        package var draws = 1_000
        package var seed: UInt64 = 1
        /// τ of the mixture SPRT in standard errors of the first look.
        package var mixingScale = ExperimentAnalysis.mixingScale
        package init() {}
    }

    package struct Row: Codable, Sendable {
        package var effectPercentage: Double
        package var splits: Int
        /// Share of splits declared significant.
        package var cupedOneLook: Double
        package var cupedDailyLooks: Double
        /// The sequential randomization test (α spent over the horizon), looked at every day.
        package var sequentialDailyLooks: Double
        package var tTestOneLook: Double
        package var tTestDailyLooks: Double
        enum CodingKeys: String, CodingKey {
            case effectPercentage = "effect_percentage"
            case splits
            case cupedOneLook = "cuped_one_look"
            case cupedDailyLooks = "cuped_daily_looks"
            case sequentialDailyLooks = "sequential_daily_looks"
            case tTestOneLook = "t_test_one_look"
            case tTestDailyLooks = "t_test_daily_looks"
        }
    }

    package struct Report: Codable, Sendable {
        package var devices: Int
        package var rows: [Row]
        /// The spread of each estimator over the A/A splits (percent of the control's mean), and the
        /// minimum detectable effect at 80 % power and α = 5 % it implies: (1.96 + 0.84) × spread.
        package var cupedSpreadPercentage: Double
        package var plainSpreadPercentage: Double
        package var cupedMDEPercentage: Double
        package var plainMDEPercentage: Double
        enum CodingKeys: String, CodingKey {
            case devices
            case rows
            case cupedSpreadPercentage = "cuped_spread_percentage"
            case plainSpreadPercentage = "plain_spread_percentage"
            case cupedMDEPercentage = "cuped_mde_percentage"
            case plainMDEPercentage = "plain_mde_percentage"
        }
    }

    package struct HistoryTooShort: Error, CustomStringConvertible {
        package let days: Int
        package let needed: Int
        package var description: String {
            "the history has \(days) days; a pre-period and an experiment need \(needed)"
        }
    }

    /// `series[i]`: device i's metric per day, all aligned on the same days.
    package static func run(
        _ series: [[Double]],
        options o: Options,
        progress: (Double) -> Void = { _ in }
    ) throws -> Report {
        let days = series.map(\.count).min() ?? 0
        guard days >= o.preDays + o.postDays else { throw HistoryTooShort(days: days, needed: o.preDays + o.postDays) }
        var rng = SeededRandom(seed: o.seed)
        var counts = [[Int]](repeating: [0, 0, 0, 0, 0], count: o.effects.count)
        var cupedAA: [Double] = []
        var plainAA: [Double] = []
        var controlMeans: [Double] = []
        for s in 0..<o.splits {
            let start = o.preDays + rng.int(0...(days - o.preDays - o.postDays))
            let pre = series.map { $0[(start - o.preDays)..<start].reduce(0, +) / Double(o.preDays) }
            let design = PairedDesign.draw(
                pre.enumerated().map { ExperimentUnit(id: String($0.offset), preMetric: $0.element) },
                seed: rng.next()
            )
            let treated = pre.indices.map { design.assignment[String($0)] == .treatment }
            // The plan's design: a random half of the devices, no matching.
            var half = Array(pre.indices)
            for i in stride(from: half.count - 1, to: 0, by: -1) { half.swapAt(i, rng.int(0...i)) }
            let plainTreated = Set(half.prefix(half.count / 2))
            let strata = design.strata.map { $0.map { Int($0)! } }
            let draws = ExperimentAnalysis.draws(strata: strata.count, seed: rng.next(), count: o.draws)
            for (k, effect) in o.effects.enumerated() {
                let post = series.indices.map { i in
                    series[i][start..<(start + o.postDays)].map { treated[i] ? $0 * (1 + effect) : $0 }
                }
                let plainPost = series.indices.map { i in
                    series[i][start..<(start + o.postDays)].map { plainTreated.contains(i) ? $0 * (1 + effect) : $0 }
                }
                var avp = 1.0
                var cupedDaily = false
                var tDaily = false
                var tau = 0.0
                var adjustedByLook: [[Double]] = Array(repeating: [], count: o.firstLook - 1)
                var last: (effect: Double, controlMean: Double, plain: Double, p: Double, tp: Double) = (0, 0, 0, 1, 1)
                for look in o.firstLook...o.postDays {
                    let outcomes = series.indices.map { i in
                        DeviceOutcome(
                            id: "",
                            treated: treated[i],
                            pre: pre[i],
                            post: post[i][0..<look].reduce(0, +) / Double(look)
                        )
                    }
                    let q = ExperimentAnalysis.look(outcomes)
                    adjustedByLook.append(q.adjusted)
                    if look == o.firstLook { tau = o.mixingScale * q.standardError }
                    avp = min(
                        avp,
                        ExperimentAnalysis.mSPRTPValue(effect: q.effect, standardError: q.standardError, mixingSD: tau)
                    )
                    if avp < o.alpha { cupedDaily = true }
                    let a = series.indices.filter { plainTreated.contains($0) }.flatMap { plainPost[$0][0..<look] }
                    let b = series.indices.filter { !plainTreated.contains($0) }.flatMap { plainPost[$0][0..<look] }
                    let t = PlainTTest.welch(a, b)
                    if t.pValue < o.alpha { tDaily = true }
                    if look == o.postDays {
                        let p = ExperimentAnalysis.pValue(
                            q.adjusted,
                            treated: treated,
                            strata: strata,
                            draws: draws,
                            effect: 0,
                            exact: strata.count <= ExperimentAnalysis.exactStrataLimit
                        )
                        last = (q.effect, q.controlMean, t.difference, p, t.pValue)
                    }
                }
                let sequential = SequentialTest.run(
                    adjusted: adjustedByLook,
                    treated: treated,
                    strata: strata,
                    draws: draws,
                    firstLook: o.firstLook,
                    horizon: o.postDays,
                    alpha: o.alpha
                )
                if sequential.crossedAt != nil { counts[k][4] += 1 }
                if last.p < o.alpha { counts[k][0] += 1 }
                if cupedDaily { counts[k][1] += 1 }
                if last.tp < o.alpha { counts[k][2] += 1 }
                if tDaily { counts[k][3] += 1 }
                if effect == 0 {
                    cupedAA.append(last.effect)
                    plainAA.append(last.plain)
                    controlMeans.append(last.controlMean)
                }
            }
            progress(Double(s + 1) / Double(o.splits))
        }
        func sd(_ x: [Double]) -> Double {
            guard x.count > 1 else { return 0 }
            let m = x.reduce(0, +) / Double(x.count)
            return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
        }
        let base = controlMeans.isEmpty ? 1 : controlMeans.reduce(0, +) / Double(controlMeans.count)
        let cs = sd(cupedAA) / base * 100
        let ps = sd(plainAA) / base * 100
        return Report(
            devices: series.count,
            rows: o.effects.enumerated().map { k, e in
                Row(
                    effectPercentage: e * 100,
                    splits: o.splits,
                    cupedOneLook: Double(counts[k][0]) / Double(o.splits),
                    cupedDailyLooks: Double(counts[k][1]) / Double(o.splits),
                    sequentialDailyLooks: Double(counts[k][4]) / Double(o.splits),
                    tTestOneLook: Double(counts[k][2]) / Double(o.splits),
                    tTestDailyLooks: Double(counts[k][3]) / Double(o.splits)
                )
            },
            cupedSpreadPercentage: cs,
            plainSpreadPercentage: ps,
            cupedMDEPercentage: 2.8 * cs,
            plainMDEPercentage: 2.8 * ps
        )
    }
}

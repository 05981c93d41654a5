import Experiments
import Foundation
import PlanogramDomain
import XCTest

final class ExperimentsTests: XCTestCase {
    func testPairsAreNeighboursOnThePrePeriodWithOneDeviceOfEachArm() {
        let units = (0..<9).map { ExperimentUnit(id: "D\($0)", preMetric: Double($0 * 10)) }
        let d = PairedDesign.draw(units, seed: 42)
        XCTAssertEqual(d.strata, [["D8", "D7"], ["D6", "D5"], ["D4", "D3"], ["D2", "D1"], ["D0"]])
        for s in d.strata where s.count == 2 { XCTAssertNotEqual(d.assignment[s[0]], d.assignment[s[1]]) }
        XCTAssertEqual(d.assignment.count, 9)
        XCTAssertEqual(PairedDesign.draw(units, seed: 42), d, "the seed redraws the same design")
        let others = (1...20).map { PairedDesign.draw(units, seed: UInt64($0)).assignment }
        XCTAssertGreaterThan(Set(others.map { $0["D8"]! }).count, 1, "the coin is a coin")
    }

    /// 40 devices of very different sizes, a stable pre-period, and a known +10 % effect.
    func synthetic(effect: Double, seed: UInt64) -> (outcomes: [DeviceOutcome], strata: [[Int]]) {
        var rng = SeededRandom(seed: seed)
        let units = (0..<40).map { ExperimentUnit(id: "D\($0)", preMetric: 20 + 200 * rng.unit()) }
        let design = PairedDesign.draw(units, seed: seed)
        let index = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($1.id, $0) })
        let outcomes = units.map { u in
            let treated = design.assignment[u.id] == .treatment
            let post = u.preMetric * (1 + 0.05 * rng.normal()) * (treated ? 1 + effect : 1)
            return DeviceOutcome(id: u.id, treated: treated, pre: u.preMetric, post: post)
        }
        return (outcomes, design.strata.map { $0.map { index[$0]! } })
    }

    func testAKnownEffectIsFoundWithAnIntervalThatHoldsIt() {
        let (o, strata) = synthetic(effect: 0.10, seed: 3)
        let e = ExperimentAnalysis.estimate(o, strata: strata, seed: 1)
        XCTAssertEqual(e.effectPercentage, 10, accuracy: 3.5)
        XCTAssertLessThan(e.confidenceInterval[0], e.effect)
        XCTAssertGreaterThan(e.confidenceInterval[1], e.effect)
        let trueEffect = 0.10 * o.filter { !$0.treated }.reduce(0) { $0 + $1.post } / 20
        XCTAssertTrue(
            e.confidenceInterval[0] < trueEffect && trueEffect < e.confidenceInterval[1],
            "\(e.confidenceInterval) holds \(trueEffect)"
        )
        XCTAssertLessThan(e.pValue, 0.01)
        XCTAssertLessThan(e.alwaysValidPValue, 0.05)
        XCTAssertTrue(e.method.contains("4000 draws"), e.method)
        // Without the pre-period the same data is far noisier: devices differ ten-fold.
        let raw = o.map { DeviceOutcome(id: $0.id, treated: $0.treated, pre: 0, post: $0.post) }
        XCTAssertGreaterThan(ExperimentAnalysis.neymanSE(raw.map(\.post), raw.map(\.treated)), 5 * e.standardError)
    }

    func testNoEffectIsNotDeclared() {
        let (o, strata) = synthetic(effect: 0, seed: 5)
        let e = ExperimentAnalysis.estimate(o, strata: strata, seed: 1)
        XCTAssertGreaterThan(e.pValue, 0.05)
        XCTAssertLessThan(e.confidenceInterval[0], 0)
        XCTAssertGreaterThan(e.confidenceInterval[1], 0)
    }

    func testSmallDesignsAreEnumeratedExactly() {
        // Two pairs: four equally likely assignments; the observed one is the most extreme of them.
        let o = [
            DeviceOutcome(id: "a", treated: true, pre: 1, post: 11),
            DeviceOutcome(id: "b", treated: false, pre: 1, post: 1),
            DeviceOutcome(id: "c", treated: true, pre: 2, post: 12),
            DeviceOutcome(id: "d", treated: false, pre: 2, post: 2),
        ]
        let e = ExperimentAnalysis.estimate(o, strata: [[0, 1], [2, 3]], seed: 1)
        XCTAssertEqual(e.effect, 10, accuracy: 1e-9)
        XCTAssertEqual(e.pValue, 0.5, accuracy: 1e-12, "the observed and its mirror image are as extreme: 2 of 4")
        XCTAssertTrue(e.method.contains("exact"))
        XCTAssertEqual(e.differenceInDifferences, 10, accuracy: 1e-9)
        XCTAssertTrue(e.method.contains("Student's t"), "two pairs cannot reach α by randomization: \(e.method)")
        XCTAssertTrue(e.confidenceInterval.allSatisfy(\.isFinite))
    }

    func testTheMixtureSPRTNeedsMoreEvidenceThanOneLook() {
        XCTAssertEqual(ExperimentAnalysis.mSPRTPValue(effect: 0, standardError: 1, mixingSD: 1), 1)
        // 1.96 standard errors is p = 0.05 at one look, far from it for a test valid at every look.
        XCTAssertGreaterThan(ExperimentAnalysis.mSPRTPValue(effect: 1.96, standardError: 1, mixingSD: 1), 0.2)
        XCTAssertLessThan(ExperimentAnalysis.mSPRTPValue(effect: 4, standardError: 1, mixingSD: 1), 0.05)
    }

    func testStudentsTMatchesItsTables() {
        XCTAssertEqual(PlainTTest.regularizedBeta(0.5, 2, 3), 0.6875, accuracy: 1e-10)
        XCTAssertEqual(PlainTTest.studentTwoSided(2.0, df: 10), 0.07339, accuracy: 1e-4)
        XCTAssertEqual(PlainTTest.studentTwoSided(2.228, df: 10), 0.05, accuracy: 1e-3)
        XCTAssertEqual(PlainTTest.studentTwoSided(1.96, df: 1e6), 0.05, accuracy: 1e-3)
        let r = PlainTTest.welch([1, 2, 3, 4, 5], [2, 3, 4, 5, 6])
        XCTAssertEqual(r.t, -1, accuracy: 1e-12)
        XCTAssertEqual(r.df, 8, accuracy: 1e-9)
    }

    func testTheDecisionRule() {
        func est(_ effect: Double, ci: [Double], avp: Double, p: Double? = nil) -> ExperimentEstimate {
            // Here "crossed" stands for the sequential test: it crossed on day 7 when avp < 0.05.
            ExperimentEstimate(
                effect: effect,
                effectPercentage: effect,
                confidenceInterval: ci,
                pValue: p ?? avp,
                alwaysValidPValue: avp,
                standardError: 1,
                controlMean: 100,
                differenceInDifferences: effect,
                method: "",
                sequentialCrossedAt: avp < 0.05 && (p ?? avp) < 0.05 ? 7 : nil
            )
        }
        XCTAssertEqual(
            ExperimentDecision.decide(est(9, ci: [5, 13], avp: 0.001), days: 6, minDays: 14).decision,
            .continue
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(9, ci: [5, 13], avp: 0.001), days: 8, minDays: 14).decision,
            .stopTreatmentWins
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(-9, ci: [-13, -5], avp: 0.001), days: 8, minDays: 14).decision,
            .stopHarm
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(-9, ci: [-13, -5], avp: 0.001), days: 8, minDays: 14, lowerIsBetter: true)
                .decision,
            .stopTreatmentWins,
            "fewer stockouts is the treatment winning"
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(9, ci: [-20, 40], avp: 0.001, p: 0.125), days: 8, minDays: 14).decision,
            .continue,
            "without the sequential test's crossing, no stop, whatever the mixture SPRT says"
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(0.2, ci: [-1, 1.5], avp: 0.8), days: 10, minDays: 14).decision,
            .continue
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(0.2, ci: [-1, 1.5], avp: 0.8), days: 14, minDays: 14).decision,
            .stopNoEffect
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(3, ci: [-1, 7], avp: 0.3), days: 20, minDays: 14).decision,
            .continue
        )
        XCTAssertEqual(
            ExperimentDecision.decide(est(3, ci: [-1, 7], avp: 0.3), days: 56, minDays: 14).decision,
            .stopNoEffect
        )
    }

    /// Placebo splits of a synthetic fleet with autocorrelated days: the calibration harness finds the
    /// plain t-test's false positives and the CUPED analysis's power.
    func testTheCalibrationHarnessSeesThePlainTestsFalsePositives() throws {
        var rng = SeededRandom(seed: 11)
        let series: [[Double]] = (0..<24).map { _ in
            let size = 20 + 200 * rng.unit()
            var level = 0.0
            return (0..<90).map { _ in
                level = 0.8 * level + 0.2 * rng.normal()
                return max(0, size * (1 + 0.3 * level + 0.1 * rng.normal()))
            }
        }
        var o = Calibration.Options()
        o.splits = 60
        o.effects = [0, 0.10]
        o.draws = 400
        let r = try Calibration.run(series, options: o)
        XCTAssertEqual(r.rows.count, 2)
        let aa = r.rows[0]
        let tenPercent = r.rows[1]
        XCTAssertGreaterThan(
            aa.tTestDailyLooks,
            0.2,
            "device-days are not independent: the plain test sees effects that are not there"
        )
        XCTAssertLessThan(aa.cupedOneLook, 0.2)
        XCTAssertGreaterThan(tenPercent.cupedOneLook, aa.cupedOneLook)
        XCTAssertLessThan(r.cupedMDEPercentage, r.plainMDEPercentage)
        // A history shorter than a pre-period and an experiment is an error, not a trap.
        XCTAssertThrowsError(try Calibration.run(series.map { Array($0.prefix(40)) }, options: o))
    }

    /// The daily-monitoring test on placebo paths keeps false positives at α over the horizon and finds a
    /// real effect; its boundaries only move with the data (the same draws at every look).
    func testTheSequentialTestSpendsAlphaOverTheHorizon() {
        var rng = SeededRandom(seed: 21)
        let n = 40
        let days = 28
        var falsePositives = 0
        var found = 0
        let trials = 200
        for t in 0..<trials {
            let size = (0..<n).map { _ in 20 + 200 * rng.unit() }
            let design = PairedDesign.draw(
                (0..<n).map { ExperimentUnit(id: String($0), preMetric: size[$0]) },
                seed: UInt64(t + 1)
            )
            let treated = (0..<n).map { design.assignment[String($0)] == .treatment }
            let strata = design.strata.map { $0.map { Int($0)! } }
            let draws = ExperimentAnalysis.draws(strata: strata.count, seed: UInt64(t + 1)).prefix(500).map { $0 }
            for effect in [0.0, 0.15] {
                var level = [Double](repeating: 0, count: n)
                var cumulative = [Double](repeating: 0, count: n)
                var adjusted: [[Double]] = []
                for day in 1...days {
                    for i in 0..<n {
                        level[i] = 0.7 * level[i] + 0.3 * rng.normal()
                        cumulative[i] += size[i] * (1 + 0.1 * level[i]) * (treated[i] ? 1 + effect : 1)
                    }
                    adjusted.append((0..<n).map { cumulative[$0] / Double(day) - size[$0] })
                }
                let r = SequentialTest.run(
                    adjusted: adjusted,
                    treated: treated,
                    strata: strata,
                    draws: draws,
                    firstLook: 7,
                    horizon: days
                )
                if r.crossedAt != nil { if effect == 0 { falsePositives += 1 } else { found += 1 } }
            }
        }
        XCTAssertLessThanOrEqual(
            Double(falsePositives) / Double(trials),
            0.09,
            "α = 5 % over 22 daily looks (200 trials)"
        )
        XCTAssertGreaterThan(Double(found) / Double(trials), 0.8)
        XCTAssertEqual(SequentialTest.spent(1, alpha: 0.05), 0.05, accuracy: 1e-12)
        XCTAssertLessThan(SequentialTest.spent(0.5, alpha: 0.05), 0.05)
    }

    /// The analysis the server's pages and the lab share: a look each day from the 7th, the always-valid p-value
    /// never rising, and on a clear +10 % effect an estimate near it whose daily-monitoring boundary is crossed.
    func testAnExperimentsLooksRunFromTheSeventhDayAndFindAClearEffect() throws {
        var rng = SeededRandom(seed: 5)
        let ids = (0..<40).map { "D\($0)" }
        let pre = ids.map { _ in 20 + 200 * rng.unit() }
        let design = PairedDesign.draw(zip(ids, pre).map { ExperimentUnit(id: $0, preMetric: $1) }, seed: 5)
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let treated = ids.map { design.assignment[$0] == .treatment }
        let post = ids.indices.map { i in
            (0..<28).map { _ in pre[i] * (1 + 0.05 * rng.normal()) * (treated[i] ? 1.1 : 1) }
        }
        let r = ExperimentLooks.analyse(
            ids: ids,
            post: post,
            pre: pre,
            treated: treated,
            strata: design.strata.map { $0.map { index[$0]! } },
            seed: 5,
            days: 28,
            minDays: 14
        )
        XCTAssertEqual(r.looks.map(\.day), Array(7...27))
        for (a, b) in zip(r.looks, r.looks.dropFirst()) {
            XCTAssertLessThanOrEqual(b.alwaysValidPValue, a.alwaysValidPValue)
        }
        let e = try XCTUnwrap(r.estimate)
        XCTAssertEqual(e.effectPercentage, 10, accuracy: 2)
        XCTAssertNotNil(e.sequentialCrossedAt)
        XCTAssertTrue(
            ExperimentLooks.analyse(
                ids: ids,
                post: post,
                pre: pre,
                treated: treated,
                strata: [],
                seed: 5,
                days: 0,
                minDays: 14
            ).estimate == nil
        )
    }
}

import Foundation
import PlanogramDomain

/// The difference of the arms' means of `values` under re-drawn coins, one pass over the strata per draw:
/// a pair gives one of its two values to each arm, a singleton its value to one arm.
package struct RandomizationStatistic: Sendable {
    let pairT: [Double], pairC: [Double], pairIndex: [Int]
    let singles: [(value: Double, treated: Bool)], singleIndex: [Int]
    let strataCount: Int

    package init(values v: [Double], treated: [Bool], strata: [[Int]]) {
        var pt: [Double] = []
        var pc: [Double] = []
        var pi: [Int] = []
        var sg: [(Double, Bool)] = []
        var si: [Int] = []
        for (k, s) in strata.enumerated() {
            if s.count == 2, treated[s[0]] != treated[s[1]] {
                let (t, c) = treated[s[0]] ? (s[0], s[1]) : (s[1], s[0])
                pt.append(v[t])
                pc.append(v[c])
                pi.append(k)
            } else {
                for i in s {
                    sg.append((v[i], treated[i]))
                    si.append(k)
                }
            }
        }
        pairT = pt
        pairC = pc
        pairIndex = pi
        singles = sg
        singleIndex = si
        strataCount = strata.count
    }

    /// The statistic with the coins of the flipped strata turned (no flips: the observed assignment).
    package func callAsFunction(_ flips: [Bool]) -> Double {
        var st = 0.0
        var sc = 0.0
        var nt = pairT.count
        var nc = pairC.count
        for j in 0..<pairT.count {
            if flips[pairIndex[j]] {
                st += pairC[j]
                sc += pairT[j]
            } else {
                st += pairT[j]
                sc += pairC[j]
            }
        }
        for j in 0..<singles.count {
            if singles[j].treated != flips[singleIndex[j]] {
                st += singles[j].value
                nt += 1
            } else {
                sc += singles[j].value
                nc += 1
            }
        }
        return nt > 0 && nc > 0 ? st / Double(nt) - sc / Double(nc) : 0
    }

    package var observed: Double { self([Bool](repeating: false, count: strataCount)) }
}

/// Daily monitoring by re-randomization with α spent over a horizon (a group-sequential test whose null
/// distribution is the design's own): at each look from the first, the boundary is set so that the share of
/// re-drawn assignments crossing it for the first time is the α that the Pocock-type spending function
/// α·ln(1 + (e − 1)·t) allots to this look (t: the share of the horizon's looks taken). Under the sharp null
/// the chance of ever crossing by the horizon is α, up to the draws' sampling error, however the looks are
/// correlated — so daily looks neither inflate false positives nor waste power the way an infinite-horizon
/// bound does. The draws are the same at every look (a re-drawn assignment is a whole path).
package enum SequentialTest {
    package struct Outcome: Sendable, Equatable {
        /// The first look (1-based day) at which the observed statistic crossed its boundary, if any.
        package var crossedAt: Int?
        /// The statistic and the boundary at the last look.
        package var statistic: Double
        package var boundary: Double
    }

    package static func spent(_ t: Double, alpha: Double) -> Double { alpha * log(1 + (M_E - 1) * min(max(t, 0), 1)) }

    /// `adjusted[look − 1]`: every device's adjusted outcome after `look` days; looks before `firstLook` are
    /// not tested. `draws`: re-drawn coins (each a flip per stratum); the observed assignment (no flips) is one
    /// path among them. Paths with equal statistics (a small design has few distinct values, and each
    /// assignment its mirror image) are ordered by a random number drawn once per path (`seed`), so the share
    /// let through at each look is the allotted one, not less: a randomized test, exact in expectation.
    package static func run(
        adjusted: [[Double]],
        treated: [Bool],
        strata: [[Int]],
        draws: [[Bool]],
        firstLook: Int,
        horizon: Int,
        alpha: Double = 0.05,
        seed: UInt64 = 1
    ) -> Outcome {
        var rng = SeededRandom(seed: seed ^ 0x5E0_7E57)
        let tiebreak = draws.map { _ in rng.unit() }
        let observedTie = rng.unit()
        var alive = [Bool](repeating: true, count: draws.count)
        var previous = 0.0
        var outcome = Outcome(crossedAt: nil, statistic: 0, boundary: .infinity)
        let looks = max(1, horizon - firstLook + 1)
        guard adjusted.count >= firstLook else { return outcome }
        let none = [Bool](repeating: false, count: strata.count)
        let observedIndex = draws.firstIndex(of: none)
        for look in firstLook...adjusted.count {
            let stat = RandomizationStatistic(values: adjusted[look - 1], treated: treated, strata: strata)
            let observed = (abs(stat.observed), observedIndex.map { tiebreak[$0] } ?? observedTie)
            let share = spent(Double(look - firstLook + 1) / Double(looks), alpha: alpha)
            let allowance = Int((max(0, share - previous) * Double(draws.count)).rounded(.down))
            previous = share
            // The paths not yet crossed, largest first; the boundary is the (allowance + 1)-th of them.
            var paths: [(value: Double, tie: Double, index: Int)] = []
            paths.reserveCapacity(draws.count)
            for (i, d) in draws.enumerated() where alive[i] { paths.append((abs(stat(d)), tiebreak[i], i)) }
            paths.sort { ($0.value, $0.tie) > ($1.value, $1.tie) }
            for p in paths.prefix(allowance) { alive[p.index] = false }
            let boundary = allowance < paths.count ? (paths[allowance].value, paths[allowance].tie) : (0.0, 0.0)
            outcome.statistic = stat.observed
            outcome.boundary = boundary.0
            if outcome.crossedAt == nil && observed > boundary { outcome.crossedAt = look }
            if look >= horizon { break }
        }
        return outcome
    }
}

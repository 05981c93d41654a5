import Foundation
import Insights
import PlanogramDomain

/// The demand backtest of docs/MODELS.md (`planogram-lab backtest demand`): at rolling origins, the models are
/// fitted on the history before the origin; then, for every slot and every real interval between two
/// visits of its device that starts in the next four weeks, the units the slot sold are predicted (the
/// expected sales of a slot filled to capacity at the visit: demand from the count model, capped by what
/// the slot holds) and compared with what it sold. The baseline is the rule vending systems use: the
/// slot's average vends per day over its last three intervals × the days until the next visit. Also:
/// how well the predicted probability that the slot sells out before the next visit matches how often
/// it did, by decile.
package struct DemandBacktest {
    package struct Interval: Sendable {
        package let key: SlotKey
        package let startDay: Int32
        package let days: Int
        package let capacity: Int
        package let actual: Double
        /// Expected units sold (the mean of min(demand, capacity)).
        package let predicted: Double
        /// The median of the same distribution: the forecast that minimises the absolute error.
        package let predictedMedian: Double
        /// The absolute error the median is expected to make if demand is exactly the predicted
        /// distribution: the part of the error that no forecast of this slot-interval can remove.
        package let noise: Double
        package let baseline: Double
        package let soldOutProbability: Double
        package let soldOut: Bool
        /// With the generator's own demand (`trueDemand`): the distribution that drew this interval's
        /// sales, Poisson of the days' true rates capped at the capacity; nil without it.
        package var truth: Truth?
    }

    /// What a forecast that knew the generator's rates would say of one slot-interval.
    package struct Truth: Sendable {
        /// The median of min(Poisson(Σ true rates), capacity): the best point forecast for absolute error.
        package let median: Double
        /// Its mean.
        package let expected: Double
        /// The absolute error that median is expected to make.
        package let noise: Double
    }

    package struct Decile: Sendable {
        package let predicted: Double
        package let observed: Double
        package let count: Int
    }

    package struct Report: Sendable {
        package let intervals: [Interval]
        package let origins: [Int32]

        static func wape(_ pairs: [(Double, Double)]) -> Double {
            let actual = pairs.reduce(0) { $0 + $1.1 }
            return actual > 0 ? pairs.reduce(0) { $0 + abs($1.0 - $1.1) } / actual * 100 : 0
        }
        /// WAPE of the expected units sold.
        package var wape: Double { Self.wape(intervals.map { ($0.predicted, $0.actual) }) }
        /// WAPE of the median units sold (the point forecast that minimises the absolute error).
        package var medianWAPE: Double { Self.wape(intervals.map { ($0.predictedMedian, $0.actual) }) }
        /// The WAPE a perfect forecast would still have if demand were exactly the model's distribution:
        /// Σ E|sold − median| / Σ E[sold]. Counts of a few units per slot-interval are mostly noise, and
        /// this says how much.
        package var noiseFloorWAPE: Double {
            let expected = intervals.reduce(0) { $0 + $1.predicted }
            return expected > 0 ? intervals.reduce(0) { $0 + $1.noise } / expected * 100 : 0
        }
        package var baselineWAPE: Double { Self.wape(intervals.map { ($0.baseline, $0.actual) }) }
        /// WAPE of a device's units over each of its visit intervals (every scored slot of the device summed,
        /// the total a driver loads): (model, baseline). The mean is the point forecast here, since a sum
        /// of medians is not the median of the sum.
        package var deviceIntervalWAPE: (model: Double, baseline: Double) {
            var sums: [String: (p: Double, b: Double, a: Double)] = [:]
            for i in intervals {
                let key = "\(i.key.cabinet.deviceID)|\(i.startDay)"
                var v = sums[key] ?? (0, 0, 0)
                v.p += i.predicted
                v.b += i.baseline
                v.a += i.actual
                sums[key] = v
            }
            return (Self.wape(sums.values.map { ($0.p, $0.a) }), Self.wape(sums.values.map { ($0.b, $0.a) }))
        }
        /// With the generator's demand: (the realised WAPE of the true distribution's median, the model's
        /// median WAPE on the same intervals, the expected floor Σ E|sold − median| / Σ E[sold] of the truth,
        /// intervals, the truth's expected units over the units sold), or nil without it. No forecast of one
        /// slot-interval can expect to beat the floor.
        package var truthWAPE: (truth: Double, model: Double, floor: Double, intervals: Int, expectedOverSold: Double)?
        {
            let known = intervals.filter { $0.truth != nil }
            guard !known.isEmpty else { return nil }
            let expected = known.reduce(0) { $0 + $1.truth!.expected }
            let sold = known.reduce(0) { $0 + $1.actual }
            return (
                Self.wape(known.map { ($0.truth!.median, $0.actual) }),
                Self.wape(known.map { ($0.predictedMedian, $0.actual) }),
                expected > 0 ? known.reduce(0) { $0 + $1.truth!.noise } / expected * 100 : 0, known.count,
                sold > 0 ? expected / sold : 0
            )
        }

        /// The baseline capped at the slot's capacity (a fairer rule than the systems use).
        package var cappedBaselineWAPE: Double {
            Self.wape(intervals.map { (min($0.baseline, Double($0.capacity)), $0.actual) })
        }

        /// Ten bins of equal count by predicted sell-out probability: mean prediction vs observed share.
        package var calibration: [Decile] {
            let sorted = intervals.sorted { $0.soldOutProbability < $1.soldOutProbability }
            guard sorted.count >= 10 else { return [] }
            return (0..<10).map { b in
                let part = sorted[(b * sorted.count / 10)..<((b + 1) * sorted.count / 10)]
                let n = Double(part.count)
                return Decile(
                    predicted: part.reduce(0) { $0 + $1.soldOutProbability } / n,
                    observed: part.reduce(0) { $0 + ($1.soldOut ? 1 : 0) } / n,
                    count: part.count
                )
            }
        }
        /// The largest gap between predicted and observed, in points.
        package var calibrationGap: Double { calibration.map { abs($0.predicted - $0.observed) * 100 }.max() ?? 0 }
    }

    package let history: SalesHistory
    package var origins = 4
    package var stepDays: Int32 = 28
    package var progress: ((Int, Int) -> Void)?
    /// A generated fleet's true expected demand of a slot on a day (`FleetGenerator.trueDemand`), to score
    /// the forecast a perfect model would make beside the model's; nil for real data.
    package var trueDemand: ((SlotKey, Int32) -> Double?)?

    package init(history: SalesHistory) { self.history = history }

    package func run() -> Report {
        let h = history
        let firstOrigin = h.lastDay + 1 - Int32(origins) * stepDays
        var out: [Interval] = []
        var originDays: [Int32] = []
        for o in 0..<origins {
            progress?(o + 1, origins)
            let origin = firstOrigin + Int32(o) * stepDays
            guard origin - h.firstDay >= 56 else { continue }
            originDays.append(origin)
            let model = DemandModel.fit(h, before: origin)
            let counts = DemandCounts.fit(model: model)
            let k = counts.distributionSize
            VisitIntervals.forEach(h, starts: { day, i in day >= origin && day < origin + stepDays && i >= 3 }) { iv in
                let s = iv.series
                guard let visits = h.serviceDays[s.cabinet.deviceID] else { return }
                let byDay = Dictionary(uniqueKeysWithValues: s.days.map { ($0.day, $0) })
                // The baseline: vends per day over the last three intervals × days to the next visit.
                let past = (visits[iv.visitIndex - 3]..<iv.startDay).compactMap { byDay[$0] }
                guard past.count == Int(iv.startDay - visits[iv.visitIndex - 3]),
                    past.allSatisfy({ $0.product == iv.productIndex })
                else { return }
                let perDay = past.reduce(0.0) { $0 + Double($1.units) } / Double(past.count)
                let productID = h.products[Int(iv.productIndex)].id
                let base =
                    model.rate(productID: productID, deviceID: s.cabinet.deviceID, cabinet: iv.cabinet, slot: s.slot)
                    * counts.meanScale
                let beta = counts.trendPerDay[s.cabinet.deviceID] ?? 0
                let mean = (iv.startDay..<iv.endDay).reduce(0.0) { sum, day in
                    sum + base * model.weekdayFactor(s.cabinet.deviceID, day)
                        * min(1.4, max(0.7, exp(beta * Double(day - origin))))
                }
                let demand = CountDistribution(mean: mean, size: k)
                let median = demand.medianServed(capacity: iv.capacity)
                let key = SlotKey(s.cabinet, s.slot)
                var truth: Truth?
                if let trueDemand {
                    let rates = (iv.startDay..<iv.endDay).map { trueDemand(key, $0) }
                    if rates.allSatisfy({ $0 != nil }) {
                        let d = CountDistribution(mean: rates.reduce(0) { $0 + $1! })
                        let m = d.medianServed(capacity: iv.capacity)
                        truth = Truth(
                            median: Double(m),
                            expected: d.expectedServed(capacity: iv.capacity),
                            noise: d.expectedAbsoluteError(capacity: iv.capacity, point: Double(m))
                        )
                    }
                }
                out.append(
                    Interval(
                        key: key,
                        startDay: iv.startDay,
                        days: Int(iv.endDay - iv.startDay),
                        capacity: iv.capacity,
                        actual: iv.sold,
                        predicted: demand.expectedServed(capacity: iv.capacity),
                        predictedMedian: Double(median),
                        noise: demand.expectedAbsoluteError(capacity: iv.capacity, point: Double(median)),
                        baseline: perDay * Double(iv.endDay - iv.startDay),
                        soldOutProbability: counts.sellOutProbability(demand, units: iv.capacity),
                        soldOut: iv.soldOut,
                        truth: truth
                    )
                )
            }
        }
        return Report(intervals: out, origins: originDays)
    }
}

import Foundation
import Insights

/// What the revenue forecast takes from the count model (docs/MODELS.md, the demand issue), fitted once with
/// the models and stored with them: the count model's negative binomial size, each device's real
/// intervals between visits in the last eight weeks of the fit, and the level and weekly SD of the
/// forecaster that uses them, fitted in the fit window. On top of the demand model's rates (fitted on
/// in-stock exposure, so sold-out time is censored) and weekday factors, a slot's availability is then
/// its expected share of demand served over the device's own visit intervals.
///
/// Two parts of the count model are left out, both measured (BENCHMARKS §8): the mean multiplier, which is
/// chosen so that sell-outs come out calibrated and lifts revenue where capacity caps the sales anyway, and
/// the per-device trend, which made the four-week revenue forecast worse on six of eight fleets (the
/// generated seasons turn within a window the trend extrapolates). `includesTrend` puts the trend back,
/// for that comparison.
package struct RevenueCountTerms: Codable, Sendable, Equatable {
    /// The version of these terms, reported after the demand model's in a prediction's `model_version`.
    package static let version = "nb-intervals-1"

    package var size: Double
    package var visitIntervals: [String: [IntervalShare]]
    package var level: Double
    package var weeklySD: Double
    package var trendPerDay: [String: Double]
    package var trendOrigin: Int32

    /// Fits the level and SD on the history the model was fitted on (which must hold the day series).
    package static func fit(counts: DemandCounts, model: DemandModel, includesTrend: Bool = false) -> RevenueCountTerms
    {
        var terms = RevenueCountTerms(
            size: counts.size,
            visitIntervals: recentVisitIntervals(model.history, before: model.fittedBefore, days: 56),
            level: 1,
            weeklySD: model.weeklyRelativeSD,
            trendPerDay: includesTrend ? counts.trendPerDay : [:],
            trendOrigin: counts.fittedBefore
        )
        let f = terms.forecaster(model: model, affinity: nil).levelled()
        terms.level = f.level ?? 1
        terms.weeklySD = f.weeklySD ?? model.weeklyRelativeSD
        return terms
    }

    /// The revenue forecaster on these terms.
    package func forecaster(model: DemandModel, affinity: AffinityTable?) -> RevenueForecaster {
        var f = RevenueForecaster(model: model, affinity: affinity)
        f.countSize = size > 0 ? size : .infinity
        f.visitIntervals = visitIntervals
        f.trendPerDay = trendPerDay
        f.trendOrigin = trendOrigin
        f.level = level
        f.weeklySD = weeklySD
        f.version = DemandModel.version + "+" + Self.version
        return f
    }

    /// Per device, the shares of the interval lengths between its visits that start in the `days` before
    /// `end` and end before it.
    package static func recentVisitIntervals(
        _ history: SalesHistory,
        before end: Int32,
        days: Int32
    ) -> [String: [IntervalShare]] {
        var out: [String: [IntervalShare]] = [:]
        for (device, visits) in history.serviceDays {
            let v = visits.filter { $0 < end }
            let intervals = zip(v, v.dropFirst()).filter { $0.0 >= end - days && $0.1 > $0.0 }.map {
                Double($0.1 - $0.0)
            }
            let shares = IntervalShare.of(intervals)
            if !shares.isEmpty { out[device] = shares }
        }
        return out
    }
}

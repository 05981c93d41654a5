import ArgumentParser
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

/// `backtest revenue` (the default mode): the revenue model fitted before each planogram change and scored on the
/// weeks after it (docs/MODELS.md).
struct BacktestRevenue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revenue",
        abstract:
            "The revenue model: fit before each planogram change, predict the weeks after, compare (MAPE per device-week, interval coverage, a naive trailing-4-week baseline)."
    )

    @OptionGroup var source: HistorySource
    @Option(help: "Weeks predicted after each change.") var weeks: Int = 4
    @Flag(help: "Print one line per device-week.")
    var verbose = false
    @Flag(
        help:
            "Revenue backtest of the first forecaster (Poisson at each device's mean interval) instead of the one predict/revenue serves, which rides on the count model."
    ) var part1 = false
    @Flag(
        help:
            "Revenue backtest with the count model's per-device trend in the forecast too (left out of predict/revenue: BENCHMARKS §8)."
    ) var countsTrend = false

    func run() throws {
        guard !(part1 && countsTrend) else {
            throw ValidationError("--counts-trend is a variant of the count-driven forecaster; leave out --part1")
        }
        let (history, _) = try source.load(label: "backtest")
        var bt = Insights.Backtest(history: history)
        bt.weeksAfter = weeks
        if !part1 {
            let trend = countsTrend
            bt.forecaster = { model, affinity in
                RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model, includesTrend: trend)
                    .forecaster(model: model, affinity: affinity)
            }
        }
        var last = Date.distantPast
        bt.progress = { i, n in
            if Date().timeIntervalSince(last) > 1 || i == n {
                last = Date()
                FileHandle.standardError.write(Data("backtest: change \(i)/\(n)\n".utf8))
            }
        }
        let r = bt.run()
        if verbose {
            for w in r.weeks {
                print(
                    String(
                        format: "%@ %@ day %d actual %.2f predicted %.2f [%.2f, %.2f] naive %.2f",
                        w.deviceID,
                        w.change.description,
                        Int(w.firstDay),
                        w.actual,
                        w.predicted,
                        w.lower,
                        w.upper,
                        w.naive
                    )
                )
            }
        }
        print(String(format: "bias (mean signed error): model %+.2f%%, naive %+.2f%%", r.bias, r.naiveBias))
        print(
            String(
                format:
                    "changes %d, device-weeks %d: model MAPE %.2f%% (median APE %.2f%%), naive MAPE %.2f%%, 95%% interval coverage %.1f%%",
                r.changes,
                r.weeks.count,
                r.mape,
                r.medianAPE * 100,
                r.naiveMAPE,
                r.coverage * 100
            )
        )
    }
}

import ArgumentParser
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

/// `backtest demand`: the demand model scored on intervals it did not see (docs/MODELS.md), or with `--horizon` on
/// any history, days without times and no fills included (docs/MODELS.md "Forecasts on real data").
struct BacktestDemand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demand",
        abstract:
            "The demand model: units per slot over the real intervals between visits, WAPE against the vends/day × days rule, and the calibration of sell-out probabilities; or, with --horizon, each slot's units over a horizon from rolling origins against the naive forecast and the 8-week mean."
    )

    @OptionGroup var source: HistorySource
    @Flag(help: "Print one line per device-week: per slot interval.")
    var verbose = false
    @Flag(
        help:
            "On a generated fleet (--fixtures holding the generator's model.json), draw the fleet again to learn every slot's true daily demand, and score the forecast that knew it beside the model's (the noise no forecast removes)."
    ) var generatorTruth = false
    @Option(help: "Rolling origins, four weeks apart, ending at the last day.") var origins: Int = 4
    @Option(
        help:
            "Forecast each slot's units over this many days from every origin instead (any history: days without times, no fills), against the naive forecast and the 8-week mean (docs/MODELS.md \"Forecasts on real data\")."
    ) var horizon: Int?
    @Option(help: "With --horizon: days between origins.") var stepDays: Int = 14

    func run() throws {
        guard (1...26).contains(origins) else { throw ValidationError("--origins must be 1…26") }
        let (history, _) = try source.load(label: "backtest")
        if let horizon {
            guard (7...56).contains(horizon), (1...56).contains(stepDays) else {
                throw ValidationError("--horizon must be 7…56 days and --step-days 1…56")
            }
            var hb = HorizonBacktest(history: history)
            hb.horizon = Int32(horizon)
            hb.origins = origins
            hb.stepDays = Int32(stepDays)
            hb.progress = { i, n in
                FileHandle.standardError.write(Data("backtest demand --horizon: origin \(i)/\(n) (fitting)\n".utf8))
            }
            print(HorizonReport.text(hb.run(), verbose: verbose), terminator: "")
            return
        }
        var dbt = DemandBacktest(history: history)
        dbt.origins = origins
        if generatorTruth {
            let rates = try GeneratorTruth.rates(fixtures: source.fixtures)
            dbt.trueDemand = { key, day in rates[key]?[day]?.unitsPerDay }
        }
        dbt.progress = { i, n in
            FileHandle.standardError.write(Data("backtest demand: origin \(i)/\(n) (fitting)\n".utf8))
        }
        let r = dbt.run()
        if verbose {
            for i in r.intervals {
                print(
                    String(
                        format:
                            "%@ day %d +%d cap %d actual %.0f predicted %.2f baseline %.2f p(sold out) %.2f sold out %@",
                        i.key.description,
                        Int(i.startDay),
                        i.days,
                        i.capacity,
                        i.actual,
                        i.predicted,
                        i.baseline,
                        i.soldOutProbability,
                        i.soldOut ? "yes" : "no"
                    )
                )
            }
        }
        print("calibration of sell-out probability (decile: predicted → observed, n):")
        for (b, d) in r.calibration.enumerated() {
            print(
                String(format: "  %2d: %5.1f%% → %5.1f%% (%d)", b + 1, d.predicted * 100, d.observed * 100, d.count)
            )
        }
        func lower(_ w: Double) -> Double { r.baselineWAPE > 0 ? (1 - w / r.baselineWAPE) * 100 : 0 }
        print(
            String(
                format:
                    "point forecasts: expected units %.2f%% WAPE (%.1f%% lower than the rule); median units %.2f%%; noise floor (a perfect forecast, demand as predicted) %.2f%%",
                r.wape,
                lower(r.wape),
                r.medianWAPE,
                r.noiseFloorWAPE
            )
        )
        let perDevice = r.deviceIntervalWAPE
        print(
            String(
                format:
                    "units per device over its visit intervals (every slot summed): model WAPE %.2f%%, baseline %.2f%%",
                perDevice.model,
                perDevice.baseline
            )
        )
        if let t = r.truthWAPE {
            print(
                String(
                    format:
                        "generator's truth, %d slot intervals: the true distribution's median %.2f%% WAPE (the model's %.2f%% on the same intervals); its expected floor %.2f%%; its expected units %.3f × those sold",
                    t.intervals,
                    t.truth,
                    t.model,
                    t.floor,
                    t.expectedOverSold
                )
            )
        }
        print(
            String(
                format:
                    "origins %d, slot intervals %d: model WAPE %.2f%% (median), baseline (vends/day × days) WAPE %.2f%% (capped at capacity %.2f%%), %.1f%% lower; calibration gap at most %.1f points",
                r.origins.count,
                r.intervals.count,
                r.medianWAPE,
                r.baselineWAPE,
                r.cappedBaselineWAPE,
                lower(r.medianWAPE),
                r.calibrationGap
            )
        )
    }
}

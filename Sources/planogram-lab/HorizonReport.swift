import Forecasting
import Foundation
import Store

/// The table `backtest demand --horizon` prints (and `Ops/bench real` copies into BENCHMARKS).
enum HorizonReport {
    static func text(_ r: HorizonBacktest.Report, verbose: Bool) -> String {
        var out = ""
        if verbose {
            for row in r.rows {
                out += String(
                    format:
                        "%@ origin %@: sold %.0f, model %.2f [%.0f, %.0f], demand model %.2f, naive %.0f, 8-week mean %.1f\n",
                    row.key.description,
                    day(row.origin),
                    row.actual,
                    row.model,
                    row.low,
                    row.high,
                    row.demandModel,
                    row.naive,
                    row.eightWeek
                )
            }
        }
        let slot = r.slot
        let device = r.device
        out += "origins \(r.origins.map(day).joined(separator: ", ")), \(r.horizon) days each; "
        out += "\(r.rows.count) slot forecasts (\(r.sellingSlots) of slots that sold in the 8 weeks before)\n"
        out += "| forecast | device WAPE | slot WAPE | bias |\n|---|---|---|---|\n"
        for (name, key) in [
            ("pooled slot model (served)", "model"), ("count model before pooling", "demand_model"),
            ("naive (last \(r.horizon) days again)", "naive"), ("8-week mean", "eight_week_mean"),
            ("naive, over the days the machine was there", "naive_lived"),
            ("8-week mean, over the days the machine was there", "eight_week_mean_lived"),
        ] {
            out += String(
                format: "| %@ | %.1f %% | %.1f %% | %+.1f %% |\n",
                name,
                device[key]!.wape,
                slot[key]!.wape,
                slot[key]!.bias
            )
        }
        out += String(format: "90 %% intervals of the pooled model cover %.1f %% of slots\n", r.coverage90 * 100)
        return out
    }

    static func day(_ d: Int32) -> String { String(FieldParse.iso8601(Int64(d) * 86_400).prefix(10)) }
}

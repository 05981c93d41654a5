import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct CalibrateExperiments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate-experiments",
        abstract:
            "Placebo experiments on a fleet's history: false positives with one look and with daily looks, power at injected effects, and the minimum detectable effect, against the plan's t-test.",
        discussion:
            "Prints the report as JSON, then a summary. Progress goes to stderr. With --estimate-devices N, also times one estimate (read from the database and analysed) of an N-device experiment."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Placebo splits.") var splits: Int = 1_000
    @Option(help: "Days before the start the pairs are matched on and CUPED adjusts for.") var preDays: Int = 28
    @Option(help: "Days of the experiment.") var postDays: Int = 28
    @Option(help: "Injected effects in percent, comma-separated (0 is the A/A test).") var effects: String = "0,3,5,10"
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Time one estimate of an experiment of this many devices (the newest days).") var estimateDevices:
        Int?
    @Option(help: "With --estimate-devices: the experiment's shortest run in days (the server's default is 14).")
    var minDays: Int = 14
    @Option(help: "The mixture SPRT's τ in standard errors of the first look (the server's is 2.5).") var mixingScale:
        Double = ExperimentAnalysis.mixingScale

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...100_000).contains(splits), preDays >= 7, postDays >= 7 else {
            throw ValidationError("--splits 1…100000, --pre-days and --post-days at least 7")
        }
        let levels = effects.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.map {
            $0 / 100
        }
        guard !levels.isEmpty else { throw ValidationError("--effects: percentages separated by commas") }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "calibrate")
        defer { cleanup() }
        let store = try Store(path: path)
        guard let span = try DailyMetrics.span(store) else { throw ValidationError("no sales in \(path)") }
        let daily = try DailyMetrics.read(
            store,
            metric: .revenue,
            devices: nil,
            fromDay: span.first,
            toDay: span.last + 1
        )
        let series = daily.keys.sorted().map { daily[$0]! }
        var o = Calibration.Options()
        o.splits = splits
        o.preDays = preDays
        o.postDays = postDays
        o.effects = levels
        o.seed = seed
        o.mixingScale = mixingScale
        guard Int(span.last - span.first + 1) >= preDays + postDays else {
            throw ValidationError("the history is shorter than --pre-days + --post-days")
        }
        FileHandle.standardError.write(
            Data("\(series.count) devices, \(span.last - span.first + 1) days, \(splits) splits\n".utf8)
        )
        var shown = -1
        let report = try Calibration.run(series, options: o) { f in
            let pct = Int(f * 100)
            if pct / 10 != shown / 10 {
                shown = pct
                FileHandle.standardError.write(Data("splits: \(pct) %\n".utf8))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        for r in report.rows {
            print(
                String(
                    format:
                        "effect %.0f %%: declared by CUPED+RI one look %.1f %%, sequential RI daily looks %.1f %%, mSPRT daily looks %.1f %%; plan's t-test one look %.1f %%, daily looks %.1f %%",
                    r.effectPercentage,
                    r.cupedOneLook * 100,
                    r.sequentialDailyLooks * 100,
                    r.cupedDailyLooks * 100,
                    r.tTestOneLook * 100,
                    r.tTestDailyLooks * 100
                )
            )
        }
        print(
            String(
                format:
                    "minimum detectable effect (80 %% power, α 5 %%): %.2f %% with CUPED and matched pairs, %.2f %% with the plan's design and t-test (%.0f %% smaller)",
                report.cupedMDEPercentage,
                report.plainMDEPercentage,
                (1 - report.cupedMDEPercentage / max(report.plainMDEPercentage, 1e-9)) * 100
            )
        )
        if let n = estimateDevices {
            let ids = Array(daily.keys.sorted().prefix(n))
            guard ids.count >= 4 else {
                throw ValidationError("--estimate-devices: the fleet has \(daily.count) devices")
            }
            let start = span.last + 1 - Int64(postDays)
            let began = Date()
            let window = try DailyMetrics.read(
                store,
                metric: .revenue,
                devices: Set(ids),
                fromDay: start - Int64(preDays),
                toDay: span.last + 1
            )
            let pre = ids.map { window[$0]!.prefix(preDays).reduce(0, +) / Double(preDays) }
            let design = PairedDesign.draw(zip(ids, pre).map { ExperimentUnit(id: $0, preMetric: $1) }, seed: seed)
            let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            // The server's analysis itself (`ExperimentLooks`, as an experiment's page computes it).
            let analysis = ExperimentLooks.analyse(
                ids: ids,
                post: ids.map { Array(window[$0]!.dropFirst(preDays)) },
                pre: pre,
                treated: ids.map { design.assignment[$0] == .treatment },
                strata: design.strata.map { $0.map { index[$0]! } },
                seed: seed,
                days: postDays,
                minDays: minDays
            )
            guard let e = analysis.estimate else { throw ValidationError("--post-days: no day to analyse") }
            print(
                String(
                    format:
                        "one estimate of a %d-device experiment (%d + %d days read from the database, analysed with its interval and the daily-monitoring test over %d looks): %.3f s (effect %+.2f %%, p %.3f, %@)",
                    ids.count,
                    preDays,
                    postDays,
                    postDays - 6,
                    Date().timeIntervalSince(began),
                    e.effectPercentage,
                    e.pValue,
                    e.sequentialCrossedAt.map { "boundary crossed on day \($0)" } ?? "boundary not crossed"
                )
            )
        }
    }
}

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

struct OptimizeFleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize-fleet",
        abstract:
            "Run the optimizer on every cabinet of a database's fleet and print the predicted lift over the current layouts.",
        discussion:
            "The models are loaded from the database (fitted first if there are none). One line per cabinet, then the fleet's totals. Progress goes to stderr."
    )

    @Option(help: "Database to read (already imported).") var db: String
    @Option(help: "Solver time limit per cabinet, seconds.") var timeLimit: Double = 10

    func run() throws {
        guard timeLimit > 0, timeLimit <= 120 else { throw ValidationError("--time-limit 0…120") }
        var config = try AppConfiguration.fromEnvironment()
        config.databasePath = db
        let err = FileHandle.standardError
        let r = try OptimizeBatch.fleet(databasePath: db, timeLimit: timeLimit, configuration: config) { _, message in
            err.write(Data((message + "\n").utf8))
        }
        for c in r.cabinets {
            if let e = c.error {
                print("\(c.deviceID) #\(c.cabinetIndex) (\(c.venueType)): \(e)")
                continue
            }
            print(
                String(
                    format:
                        "%@ #%d (%@): %.2f → %.2f per 30 days (%+.1f %% by the forecaster, %+.1f %% by the optimizer's model), gap %.4f, %d changes, %.2f s",
                    c.deviceID,
                    c.cabinetIndex,
                    c.venueType,
                    c.baselineRevenue,
                    c.predictedRevenue,
                    c.liftPercentage,
                    c.modelLiftPercentage,
                    c.gap,
                    c.changes,
                    c.seconds
                )
            )
        }
        let ok = r.cabinets.filter { $0.error == nil }
        let gaps = ok.map(\.gap)
        let modelLifts = ok.map(\.modelLiftPercentage).sorted()
        print(
            String(
                format:
                    "fleet: %d cabinets, predicted revenue %.2f → %.2f per 30 days (%+.1f %% by the forecaster; by the optimizer's model median %+.1f %%), largest gap %.4f, slowest %.2f s",
                r.cabinets.count,
                r.baselineRevenue,
                r.predictedRevenue,
                r.liftPercentage,
                modelLifts.isEmpty ? 0 : modelLifts[modelLifts.count / 2],
                gaps.max() ?? 0,
                r.cabinets.map(\.seconds).max() ?? 0
            )
        )
    }
}

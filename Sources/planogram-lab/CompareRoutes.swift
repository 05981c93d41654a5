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

struct CompareRoutes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-routes",
        abstract:
            "Plan the visits of the last days of the history as routes and compare their driving with the order they were made in.",
        discussion:
            "Prints one JSON object per day ({date, visits, historical_minutes, nearest_neighbour_minutes, planned_minutes, …}) and a summary line. Progress goes to stderr."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Days of the history, counted back from its last.") var days: Int = 14
    @Option(help: "Seconds the solver may search per day.") var timeLimit: Double = 10

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...365).contains(days), timeLimit > 0, timeLimit <= 600 else {
            throw ValidationError("--days 1…365, --time-limit 0…600")
        }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "compare-routes")
        defer { cleanup() }
        let config = try AppConfiguration.fromEnvironment()
        let err = FileHandle.standardError
        let rows = try RouteHistory.compare(
            store: try Store(path: path),
            configuration: config,
            solver: RouteSolver.configured(),
            days: days,
            timeLimit: timeLimit
        ) { err.write(Data(($0 + "\n").utf8)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for r in rows { print(String(decoding: try encoder.encode(r), as: UTF8.self)) }
        let ok = rows.filter { $0.plannedUnserved == 0 && $0.violations == 0 }
        let h = ok.reduce(0.0) { $0 + $1.historicalMinutes }
        let n = ok.reduce(0.0) { $0 + $1.nearestNeighbourMinutes }
        let p = ok.reduce(0.0) { $0 + $1.plannedMinutes }
        let hk = ok.reduce(0.0) { $0 + $1.historicalKm }
        let nk = ok.reduce(0.0) { $0 + $1.nearestNeighbourKm }
        let pk = ok.reduce(0.0) { $0 + $1.plannedKm }
        print(
            String(
                format:
                    "days %d (%d with every visit routed, no violation), visits %d: driving %.0f min in the history's order, %.0f nearest neighbour, %.0f planned: %.1f %% less than the history's order, %.1f %% less than nearest neighbour; distance %.0f / %.0f / %.0f km",
                rows.count,
                ok.count,
                ok.reduce(0) { (n: Int, d: RouteHistory.Day) in n + d.visits },
                h,
                n,
                p,
                h > 0 ? (1 - p / h) * 100 : 0,
                n > 0 ? (1 - p / n) * 100 : 0,
                hk,
                nk,
                pk
            )
        )
    }
}

import ArgumentParser
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

/// Where a backtest's history comes from (an imported database, or a fixtures directory imported into a
/// temporary one) and the clock its days are read on: the options every `backtest` mode shares.
struct HistorySource: ParsableArguments {
    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(
        help:
            "Read the history's days and trading hours (with `plan`, plan the visits too) on this zone's clock (IANA name; default UTC), as a server with that PLANOGRAM_TIMEZONE does."
    ) var timeZone: String?

    /// The history, read on the clock (the temporary database is removed once it is read).
    func load(label: String) throws -> (history: SalesHistory, clock: FleetClock) {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard let clock = timeZone.map({ FleetClock(identifier: $0) }) ?? .utc else {
            throw ValidationError("--time-zone: no zone named \(timeZone ?? "")")
        }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: label)
        defer { cleanup() }
        let store = try Store(path: path)
        return (try InsightsEngine.loadHistory(store, clock: clock), clock)
    }
}

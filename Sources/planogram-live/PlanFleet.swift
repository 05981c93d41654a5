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

struct PlanFleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Forecast every device, plan the service visits and make the pick lists, and say how long it took.",
        discussion:
            "Reads the models from the database (fits them first if there are none). The same computation as GET /api/devices/{id}/forecast, /api/service-plan and /api/pick-lists, for the whole fleet at once."
    )

    @Option(help: "Database to read (already imported).") var db: String
    @Option(help: "Days to plan.") var days: Int = 7

    func run() throws {
        guard (1...28).contains(days) else { throw ValidationError("--days must be 1…28") }
        var config = try AppConfiguration.fromEnvironment()
        config.databasePath = db
        let r = try FleetPlanRun.run(databasePath: db, days: days, configuration: config)
        print(
            String(
                format:
                    "devices %d, slots %d: forecast + service plan (%d visits) + pick lists (%d lines) in %.2f s (stock %.2f s, forecasts %.2f s, plan and picks %.2f s); models loaded or fitted in %.2f s",
                r.devices,
                r.slots,
                r.visits,
                r.pickLines,
                r.totalSeconds,
                r.stockSeconds,
                r.forecastSeconds,
                r.planSeconds,
                r.fitSeconds
            )
        )
    }
}

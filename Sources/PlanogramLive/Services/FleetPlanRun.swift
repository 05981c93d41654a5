import Forecasting
import Foundation
import HTTPAPI
import Insights
import Logging
import PlanogramDomain
import Store

/// A whole fleet's forecast, service plan and pick lists in one go, timed: what `planogram-live plan`
/// prints (and `Ops/bench demand` measures). The models are loaded from the store (fitted first if the
/// store has none, timed apart).
package enum FleetPlanRun {
    package struct Report: Sendable {
        package var devices = 0
        package var slots = 0
        package var visits = 0
        package var pickLines = 0
        package var fitSeconds = 0.0
        package var stockSeconds = 0.0
        package var forecastSeconds = 0.0
        package var planSeconds = 0.0
        package var totalSeconds: Double { stockSeconds + forecastSeconds + planSeconds }
    }

    package static func run(
        databasePath: String,
        days: Int,
        configuration: AppConfiguration = AppConfiguration(),
        logger: Logger = Logger(label: "planogram-live")
    ) throws -> Report {
        var report = Report()
        let (app, loaded) = try offline(databasePath: databasePath, configuration: configuration, logger: logger)
        let store = app.store
        report.fitSeconds = loaded.seconds
        guard let snap = loaded.snapshot else { return report }
        let cat = app.catalog.current
        let ids = cat.devices.keys.sorted()
        report.devices = ids.count
        let now = try app.asOf()
        var t = Date()
        let stock = try FleetStock.load(store: store, catalog: cat, deviceIDs: ids, now: now)
        report.stockSeconds = Date().timeIntervalSince(t)
        t = Date()
        for id in ids {
            report.slots += try DeviceOutlook.outlook(
                app: app,
                snap: snap,
                deviceID: id,
                stock: stock[id],
                now: now,
                days: days
            ).slots.count
        }
        report.forecastSeconds = Date().timeIntervalSince(t)
        t = Date()
        let everyone = Principal(subject: "plan", name: "plan", role: .admin, expires: .max, devices: nil)
        let plan = try ServicePlanBuilder.plan(
            app: app,
            snap: snap,
            principal: everyone,
            deviceID: nil,
            now: now,
            fromDay: app.clock.day(of: now),
            days: days,
            stock: stock
        )
        let firstDay = plan.first?.day
        let totals = PickTotals.byProduct(plan.filter { $0.day == firstDay }) { cat.products[$0]?.caseSize ?? 1 }
        report.planSeconds = Date().timeIntervalSince(t)
        report.visits = plan.count
        report.pickLines = plan.reduce(0) { $0 + $1.picks.count } + totals.count
        return report
    }

    /// The application over a database for command-line work (no server): the context and the models,
    /// loaded from the store or fitted first when it has none, with the time that took.
    static func offline(
        databasePath: String,
        configuration: AppConfiguration,
        logger: Logger
    ) throws
        -> (AppContext, (snapshot: InsightsEngine.Snapshot?, seconds: Double))
    {
        let store = try Store(path: databasePath)
        let app = try AppContext(
            configuration: configuration,
            store: store,
            secret: String(repeating: "x", count: 32),
            logger: logger
        )
        let insights = InsightsEngine(store: store, logger: logger, clock: configuration.clock)
        let started = Date()
        if !insights.loadStored() { try insights.rebuild() }
        return (app, (insights.current, Date().timeIntervalSince(started)))
    }
}

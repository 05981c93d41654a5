import Dispatch
import Foundation
import HTTPAPI
import Jobs
import Logging
import PlanogramDomain
import Routing
import Store

/// The nightly routes (docs/OPERATIONS.md, "The nightly plan"): at `PLANOGRAM_NIGHTLY_PLAN_AT` on the fleet's
/// clock (02:00 by default; `off` disables) the day's routes are planned as a job — every depot, every truck —
/// so a driver opening the page has a route without a manager pressing a button. The day planned is the local
/// date of the run; a fleet whose data ended more than 28 days before (a demo fleet) gets the day after its
/// newest data instead. Exactly one run a night in a cluster: the nodes claim the night in the store
/// (`nightly_plans`, one row per night) and the one whose row it is plans.
final class NightlyPlan: @unchecked Sendable {
    let app: AppContext
    let insights: InsightsEngine
    let runner: JobRunner
    let solver: RouteSolver
    /// Minutes after local midnight.
    let minute: Int
    private let queue = DispatchQueue(label: "planogram.nightly-plan")
    private var timer: DispatchSourceTimer?

    init(app: AppContext, insights: InsightsEngine, runner: JobRunner, solver: RouteSolver, minute: Int) {
        self.app = app
        self.insights = insights
        self.runner = runner
        self.solver = solver
        self.minute = minute
    }

    /// Looks every 30 s whether tonight's run is due (confined to `queue`).
    func start() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + 1, repeating: 30)
        t.setEventHandler { [weak self] in
            guard let self else { return }
            do { _ = try runIfDue(now: Int64(Date().timeIntervalSince1970)) } catch {
                app.logger.error("nightly plan failed", metadata: ["error": "\(error)"])
            }
        }
        timer = t
        t.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    /// Plans tonight's routes if the local time at `now` is past the hour and no node has claimed tonight yet.
    /// Returns the job's id when this call started it.
    func runIfDue(now: Int64) throws -> String? {
        let clock = app.clock
        let night = clock.day(of: now)
        guard now >= clock.instant(day: night, minute: minute) else { return nil }
        guard let snap = insights.current else { return nil }  // the models are not fitted yet: next tick
        let asOf = try app.asOf()
        let dataDay = clock.day(of: asOf)
        let day = night - dataDay <= 28 ? night : dataDay + 1
        guard try claim(night: night, day: day) else { return nil }
        let cat = app.catalog.current
        let fleet: (depots: [Depot], vehicles: [Vehicle])
        do { fleet = try RouteRoutes.fleet(cat, depotID: nil, vehicleIDs: nil) } catch {
            app.logger.warning("nightly plan: nothing to plan with", metadata: ["reason": "\(error)"])
            return nil
        }
        let planner = Principal(
            subject: "nightly-plan",
            name: "Nightly plan",
            role: .admin,
            expires: .max,
            devices: nil
        )
        let id = try RoutePlanJob.submit(
            app: app,
            snap: snap,
            runner: runner,
            solver: solver,
            principal: planner,
            date: day,
            now: asOf,
            fleet: fleet,
            deviceIDs: nil,
            timeLimit: RouteRoutes.defaultTimeLimit
        )
        try app.store.write { db in
            try db.run(
                "UPDATE nightly_plans SET job_id = ? WHERE night = ?",
                [.text(id), .text(FleetClock.dateText(night))]
            )
        }
        app.logger.info(
            "nightly plan started",
            metadata: ["night": "\(FleetClock.dateText(night))", "day": "\(FleetClock.dateText(day))", "job": "\(id)"]
        )
        return id
    }

    /// Claims the night; false when another process, or an earlier run of this one, has it. Each claim
    /// writes a token of its own, so only the call whose row it is wins.
    func claim(night: Int64, day: Int64) throws -> Bool {
        let token = "\(app.configuration.nodeID) \(UUID().uuidString)"
        return try app.store.write { db in
            try db.run(
                """
                INSERT INTO nightly_plans(night, day, claimed_by, claimed_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (night) DO NOTHING
                """,
                [
                    .text(FleetClock.dateText(night)), .text(FleetClock.dateText(day)), .text(token),
                    .int(Int64(Date().timeIntervalSince1970)),
                ]
            )
            let owner = try db.query(
                "SELECT claimed_by FROM nightly_plans WHERE night = ?",
                [.text(FleetClock.dateText(night))]
            ) { $0.text(0) }.first
            return owner == token
        }
    }
}

import Forecasting
import Foundation
import HTTPAPI
import Insights
import Jobs
import PlanogramDomain
import Routing
import Store

/// A day's routes planned as a job (docs/API.md, "Routes"): the day's service-plan visits (or the devices
/// named) routed with the trucks given, the result kept as the day's plan unless the stored one visits a
/// device outside the principal's claim. The one job behind `POST /api/routes/plan` and the nightly plan
/// (`NightlyPlan`).
enum RoutePlanJob {
    static func submit(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        runner: JobRunner,
        solver: RouteSolver,
        principal p: Principal,
        date: Int64,
        now: Int64,
        fleet: (depots: [Depot], vehicles: [Vehicle]),
        deviceIDs: [String]?,
        timeLimit limit: Double
    ) throws -> String {
        let cat = app.catalog.current
        let first = min(app.clock.day(of: now), date)
        guard
            let id = runner.submit(
                kind: "routes_plan",
                by: p,
                devices: deviceIDs.map(Set.init) ?? p.devices,
                { ctx in
                    ctx.progress(0.02, "service plan of \(FleetClock.dateText(date))")
                    var plan = try ServicePlanBuilder.plan(
                        app: app,
                        snap: snap,
                        principal: p,
                        deviceID: nil,
                        now: now,
                        fromDay: first,
                        days: Int(date - first) + 1
                    ).filter { $0.day == date }
                    if let ids = deviceIDs { plan = plan.filter { ids.contains($0.deviceID) } }
                    var candidates = plan.compactMap {
                        RoutePlanning.candidate($0, catalog: cat, visitCost: app.configuration.visitCost)
                    }
                    // Devices asked for by name that the plan does not visit that day: routed as requested
                    // visits, worth ten visits' cost, with nothing to load.
                    for extra in (deviceIDs ?? []) where !candidates.contains(where: { $0.deviceID == extra }) {
                        guard let d = cat.devices[extra] else { continue }
                        candidates.append(
                            .init(
                                deviceID: d.id,
                                name: d.name,
                                latitude: d.latitude,
                                longitude: d.longitude,
                                access: d.access,
                                serviceMinutes: d.serviceMinutes,
                                load: 0,
                                value: 10 * app.configuration.visitCost,
                                reasons: ["requested"],
                                pick: []
                            )
                        )
                    }
                    if ctx.isCancelled { throw JobFailure(message: "cancelled") }
                    let built = RoutePlanning.build(
                        date: date,
                        candidates: candidates,
                        depots: fleet.depots,
                        vehicles: fleet.vehicles,
                        travel: try app.store.travelMatrix(),
                        configuration: app.configuration
                    )
                    let routable = candidates.count - built.setAside.count
                    ctx.progress(
                        0.1,
                        "solving \(routable) visits with \(fleet.vehicles.count) trucks (\(Int(limit)) s)"
                    )
                    let result: DayRoutesBody
                    do {
                        result = try RoutePlanning.solve(
                            built,
                            date: date,
                            clock: app.configuration.clock,
                            jobID: ctx.id,
                            solver: solver,
                            timeLimit: limit,
                            now: Int64(Date().timeIntervalSince1970),
                            progress: { f, best in
                                ctx.progress(
                                    0.1 + 0.85 * f,
                                    String(
                                        format: "best so far: routes' cost plus value left out %.2f",
                                        Double(best) / 1000
                                    )
                                )
                            },
                            cancelled: { ctx.isCancelled }
                        )
                    } catch let e as RouteSolverError {
                        throw JobFailure(message: e == .cancelled ? "cancelled" : e.description)
                    }
                    ctx.progress(0.98, "saving the routes")
                    try app.store.saveRoutePlan(
                        StoredRoutePlan(
                            date: result.date,
                            jobID: ctx.id,
                            plannedBy: p.subject,
                            plannedAt: Int64(Date().timeIntervalSince1970),
                            body: Data(try APIJSON.encode(result))
                        ),
                        mayReplace: { old in try RouteRoutes.mayReplace(old, by: p) }
                    )
                    return result
                }
            )
        else {
            throw APIError.jobQueueFull
        }
        return id
    }
}

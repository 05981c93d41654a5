import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import Jobs
import PlanogramDomain
import Routing
import Store

/// docs/API.md: `POST /api/routes/plan` (a job: the day's routes from the service plan, progress with the
/// best objective so far, cancellable, a time limit) and `GET /api/routes` (the planned day; a driver sees
/// the stops of the devices in their token, each with its pick list).
struct RouteRoutes {
    let app: AppContext
    let insights: InsightsEngine
    let runner: JobRunner
    let solver: RouteSolver
    static let planners: Set<Role> = [.manager, .admin]
    static let readers: Set<Role> = [.manager, .admin, .driver]
    static let defaultTimeLimit = 10.0
    static let maxTimeLimit = 120.0

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        let runner = self.runner
        let solver = self.solver
        router.post("/api/routes/plan", name: "routes_plan", admit: app.auth.admit(Self.planners)) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.planners)
                let body = try JSONRequest.decode(RoutePlanRequest.self, req)
                guard let date = try APIQuery.date(body.date, name: "date") else {
                    throw APIError.badRequest("date is required (YYYY-MM-DD)")
                }
                let limit = body.timeLimitSeconds ?? Self.defaultTimeLimit
                guard limit >= 1, limit <= Self.maxTimeLimit else {
                    throw APIError.badRequest("time_limit_seconds must be from 1 to \(Int(Self.maxTimeLimit))")
                }
                let cat = app.catalog.current
                let fleet = try Self.fleet(cat, depotID: body.depotID, vehicleIDs: body.vehicleIDs)
                if let ids = body.deviceIDs {
                    guard !ids.isEmpty else {
                        throw APIError.badRequest("device_ids must name at least one device (or be left out)")
                    }
                    if let unknown = ids.first(where: { cat.devices[$0] == nil }) {
                        throw APIError.unprocessable(
                            "unknown_device",
                            "no device \(unknown)",
                            details: ["device_id": unknown]
                        )
                    }
                    if let outside = ids.first(where: { !p.mayTouch(device: $0) }) {
                        throw APIError.forbidden(
                            "this token does not cover device \(outside)",
                            details: ["device_id": outside]
                        )
                    }
                }
                // A scoped token plans only its devices and never replaces a day it could not have planned.
                if let stored = try app.store.routePlan(date: FleetClock.dateText(date)) {
                    try Self.mayReplace(stored, by: p)
                }
                let snap = try insights.snapshotOrUnavailable()
                let now = try app.asOf()
                let first = min(app.clock.day(of: now), date)
                guard date - first <= 28 else {
                    throw APIError.badRequest(
                        "date must be within 28 days of the data (\(FleetClock.dateText(app.clock.day(of: now))))"
                    )
                }
                let id = try RoutePlanJob.submit(
                    app: app,
                    snap: snap,
                    runner: runner,
                    solver: solver,
                    principal: p,
                    date: date,
                    now: now,
                    fleet: fleet,
                    deviceIDs: body.deviceIDs,
                    timeLimit: limit
                )
                return (202, JobAcceptedResponse(jobID: id, eventsURL: "/api/jobs/\(id)/events"))
            }
        }
        router.get("/api/routes", name: "routes") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                guard let date = try APIQuery.date(req.queryValue("date"), name: "date") else {
                    throw APIError.badRequest("date is required (YYYY-MM-DD)")
                }
                let vehicle = try app.vehicle(req.queryValue("vehicle_id"), for: p)
                if let vehicle, app.catalog.current.vehicles[vehicle] == nil {
                    throw APIError.notFound("unknown vehicle \(vehicle)")
                }
                guard let day = try StoredRoutes.stored(app, date: date) else {
                    throw APIError.notFound(
                        "no routes are planned for \(FleetClock.dateText(date)); a manager plans them with POST /api/routes/plan"
                    )
                }
                return (200, StoredRoutes.visible(day, to: p, vehicle: vehicle))
            }
        }
    }

    /// The trucks of the request: every truck, those of one depot, or the ones named (422 for an unknown
    /// depot or vehicle, or a named truck of another depot).
    static func fleet(
        _ cat: Catalog,
        depotID: String?,
        vehicleIDs: [String]?
    ) throws -> (depots: [Depot], vehicles: [Vehicle]) {
        if let depotID, cat.depots[depotID] == nil {
            throw APIError.unprocessable("unknown_depot", "no depot \(depotID)", details: ["depot_id": depotID])
        }
        var vehicles: [Vehicle]
        if let ids = vehicleIDs {
            guard !ids.isEmpty else {
                throw APIError.badRequest("vehicle_ids must name at least one vehicle (or be left out)")
            }
            vehicles = try ids.map { id in
                guard let v = cat.vehicles[id] else {
                    throw APIError.unprocessable("unknown_vehicle", "no vehicle \(id)", details: ["vehicle_id": id])
                }
                return v
            }
            if let depotID, let other = vehicles.first(where: { $0.depotID != depotID }) {
                throw APIError.unprocessable(
                    "vehicle_not_at_depot",
                    "vehicle \(other.id) is based at \(other.depotID), not \(depotID)"
                )
            }
        } else {
            vehicles = cat.vehicles.values.filter { depotID == nil || $0.depotID == depotID }.sorted { $0.id < $1.id }
        }
        let depots = Set(vehicles.map(\.depotID)).sorted().compactMap { cat.depots[$0] }
        guard !vehicles.isEmpty, depots.count == Set(vehicles.map(\.depotID)).count else {
            throw APIError.unprocessable(
                "no_vehicles",
                vehicles.isEmpty ? "no vehicles to plan with (vehicles.csv)" : "a vehicle's depot is not in depots.csv"
            )
        }
        return (depots, vehicles)
    }

    /// 409 when the day's stored routes visit a device outside the token's claim: a scoped token may only
    /// replace a plan it could have made itself.
    static func mayReplace(_ stored: StoredRoutePlan, by p: Principal) throws(APIError) {
        guard p.devices != nil else { return }
        guard let day = try? JSONDecoder().decode(DayRoutesBody.self, from: stored.body) else {
            throw APIError.conflict(
                "the routes stored for \(stored.date) cannot be read; a token without a device claim replans the day"
            )
        }
        let devices = day.routes.flatMap { $0.stops.map(\.deviceID) } + day.unassigned.map(\.deviceID)
        if let outside = devices.first(where: { !p.mayTouch(device: $0) }) {
            throw APIError.conflict(
                "the routes planned for \(stored.date) visit \(outside), which this token does not cover; they are not replaced",
                details: ["device_id": outside]
            )
        }
    }
}

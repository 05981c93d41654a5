import EventLoopHTTP
import Forecasting
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Store

/// docs/MODELS.md for route managers and drivers: the service plan (`GET /api/service-plan`) and the day's pick
/// lists (`GET /api/pick-lists`). Both are computed on request from the stock by lot, the count model and
/// the settings (`PLANOGRAM_VISIT_COST`, `PLANOGRAM_MAX_VISIT_INTERVAL_DAYS`, `PLANOGRAM_SERVICE_LEVEL`,
/// `PLANOGRAM_EMPTY_SLOT_HOUR_COST`, `PLANOGRAM_EXPIRY_VISIT_UNITS`, `PLANOGRAM_PERISHABLE_SERVICE_LEVEL`), on
/// the blocking pool. Dates are local dates of the fleet's clock (`PLANOGRAM_TIMEZONE`, `FleetClock`), and
/// a visit's time is the device's access window opening (08:00 without one) on that clock.
struct ServicePlanRoutes {
    let app: AppContext
    let insights: InsightsEngine
    static let readers: Set<Role> = [.manager, .admin, .driver]

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        router.get("/api/service-plan", name: "service_plan") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                let days = try APIQuery.days(req.queryValue("days"))
                let snap = try insights.snapshotOrUnavailable()
                let now = try app.asOf()
                let from = try APIQuery.date(req.queryValue("from"), name: "from") ?? app.clock.day(of: now)
                let fleet = app.catalog.current.devices.keys.filter { p.mayTouch(device: $0) }.count
                let budget = try APIQuery.budget(
                    perDay: req.queryValue("visits_per_day"),
                    perWeek: req.queryValue("visits_per_week"),
                    devices: fleet
                )
                let (plan, visitCost, budgetBody) = try ServicePlanBuilder.plan(
                    app: app,
                    snap: snap,
                    principal: p,
                    now: now,
                    fromDay: from,
                    days: days,
                    within: budget
                )
                return (
                    200,
                    ServicePlanResponse(
                        from: FleetClock.dateText(from),
                        days: days,
                        asOf: FieldParse.iso8601(now),
                        visitCost: visitCost,
                        budget: budgetBody,
                        maxIntervalDays: app.configuration.maxVisitIntervalDays,
                        emptySlotHourCost: app.configuration.emptySlotHourCost,
                        expiryVisitUnits: app.configuration.expiryVisitUnits,
                        timeZone: app.configuration.clock.identifier,
                        visits: plan.map(PlannedVisitBody.init)
                    )
                )
            }
        }
        router.get("/api/service-plan/tradeoff", name: "service_plan_tradeoff") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                let days = try APIQuery.days(req.queryValue("days"))
                let snap = try insights.snapshotOrUnavailable()
                let now = try app.asOf()
                let from = try APIQuery.date(req.queryValue("from"), name: "from") ?? app.clock.day(of: now)
                return (
                    200,
                    try PlanTradeoff.compute(app: app, snap: snap, principal: p, now: now, fromDay: from, days: days)
                )
            }
        }
        router.get("/api/pick-lists", name: "pick_lists") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                guard let date = try APIQuery.date(req.queryValue("date"), name: "date") else {
                    throw APIError.badRequest("date is required (YYYY-MM-DD)")
                }
                let device = req.queryValue("device_id")
                let cat = app.catalog.current
                let depot = req.queryValue("depot_id")
                // A driver bound to a truck sees that truck's stops in route order, and nothing else.
                let asked = try app.vehicle(req.queryValue("vehicle_id"), for: p)
                if p.vehicle != nil, depot != nil {
                    throw APIError.forbidden(
                        "this token is bound to truck \(p.vehicle ?? ""): its pick lists are that truck's"
                    )
                }
                if let depot {
                    guard cat.depots[depot] != nil else { throw APIError.notFound("unknown depot \(depot)") }
                    guard req.queryValue("vehicle_id") == nil else {
                        throw APIError.badRequest(
                            "give vehicle_id or depot_id, not both (a truck's stops are its route's)"
                        )
                    }
                }
                if let vehicle = asked {
                    // A truck's pick lists are those of its planned stops, in driving order.
                    guard cat.vehicles[vehicle] != nil else { throw APIError.notFound("unknown vehicle \(vehicle)") }
                    guard let day = try StoredRoutes.stored(app, date: date) else {
                        throw APIError.unprocessable(
                            "no_routes",
                            "no routes are planned for \(FleetClock.dateText(date)); plan them (POST /api/routes/plan) or ask by date or device_id"
                        )
                    }
                    let stops = StoredRoutes.visible(day, to: p, vehicle: vehicle).routes.flatMap(\.stops)
                        .filter { device == nil || $0.deviceID == device }
                    let totals = PickTotals.byProduct(
                        lines: stops.flatMap { s in s.pick.map { ($0.productID, $0.load) } }
                    ) { cat.products[$0]?.caseSize ?? 1 }
                    .map { PickTotalBody($0, products: cat.products) }
                    return (
                        200,
                        PickListsResponse(
                            date: FleetClock.dateText(date),
                            asOf: day.plannedAt,
                            serviceLevel: app.configuration.serviceLevel,
                            perishableServiceLevel: app.configuration.perishableServiceLevel,
                            pickRule: app.configuration.pickRule.rawValue,
                            timeZone: day.timeZone ?? "UTC",
                            visits: stops.map {
                                PickVisitBody(deviceID: $0.deviceID, at: $0.arrive, reasons: $0.reasons, lines: $0.pick)
                            },
                            totals: totals
                        )
                    )
                }
                if let device {
                    guard cat.devices[device] != nil else { throw APIError.notFound("unknown device \(device)") }
                    try app.auth.requireDevice(p, device)
                }
                let snap = try insights.snapshotOrUnavailable()
                let now = try app.asOf()
                let first = min(app.clock.day(of: now), date)
                guard date - first <= 28 else {
                    throw APIError.badRequest(
                        "date must be within 28 days of the data (\(FleetClock.dateText(app.clock.day(of: now))))"
                    )
                }
                var plan = try ServicePlanBuilder.plan(
                    app: app,
                    snap: snap,
                    principal: p,
                    deviceID: device,
                    now: now,
                    fromDay: first,
                    days: Int(date - first) + 1
                )
                .filter { $0.day == date }
                if let depot {
                    // The day's visits nearest the depot by drive (DepotAssignment), and their totals.
                    let nearest = DepotAssignment.nearest(
                        devices: plan.compactMap { cat.devices[$0.deviceID] },
                        depots: Array(cat.depots.values),
                        travel: try app.store.travelMatrix(from: cat.depots.keys.sorted()),
                        configuration: app.configuration
                    )
                    plan = plan.filter { nearest[$0.deviceID] == depot }
                }
                let totals = PickTotals.byProduct(plan) { cat.products[$0]?.caseSize ?? 1 }
                let visits = plan.map { v in
                    PickVisitBody(
                        deviceID: v.deviceID,
                        at: FieldParse.iso8601(v.at),
                        reasons: v.reasons,
                        lines: v.picks.map { PickLineBody($0, products: cat.products) }
                    )
                }
                let totalBodies = totals.map { PickTotalBody($0, products: cat.products) }
                return (
                    200,
                    PickListsResponse(
                        date: FleetClock.dateText(date),
                        asOf: FieldParse.iso8601(now),
                        serviceLevel: app.configuration.serviceLevel,
                        perishableServiceLevel: app.configuration.perishableServiceLevel,
                        pickRule: app.configuration.pickRule.rawValue,
                        timeZone: app.configuration.clock.identifier,
                        visits: visits,
                        totals: totalBodies
                    )
                )
            }
        }
    }

}

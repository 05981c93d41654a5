import EventLoopHTTP
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import Store

/// SPEC §11 for route managers and drivers: the service plan (`GET /api/service-plan`) and the day's pick
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
                let days = try Self.days(req.queryValue("days"))
                let snap = try InsightRoutes.snapshot(insights)
                let now = try Self.asOf(app)
                let from = try Self.day(req.queryValue("from"), name: "from") ?? Self.localDay(app, now)
                let plan = try Self.plan(
                    app: app,
                    snap: snap,
                    principal: p,
                    deviceID: nil,
                    now: now,
                    fromDay: from,
                    days: days
                )
                return (
                    200,
                    ServicePlanResponse(
                        from: Self.dateText(from),
                        days: days,
                        asOf: FieldParse.iso8601(now),
                        visitCost: app.configuration.visitCost,
                        maxIntervalDays: app.configuration.maxVisitIntervalDays,
                        emptySlotHourCost: app.configuration.emptySlotHourCost,
                        expiryVisitUnits: app.configuration.expiryVisitUnits,
                        timeZone: app.configuration.clock.identifier,
                        visits: plan.map(PlannedVisitBody.init)
                    )
                )
            }
        }
        router.get("/api/pick-lists", name: "pick_lists") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                guard let date = try Self.day(req.queryValue("date"), name: "date") else {
                    throw APIError.badRequest("date is required (YYYY-MM-DD)")
                }
                let device = req.queryValue("device_id")
                let cat = app.catalog.current
                let depot = req.queryValue("depot_id")
                if let depot {
                    guard cat.depots[depot] != nil else { throw APIError.notFound("unknown depot \(depot)") }
                    guard req.queryValue("vehicle_id") == nil else {
                        throw APIError.badRequest(
                            "give vehicle_id or depot_id, not both (a truck's stops are its route's)"
                        )
                    }
                }
                if let vehicle = req.queryValue("vehicle_id") {
                    // A truck's pick lists are those of its planned stops, in driving order.
                    guard cat.vehicles[vehicle] != nil else { throw APIError.notFound("unknown vehicle \(vehicle)") }
                    guard let day = try RouteRoutes.stored(app, date: date) else {
                        throw APIError.unprocessable(
                            "no_routes",
                            "no routes are planned for \(Self.dateText(date)); plan them (POST /api/routes/plan) or ask by date or device_id"
                        )
                    }
                    let stops = RouteRoutes.visible(day, to: p, vehicle: vehicle).routes.flatMap(\.stops)
                        .filter { device == nil || $0.deviceID == device }
                    let totals = PickTotals.byProduct(
                        lines: stops.flatMap { s in s.pick.map { ($0.productID, $0.load) } }
                    ) { cat.products[$0]?.caseSize ?? 1 }
                    .map { PickTotalBody($0, products: cat.products) }
                    return (
                        200,
                        PickListsResponse(
                            date: Self.dateText(date),
                            asOf: day.plannedAt,
                            serviceLevel: app.configuration.serviceLevel,
                            perishableServiceLevel: app.configuration.perishableServiceLevel,
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
                let snap = try InsightRoutes.snapshot(insights)
                let now = try Self.asOf(app)
                let first = min(Self.localDay(app, now), date)
                guard date - first <= 28 else {
                    throw APIError.badRequest(
                        "date must be within 28 days of the data (\(Self.dateText(Self.localDay(app, now))))"
                    )
                }
                var plan = try Self.plan(
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
                        date: Self.dateText(date),
                        asOf: FieldParse.iso8601(now),
                        serviceLevel: app.configuration.serviceLevel,
                        perishableServiceLevel: app.configuration.perishableServiceLevel,
                        timeZone: app.configuration.clock.identifier,
                        visits: visits,
                        totals: totalBodies
                    )
                )
            }
        }
    }

    /// The plan for the token's devices (or one device).
    static func plan(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        principal p: Principal,
        deviceID: String?,
        now: Int64,
        fromDay: Int64,
        days: Int,
        stock preloaded: [String: FleetStock.DeviceStock]? = nil
    ) throws -> [PlannedVisit] {
        let cat = app.catalog.current
        let ids = deviceID.map { [$0] } ?? cat.devices.keys.filter { p.mayTouch(device: $0) }.sorted()
        var devices: [PlannerDevice] = []
        let stock = try preloaded ?? FleetStock.load(store: app.store, catalog: cat, deviceIDs: ids, now: now)
        for id in ids {
            guard let device = cat.devices[id], let s = stock[id] else { continue }
            let cabinets = cat.cabinets(of: id)
            let ledger = s.ledger
            let lastRestock = s.lastRestock
            var slots: [PlannerSlot] = []
            for cabinet in cabinets {
                guard let plan = try app.published.current(CabinetKey(id, cabinet.index)) else { continue }
                for (slot, f) in plan.sortedFacings {
                    guard let product = cat.products[f.productID] else { continue }
                    let key = SlotKey(CabinetKey(id, cabinet.index), slot)
                    let stock = ledger.productOf[key] == f.productID ? ledger.slots[key] : nil
                    slots.append(
                        PlannerSlot(
                            key: key,
                            productID: f.productID,
                            price: product.price,
                            unitCost: product.unitCost,
                            capacity: f.capacity,
                            caseSize: product.caseSize,
                            shelfLifeDays: product.shelfLifeDays,
                            demand: snap.counts.path(
                                model: snap.model,
                                deviceID: id,
                                cabinet: cabinet,
                                slot: slot,
                                productID: f.productID,
                                fromDay: localDay(app, now),
                                days: days + 16,
                                clock: app.configuration.clock
                            ),
                            lots: stock?.lots.map { (loadedAt: $0.loadedAt, units: $0.units) } ?? []
                        )
                    )
                }
            }
            devices.append(
                PlannerDevice(
                    deviceID: id,
                    access: device.access,
                    lastVisit: lastRestock,
                    slots: slots,
                    usualIntervalDays: snap.model.serviceInterval(id)
                )
            )
        }
        var planner = ServicePlanner(
            visitCost: app.configuration.visitCost,
            maxIntervalDays: app.configuration.maxVisitIntervalDays,
            serviceLevel: app.configuration.serviceLevel
        )
        planner.emptySlotHourCost = app.configuration.emptySlotHourCost
        planner.expiryVisitUnits = app.configuration.expiryVisitUnits
        planner.perishableServiceLevel = app.configuration.perishableServiceLevel
        planner.clock = app.configuration.clock
        return planner.plan(devices, now: now, fromDay: fromDay, days: days)
    }

    /// Now, or the end of the history when it ends earlier (a demo fleet's last day).
    static func asOf(_ app: AppContext) throws -> Int64 {
        let wall = Int64(Date().timeIntervalSince1970)
        let newest = try app.store.read { db in try db.scalarInt("SELECT ts FROM sales ORDER BY ts DESC LIMIT 1") }
        return min(wall, newest.map { $0 + 1 } ?? wall)
    }

    /// The day index of a UTC instant (days since 1970): the date of a `YYYY-MM-DD` read as UTC midnight.
    static func dayOf(_ t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }

    /// The fleet's local date of an instant: the days of service plans, pick lists, routes, the daily totals
    /// (`sales_daily`), the fleet KPIs and experiments, and the models' days.
    static func localDay(_ app: AppContext, _ t: Int64) -> Int64 { app.configuration.clock.day(of: t) }

    static func dateText(_ day: Int64) -> String { String(FieldParse.iso8601(day * 86_400).prefix(10)) }

    static func day(_ text: String?, name: String) throws(APIError) -> Int64? {
        guard let text else { return nil }
        guard let t = Array(text.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0, dateOnlyAllowed: true) }),
            text.utf8.count == 10
        else {
            throw .badRequest("\(name) must be a date YYYY-MM-DD")
        }
        return dayOf(t)
    }

    static func days(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 7 }
        guard let d = Int(text), (1...28).contains(d) else {
            throw .badRequest("days must be a whole number from 1 to 28")
        }
        return d
    }
}

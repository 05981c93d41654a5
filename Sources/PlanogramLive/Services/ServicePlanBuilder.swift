import Forecasting
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Store

/// The service plan (docs/API.md, "Service plan"): each device's slots with their demand paths and stock by lot
/// handed to `ServicePlanner` with the settings (`PLANOGRAM_VISIT_COST` and the rest). The one computation
/// behind `GET /api/service-plan`, the pick lists, the route plan job and the fleet plan job.
enum ServicePlanBuilder {
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
        let devices = try devices(
            app: app,
            snap: snap,
            principal: p,
            deviceID: deviceID,
            now: now,
            days: days,
            stock: preloaded
        )
        return planner(app).plan(devices, now: now, fromDay: fromDay, days: days)
    }

    /// The plan within a budget of visits: the planner at the lowest visit price that keeps to it
    /// (`VisitBudget`), never below `PLANOGRAM_VISIT_COST`.
    static func plan(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        principal p: Principal,
        now: Int64,
        fromDay: Int64,
        days: Int,
        budget: VisitBudget,
        stock preloaded: [String: FleetStock.DeviceStock]? = nil
    ) throws -> VisitBudget.Outcome {
        let devices = try devices(
            app: app,
            snap: snap,
            principal: p,
            deviceID: nil,
            now: now,
            days: days,
            stock: preloaded
        )
        return budget.plan(planner(app), devices, now: now, fromDay: fromDay, days: days)
    }

    /// The plan for the token's devices, within `budget` when one is given: the visits, the price of a visit
    /// it was made at, and the budget's outcome (nil without a budget). The one call of the service plan route
    /// and the fleet plan job.
    static func plan(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        principal p: Principal,
        now: Int64,
        fromDay: Int64,
        days: Int,
        within budget: VisitBudget?,
        stock preloaded: [String: FleetStock.DeviceStock]? = nil
    ) throws -> (visits: [PlannedVisit], visitCost: Double, budget: ServicePlanResponse.Budget?) {
        guard let budget else {
            let visits = try plan(
                app: app,
                snap: snap,
                principal: p,
                deviceID: nil,
                now: now,
                fromDay: fromDay,
                days: days,
                stock: preloaded
            )
            return (visits, app.configuration.visitCost, nil)
        }
        let o = try plan(
            app: app,
            snap: snap,
            principal: p,
            now: now,
            fromDay: fromDay,
            days: days,
            budget: budget,
            stock: preloaded
        )
        return (o.visits, (o.visitCost * 100).rounded() / 100, ServicePlanResponse.Budget(budget, outcome: o))
    }

    /// The planner with the settings (`PLANOGRAM_VISIT_COST` and the rest).
    static func planner(_ app: AppContext) -> ServicePlanner {
        var planner = ServicePlanner(
            visitCost: app.configuration.visitCost,
            maxIntervalDays: app.configuration.maxVisitIntervalDays,
            serviceLevel: app.configuration.serviceLevel
        )
        planner.emptySlotHourCost = app.configuration.emptySlotHourCost
        planner.expiryVisitUnits = app.configuration.expiryVisitUnits
        planner.perishableServiceLevel = app.configuration.perishableServiceLevel
        planner.pickRule = app.configuration.pickRule
        planner.clock = app.configuration.clock
        return planner
    }

    /// Each device's slots with their demand paths over `days` (and two weeks beyond) and stock by lot.
    static func devices(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        principal p: Principal,
        deviceID: String?,
        now: Int64,
        days: Int,
        stock preloaded: [String: FleetStock.DeviceStock]?
    ) throws -> [PlannerDevice] {
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
                    // Without a fill on record the stock is unknown: the plan assumes the slot at its capacity
                    // now (what the operator set), never a made-up emptiness, and its pick lines say so.
                    let known = ledger.basis(key, product: f.productID) != .unknown
                    var plannerSlot = PlannerSlot(
                        key: key,
                        productID: f.productID,
                        price: product.price,
                        unitCost: product.unitCost,
                        capacity: f.capacity,
                        caseSize: product.caseSize,
                        shelfLifeDays: product.shelfLifeDays,
                        demand: snap.levels.path(
                            key,
                            fromDay: app.clock.day(of: now),
                            days: days + 16,
                            clock: app.configuration.clock
                        ) {
                            snap.counts.path(
                                model: snap.model,
                                deviceID: id,
                                cabinet: cabinet,
                                slot: slot,
                                productID: f.productID,
                                fromDay: app.clock.day(of: now),
                                days: days + 16,
                                clock: app.configuration.clock
                            )
                        },
                        lots: known
                            ? stock?.lots.map { (loadedAt: $0.loadedAt, units: $0.units) } ?? []
                            : [(loadedAt: now, units: f.capacity)]
                    )
                    plannerSlot.stockBasis = known ? .inferred : .unknown
                    plannerSlot.par = f.par.map { min($0, f.capacity) }
                    slots.append(plannerSlot)
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
        return devices
    }
}

import EventLoopHTTP
import Foundation
import HTTPAPI
import PlanogramDomain
import Sessions
import Store

/// docs/MODELS.md: `GET /api/fleet/kpis?from=&to=` — the operations director's figures for a range of days
/// (default: the last 28 with data), each beside the same figure for the range just before it and the
/// plan's target for the change. Days are the fleet's local dates (`PLANOGRAM_TIMEZONE`). Every figure is
/// computed from the store on request (one pass each):
///
/// - revenue per device per day: sales revenue / devices / days;
/// - stockout rate: the share of restocked slots found empty at the visit (units added ≥ the slot's
///   capacity in the current planogram) — the sold-out slots a driver actually met;
/// - units spoiled: units pulled as expired at visits (recorded by drivers, `POST /api/visits`);
/// - visits per device per week: device-days with a restock, per device, per 7 days (the service cost);
/// - planogram changes: planogram versions that took effect in the range (imported or published).
struct FleetKPIRoutes {
    let app: AppContext
    static let roles: Set<Role> = [.manager, .admin]
    static let targets: [String: Double] = [
        "revenue_per_device_per_day": 20, "stockout_rate": -33, "visits_per_device_per_week": -16,
    ]

    func install(_ router: inout Router) {
        let app = self.app
        router.get("/api/fleet/kpis", name: "fleet_kpis") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                let last = app.clock.day(of: try app.asOf() - 1)
                let to = try APIQuery.date(req.queryValue("to"), name: "to") ?? last
                let from = try APIQuery.date(req.queryValue("from"), name: "from") ?? (to - 27)
                guard from <= to, to - from < 366 else {
                    throw APIError.badRequest("from must not be after to, and the range at most 366 days")
                }
                return (200, try Self.kpis(app: app, principal: p, from: from, to: to))
            }
        }
    }

    static func kpis(app: AppContext, principal p: Principal, from: Int64, to: Int64) throws -> FleetKPIsResponse {
        let cat = app.catalog.current
        let clock = app.configuration.clock  // days are the fleet's local dates, as in sales_daily
        let devices = cat.devices.values.filter { p.mayTouch(device: $0.id) }
        let ids = Set(devices.map(\.id))
        let width = Int(to - from + 1)
        let baseFrom = from - Int64(width)
        let baseTo = from - 1
        let daily = try DailyMetrics.read(app.store, metric: .revenue, devices: ids, fromDay: baseFrom, toDay: to + 1)
        func revenue(_ a: Int64, _ b: Int64) -> Double {
            let lo = Int(a - baseFrom)
            let hi = Int(b - baseFrom)
            return daily.values.reduce(0) { $0 + $1[lo...hi].reduce(0, +) } / Double(max(ids.count, 1))
                / Double(b - a + 1)
        }
        // Restocks: visits and slots found empty.
        let capacities = try capacityBySlot(app, cat: cat)
        let restocks = try app.store.read { db in
            try db.query(
                "SELECT ts, device_id, cabinet_index, slot, units_added FROM services WHERE ts >= ? AND ts < ?",
                [.of(Int(clock.midnight(baseFrom))), .of(Int(clock.midnight(to + 1)))]
            ) {
                (Int64($0.int(0)), $0.text(1), Int($0.int(2)), $0.text(3), Int($0.int(4)))
            }
        }.filter { ids.contains($0.1) }
        func stockout(_ a: Int64, _ b: Int64) -> Double {
            let lines = restocks.filter { (a...b).contains(app.clock.day(of: $0.0)) }
            let known = lines.compactMap { l in capacities["\(l.1)|\(l.2)|\(l.3)"].map { (l.4, $0) } }
            return known.isEmpty ? 0 : Double(known.filter { $0.0 >= $0.1 }.count) / Double(known.count) * 100
        }
        func visits(_ a: Int64, _ b: Int64) -> Double {
            let days = Set(
                restocks.filter { (a...b).contains(app.clock.day(of: $0.0)) }.map {
                    "\($0.1)|\(app.clock.day(of: $0.0))"
                }
            )
            return Double(days.count) / Double(max(ids.count, 1)) / (Double(b - a + 1) / 7)
        }
        let pulls = try app.store.read { db in
            try db.query(
                "SELECT ts, device_id, units FROM pulls WHERE ts >= ? AND ts < ?",
                [.of(Int(clock.midnight(baseFrom))), .of(Int(clock.midnight(to + 1)))]
            ) {
                (Int64($0.int(0)), $0.text(1), Int($0.int(2)))
            }
        }.filter { ids.contains($0.1) }
        func spoiled(_ a: Int64, _ b: Int64) -> Double {
            Double(pulls.filter { (a...b).contains(app.clock.day(of: $0.0)) }.reduce(0) { $0 + $1.2 })
        }
        let changes = try app.store.read { db in
            try db.query(
                "SELECT device_id, effective_from FROM planogram_versions WHERE effective_from >= ? AND effective_from < ? AND version > 1",
                [.of(Int(clock.midnight(baseFrom))), .of(Int(clock.midnight(to + 1)))]
            ) { ($0.text(0), Int64($0.int(1))) }
        }.filter { ids.contains($0.0) }
        func changed(_ a: Int64, _ b: Int64) -> Double {
            Double(changes.filter { (a...b).contains(app.clock.day(of: $0.1)) }.count)
        }
        func kpi(_ name: String, _ unit: String, _ f: (Int64, Int64) -> Double, _ definition: String) -> FleetKPI {
            let v = f(from, to)
            let b = f(baseFrom, baseTo)
            return FleetKPI(
                name: name,
                unit: unit,
                value: Rounding.round2(v),
                baseline: Rounding.round2(b),
                changePercentage: b != 0 ? Rounding.round2((v - b) / b * 100) : nil,
                targetChangePercentage: targets[name],
                definition: definition
            )
        }
        let kpis = [
            kpi("revenue_per_device_per_day", "currency", revenue, "sales revenue / devices / days"),
            kpi("stockout_rate", "percent", stockout, "share of restocked slots found empty at the visit"),
            kpi("units_spoiled", "units", spoiled, "units pulled as expired at visits"),
            kpi("visits_per_device_per_week", "visits", visits, "device-days with a restock, per device, per 7 days"),
            kpi(
                "planogram_changes",
                "versions",
                changed,
                "planogram versions that took effect (imported or published)"
            ),
        ]
        // The series: revenue per device per day, the fleet and each venue type.
        let dates = (0..<width).map { FleetClock.dateText(from + Int64($0)) }
        func series(_ members: [String]) -> [Double] {
            (0..<width).map { d in
                Rounding.round2(
                    members.reduce(0) { $0 + (daily[$1]?[width + d] ?? 0) } / Double(max(members.count, 1))
                )
            }
        }
        var byVenue: [String: [Double]] = [:]
        for (venue, group) in Dictionary(grouping: devices, by: { $0.venueType.rawValue }) {
            byVenue[venue] = series(group.map(\.id))
        }
        return FleetKPIsResponse(
            from: FleetClock.dateText(from),
            to: FleetClock.dateText(to),
            baselineFrom: FleetClock.dateText(baseFrom),
            baselineTo: FleetClock.dateText(baseTo),
            devices: ids.count,
            kpis: kpis,
            series: FleetKPISeries(dates: dates, fleet: series(Array(ids)), byVenueType: byVenue)
        )
    }

    /// "device|cabinet|slot" → capacity in the current planograms.
    static func capacityBySlot(_ app: AppContext, cat: Catalog) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for d in cat.devices.keys {
            for c in cat.cabinets(of: d) {
                guard let plan = try app.published.current(CabinetKey(d, c.index)) else { continue }
                for (slot, f) in plan.facings { out["\(d)|\(c.index)|\(slot)"] = f.capacity }
            }
        }
        return out
    }
}

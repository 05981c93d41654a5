import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import Routing
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// docs/API.md: the day's routes as a job (the real PyVRP child), read back by managers and drivers with
/// each stop's pick list; every route checked here against the fleet's files, not the server's checker.
class RouteRoutesTests: XCTestCase {
    func events(_ port: Int, _ id: String, token: String) throws -> [RawClient.Event] {
        try jobEvents(port, id, token: token)
    }

    func json(_ e: RawClient.Event) -> [String: Any] { eventJSON(e) }

    /// Minutes of the day of `HH:MM`, and the seconds of the day of an ISO time on the wall clock of
    /// `clock` (the route's date must be its local date).
    func minute(_ t: String) -> Int { TimeWindow.minute(t)! }
    var clock = FleetClock.utc
    var routeDate = ""
    func secondOfDay(_ iso: String) -> Int {
        let t = Int64(ISO8601DateFormatter().date(from: iso)!.timeIntervalSince1970)
        let local = t + clock.offset(at: t)
        let date = String(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(local))).prefix(10))
        XCTAssertEqual(date, routeDate, "\(iso) is on the route's local date in \(clock)")
        return Int(((local % 86_400) + 86_400) % 86_400)
    }

    func csv(_ name: String) -> [[String: String]] {
        let lines = TestFleet.file(name).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let head = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(head, $0)) }
    }

    func testAManagerPlansTheDayAsAJobAndDriversReadTheirStopsWithPickLists() throws {
        try planTheDayAndCheck(zone: nil)
    }

    /// `PLANOGRAM_TIMEZONE`: the fleet's files give local wall times (access hours, depot hours, shifts),
    /// so five hours west of UTC every time of the day's plan moves by five hours, and still keeps them all.
    func testOnTheFleetsClockEveryWallTimeOfTheFilesIsKept() throws {
        try planTheDayAndCheck(zone: "America/New_York")
    }

    func planTheDayAndCheck(zone: String?) throws {
        // The test fleet has one device per city: a truck drives out for a single visit, which costs more
        // than the default 25 a visit the service plan assumes (such a visit is `day_full`, see
        // testAVisitWorthLessThanItsTripIsDayFull); at 60 a visit the planned visits are worth their trip.
        clock = try zone.map { try XCTUnwrap(FleetClock(identifier: $0)) } ?? .utc
        let clock = self.clock
        let s = try AppTestServer {
            $0.visitCost = 60
            $0.clock = clock
        }
        defer { s.stop() }
        let boss = s.token(.manager, sub: "max")
        let plan = try s.request("GET", "/api/service-plan?days=7", token: boss)
        XCTAssertEqual(plan.json["time_zone"] as? String, zone ?? "UTC")
        let visits = try XCTUnwrap(plan.json["visits"] as? [[String: Any]])
        let date = try XCTUnwrap(visits.first?["date"] as? String)
        routeDate = date
        // A planned visit is at its device's access opening on the local clock (08:00 without one), or now
        // when that has passed today.
        let accessOf = Dictionary(
            uniqueKeysWithValues: csv("devices.csv").map { ($0["device_id"]!, $0["access_from"] ?? "") }
        )
        let asOf = try XCTUnwrap(plan.json["as_of"] as? String)
        var atOpening = 0
        for v in visits where v["date"] as? String != nil {
            routeDate = v["date"] as! String
            let from = accessOf[v["device_id"] as! String] ?? ""
            let at = v["at"] as! String
            guard at != asOf else { continue }
            XCTAssertEqual(secondOfDay(at), from.isEmpty ? 8 * 3600 : minute(from) * 60, "\(v)")
            atOpening += 1
        }
        XCTAssertGreaterThan(atOpening, 0, "some visits are on later days")
        routeDate = date
        let planned = Set(visits.filter { $0["date"] as? String == date }.compactMap { $0["device_id"] as? String })
        XCTAssertFalse(planned.isEmpty)

        let started = try s.request(
            "POST",
            "/api/routes/plan",
            token: boss,
            json: ["date": date, "time_limit_seconds": 2]
        )
        XCTAssertEqual(started.status, 202, started.text)
        let id = try XCTUnwrap(started.json["job_id"] as? String)
        let stream = try events(s.port, id, token: boss)
        XCTAssertEqual(stream.last?.event, "done", "\(stream.map { ($0.event ?? "", $0.data.prefix(200)) })")
        let progress = stream.filter { $0.event == "progress" }.compactMap { json($0)["progress"] as? Double }
        XCTAssertGreaterThanOrEqual(progress.count, 3, "the solver's progress is streamed")
        XCTAssertEqual(progress, progress.sorted())
        let result = try XCTUnwrap(json(try XCTUnwrap(stream.last))["result"] as? [String: Any])
        XCTAssertEqual(result["time_zone"] as? String, zone ?? "UTC")
        let routes = try XCTUnwrap(result["routes"] as? [[String: Any]])
        let unassigned = try XCTUnwrap(result["unassigned"] as? [[String: Any]])

        // Every planned visit is routed or listed with a reason, once.
        let routed = routes.flatMap {
            ($0["stops"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String }
        }
        XCTAssertEqual(routed.count, Set(routed).count)
        XCTAssertEqual(Set(routed).union(unassigned.compactMap { $0["device_id"] as? String }), planned)
        for u in unassigned { XCTAssertFalse((u["reason"] as? String ?? "").isEmpty) }
        XCTAssertFalse(routed.isEmpty, "the test fleet's visits fit its trucks: \(unassigned)")

        // Checked against the fleet's own files: shifts, depot hours, capacity and access windows.
        let devices = Dictionary(uniqueKeysWithValues: csv("devices.csv").map { ($0["device_id"]!, $0) })
        let vehicles = Dictionary(uniqueKeysWithValues: csv("vehicles.csv").map { ($0["vehicle_id"]!, $0) })
        let depots = Dictionary(uniqueKeysWithValues: csv("depots.csv").map { ($0["depot_id"]!, $0) })
        for r in routes {
            let v = try XCTUnwrap(vehicles[r["vehicle_id"] as? String ?? ""])
            let depot = try XCTUnwrap(depots[v["depot_id"]!])
            XCTAssertEqual(r["depot_id"] as? String, v["depot_id"])
            let leave = secondOfDay(r["leave"] as! String)
            let back = secondOfDay(r["back"] as! String)
            XCTAssertGreaterThanOrEqual(leave, max(minute(v["shift_start"]!), minute(depot["opens"]!)) * 60)
            XCTAssertLessThanOrEqual(back, min(minute(v["shift_end"]!), minute(depot["closes"]!)) * 60)
            XCTAssertLessThanOrEqual(r["load_units"] as! Int, Int(v["capacity_units"]!)!)
            var t = leave
            for stop in r["stops"] as! [[String: Any]] {
                let d = try XCTUnwrap(devices[stop["device_id"] as! String])
                let arrive = secondOfDay(stop["arrive"] as! String)
                let depart = secondOfDay(stop["depart"] as! String)
                XCTAssertGreaterThan(arrive, t, "stops in driving order")
                XCTAssertGreaterThanOrEqual(depart - arrive, Int(d["service_minutes"]!)! * 60)
                if let from = d["access_from"], !from.isEmpty {
                    XCTAssertGreaterThanOrEqual(arrive, minute(from) * 60)
                    XCTAssertLessThanOrEqual(depart, minute(d["access_until"]!) * 60)
                }
                t = depart
            }
            XCTAssertGreaterThan(back, t)
            XCTAssertGreaterThan(r["distance_km"] as! Double, 0)
        }

        // The day reads back with pick lists; a driver sees only their devices.
        let day = try s.request("GET", "/api/routes?date=\(date)", token: boss)
        XCTAssertEqual(day.status, 200, day.text)
        let stops = (day.json["routes"] as? [[String: Any]] ?? []).flatMap { $0["stops"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(stops.compactMap { $0["device_id"] as? String }, routed)
        let first = try XCTUnwrap(stops.first)
        let pick = try XCTUnwrap(first["pick"] as? [[String: Any]])
        XCTAssertEqual(pick.reduce(0) { $0 + ($1["load"] as! Int) }, first["load_units"] as? Int)
        let device = try XCTUnwrap(first["device_id"] as? String)
        let driver = s.token(.driver, sub: "dee", devices: [device])
        let mine = try s.request("GET", "/api/routes?date=\(date)", token: driver)
        XCTAssertEqual(mine.status, 200)
        XCTAssertEqual(
            (mine.json["routes"] as? [[String: Any]] ?? []).flatMap {
                ($0["stops"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String }
            },
            [device]
        )
        // The truck's pick lists follow its stops.
        let truck = try XCTUnwrap(routes.first?["vehicle_id"] as? String)
        let lists = try s.request("GET", "/api/pick-lists?date=\(date)&vehicle_id=\(truck)", token: boss)
        XCTAssertEqual(lists.status, 200, lists.text)
        XCTAssertEqual(lists.json["time_zone"] as? String, zone ?? "UTC")
        XCTAssertEqual(
            (lists.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String },
            (routes.first?["stops"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String }
        )
    }

    func testBadRouteRequestsGetTheContractsErrors() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let max = s.token(.manager)
        let vehicles = csv("vehicles.csv")
        let v1 = try XCTUnwrap(vehicles.first)
        let other = vehicles.first { $0["depot_id"] != v1["depot_id"] }
        func plan(_ body: [String: Any]) throws -> APIResponse {
            try s.request("POST", "/api/routes/plan", token: max, json: body)
        }
        XCTAssertEqual(try plan(["date": "2026-13-01"]).status, 400)
        XCTAssertEqual(try plan([:]).status, 400)
        XCTAssertEqual(try plan(["date": "2026-10-30", "time_limit_seconds": 0]).status, 400)
        XCTAssertEqual(try plan(["date": "2026-10-30", "depot_id": "DEP-NOPE"]).errorCode, "unknown_depot")
        XCTAssertEqual(try plan(["date": "2026-10-30", "vehicle_ids": ["V-NOPE"]]).errorCode, "unknown_vehicle")
        XCTAssertEqual(try plan(["date": "2026-10-30", "device_ids": ["VM-404"]]).errorCode, "unknown_device")
        if let other {
            XCTAssertEqual(
                try plan(["date": "2026-10-30", "depot_id": v1["depot_id"]!, "vehicle_ids": [other["vehicle_id"]!]])
                    .errorCode,
                "vehicle_not_at_depot"
            )
        }
        XCTAssertEqual(
            try s.request("POST", "/api/routes/plan", token: s.token(.driver), json: ["date": "2026-10-30"]).status,
            403
        )
        XCTAssertEqual(
            try s.request("GET", "/api/routes?date=2026-10-30", token: max).status,
            404,
            "nothing planned yet"
        )
        XCTAssertEqual(try s.request("GET", "/api/routes?date=2026-10-30&vehicle_id=V-NOPE", token: max).status, 404)
        XCTAssertEqual(try s.request("GET", "/api/routes", token: max).status, 400)
        let lists = try s.request("GET", "/api/pick-lists?date=2026-10-30&vehicle_id=\(v1["vehicle_id"]!)", token: max)
        XCTAssertEqual(lists.errorCode, "no_routes")
    }

    func testASolverThatDiesIsAFailedJobWithTheReasonAndACancelledPlanEndsCancelled() throws {
        let broken = try AppTestServer { $0.routeSolverCommand = "/bin/false" }
        defer { broken.stop() }
        let max = broken.token(.manager)
        let date = try XCTUnwrap(
            (broken.request("GET", "/api/service-plan?days=7", token: max).json["visits"] as? [[String: Any]])?.first?[
                "date"
            ] as? String
        )
        let id = try XCTUnwrap(
            broken.request("POST", "/api/routes/plan", token: max, json: ["date": date]).json["job_id"] as? String
        )
        let end = try XCTUnwrap(events(broken.port, id, token: max).last)
        XCTAssertEqual(end.event, "failed")
        XCTAssertTrue(end.data.contains("route solver failed"), end.data)

        let s = try AppTestServer()
        defer { s.stop() }
        let job = try XCTUnwrap(
            s.request("POST", "/api/routes/plan", token: max, json: ["date": date, "time_limit_seconds": 60]).json[
                "job_id"
            ] as? String
        )
        Thread.sleep(forTimeInterval: 1.5)
        let started = Date()
        XCTAssertEqual(try s.request("DELETE", "/api/jobs/\(job)", token: max).status, 202)
        XCTAssertEqual(try events(s.port, job, token: max).last?.event, "cancelled")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "the solver is stopped, not run to its limit")
        XCTAssertEqual(
            try s.request("GET", "/api/routes?date=\(date)", token: max).status,
            404,
            "a cancelled plan keeps nothing"
        )
    }

    func testVisitsNoTruckCanMakeAreSetAsideWithTheirReason() {
        let c = AppConfiguration()
        let depot = Depot(
            id: "D",
            name: "Depot",
            latitude: 52.5,
            longitude: 13.4,
            hours: TimeWindow(from: 300, until: 1_260)
        )
        let truck = Vehicle(id: "D-V1", depotID: "D", capacityUnits: 100, shift: TimeWindow(from: 360, until: 870))
        func visit(
            _ id: String,
            lat: Double = 52.52,
            lon: Double = 13.41,
            access: TimeWindow? = nil,
            load: Int = 20
        ) -> RoutePlanning.Candidate {
            .init(
                deviceID: id,
                name: id,
                latitude: lat,
                longitude: lon,
                access: access,
                serviceMinutes: 10,
                load: load,
                value: 30,
                reasons: ["stockout_risk"],
                pick: []
            )
        }
        let b = RoutePlanning.build(
            date: 20_000,
            candidates: [
                visit("ok"), visit("nowhere", lat: 0, lon: 0), visit("heavy", load: 500),
                visit("night", access: TimeWindow(from: 1_320, until: 1_380)), visit("far", lat: 40.4, lon: -3.7),
            ],
            depots: [depot],
            vehicles: [truck],
            travel: [:],
            configuration: c
        )
        XCTAssertNil(b.setAside[0])
        XCTAssertEqual(b.setAside[1]?.code, "no_coordinates")
        XCTAssertEqual(b.setAside[2]?.code, "over_capacity")
        XCTAssertEqual(b.setAside[3]?.code, "no_shift_covers_window")
        XCTAssertEqual(b.setAside[4]?.code, "out_of_reach", "Madrid is not a day's drive from Berlin and back")
        // Without a travel matrix: great-circle × detour at the urban speed; with one, its figures.
        let km = RoutePlanning.greatCircleMeters(52.5, 13.4, 52.52, 13.41) / 1000
        XCTAssertEqual(km, 2.32, accuracy: 0.02)
        XCTAssertEqual(b.problem.meters[0][1], Int((km * 1000 * 1.3).rounded()), accuracy: 1)
        XCTAssertEqual(b.problem.seconds[0][1], Int((km * 1.3 / 35 * 3600).rounded(.up)), accuracy: 1)
        let matrix = RoutePlanning.build(
            date: 20_000,
            candidates: [visit("ok")],
            depots: [depot],
            vehicles: [truck],
            travel: ["D": ["ok": (seconds: 999, meters: 7_000)]],
            configuration: c
        )
        XCTAssertEqual(matrix.problem.seconds[0][1], 999)
        XCTAssertEqual(matrix.problem.meters[0][1], 7_000)
        // Service time: the device's minutes plus loading per unit.
        XCTAssertEqual(b.problem.visits[0].service, 10 * 60 + 20 * 3)
    }

    func testAVisitWorthLessThanItsTripIsDayFull() throws {
        let depot = Depot(
            id: "D",
            name: "Depot",
            latitude: 52.5,
            longitude: 13.4,
            hours: TimeWindow(from: 300, until: 1_260)
        )
        let truck = Vehicle(id: "D-V1", depotID: "D", capacityUnits: 100, shift: TimeWindow(from: 360, until: 870))
        func visit(_ id: String, lat: Double, value: Double) -> RoutePlanning.Candidate {
            .init(
                deviceID: id,
                name: id,
                latitude: lat,
                longitude: 13.4,
                access: nil,
                serviceMinutes: 10,
                load: 10,
                value: value,
                reasons: ["stockout_risk"],
                pick: []
            )
        }
        // 2 km out and worth 40: served. 25 km further and worth 2: not worth the drive.
        let b = RoutePlanning.build(
            date: 20_000,
            candidates: [visit("near", lat: 52.518, value: 40), visit("far", lat: 52.75, value: 2)],
            depots: [depot],
            vehicles: [truck],
            travel: [:],
            configuration: AppConfiguration()
        )
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let day = try RoutePlanning.solve(
            b,
            date: 20_000,
            clock: .utc,
            jobID: "job_t",
            solver: .pyvrp(root: root),
            timeLimit: 1,
            now: 0,
            progress: nil,
            cancelled: nil
        )
        XCTAssertEqual(day.routes.flatMap(\.stops).map(\.deviceID), ["near"])
        XCTAssertEqual(day.unassigned.map(\.deviceID), ["far"])
        XCTAssertEqual(day.unassigned.first?.reason, "day_full")
        XCTAssertEqual(day.valueServed, 40)
        XCTAssertEqual(day.valueUnassigned, 2)
        XCTAssertGreaterThan(day.cost, 0)
    }

    func testADayThatCannotFitEveryVisitDropsTheLeastValuable() throws {
        // One truck with a 70-minute shift; three visits of 20 minutes each, 2–3 km out: two fit, not three.
        let depot = Depot(
            id: "D",
            name: "Depot",
            latitude: 52.5,
            longitude: 13.4,
            hours: TimeWindow(from: 300, until: 1_260)
        )
        let truck = Vehicle(id: "D-V1", depotID: "D", capacityUnits: 100, shift: TimeWindow(from: 480, until: 550))
        func visit(_ id: String, lat: Double, value: Double) -> RoutePlanning.Candidate {
            .init(
                deviceID: id,
                name: id,
                latitude: lat,
                longitude: 13.4,
                access: nil,
                serviceMinutes: 20,
                load: 0,
                value: value,
                reasons: ["stockout_risk"],
                pick: []
            )
        }
        let b = RoutePlanning.build(
            date: 20_000,
            candidates: [
                visit("a", lat: 52.52, value: 90), visit("b", lat: 52.522, value: 30),
                visit("c", lat: 52.518, value: 80),
            ],
            depots: [depot],
            vehicles: [truck],
            travel: [:],
            configuration: AppConfiguration()
        )
        XCTAssertTrue(b.setAside.isEmpty, "each visit alone fits the shift")
        let day = try RoutePlanning.solve(
            b,
            date: 20_000,
            clock: .utc,
            jobID: "job_t",
            solver: .pyvrp(root: Self.root),
            timeLimit: 1,
            now: 0,
            progress: nil,
            cancelled: nil
        )
        XCTAssertEqual(Set(day.routes.flatMap(\.stops).map(\.deviceID)), ["a", "c"])
        XCTAssertEqual(day.unassigned.map(\.deviceID), ["b"])
        XCTAssertEqual(day.unassigned.first?.reason, "day_full")
    }

    func testTheHistoryComparisonRoutesEveryVisitOfADayAndDrivesNoFurtherThanTheHistorysOrder() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let rows = try RouteHistory.compare(
            store: s.server.store,
            configuration: AppConfiguration(),
            solver: .pyvrp(root: Self.root),
            days: 2,
            timeLimit: 1
        ) { _ in }
        XCTAssertEqual(rows.count, 2)
        for r in rows {
            XCTAssertGreaterThan(r.visits, 0)
            XCTAssertEqual(r.plannedUnserved, 0)
            XCTAssertEqual(r.violations, 0)
            XCTAssertLessThanOrEqual(r.plannedMinutes, r.nearestNeighbourMinutes + 0.01)
            XCTAssertLessThanOrEqual(r.nearestNeighbourMinutes, r.historicalMinutes + 0.01)
            XCTAssertGreaterThan(r.plannedKm, 0)
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import XCTest

/// `GET /api/devices/{id}/forecast` and `POST /api/visits` on the real server with the test fleet.
class ForecastRoutesTests: XCTestCase {
    var s: AppTestServer!
    override func setUpWithError() throws { s = try AppTestServer() }
    override func tearDown() { s?.stop() }

    func slots(_ r: APIResponse) -> [[String: Any]] { r.json["slots"] as? [[String: Any]] ?? [] }

    func testAForecastListsEverySlotWithStockRiskAndIntervals() throws {
        let r = try s.request("GET", "/api/devices/VM-001/forecast?days=7", token: s.token(.manager))
        XCTAssertEqual(r.status, 200, r.text)
        let plan = try s.request("GET", "/api/planograms/VM-001/0", token: s.token(.manager)).json
        XCTAssertEqual(slots(r).count, (plan["slots"] as? [Any])?.count)
        for slot in slots(r) {
            let expected = try XCTUnwrap(slot["expected_units"] as? Double)
            let interval = try XCTUnwrap(slot["interval"] as? [Int])
            XCTAssertLessThanOrEqual(Double(interval[0]), expected + 1e-9, "\(slot)")
            XCTAssertGreaterThanOrEqual(Double(interval[1]) + 1e-9, expected, "\(slot)")
            let p = try XCTUnwrap(slot["stockout_probability"] as? Double)
            XCTAssertTrue((0...1).contains(p))
            let stock = try XCTUnwrap(slot["stock_now"] as? Int)
            XCTAssertGreaterThanOrEqual(stock, 0)
            XCTAssertLessThanOrEqual(stock, (slot["capacity"] as! Int) * 3, "stock stays near capacity: \(slot)")
            if stock == 0 { XCTAssertEqual(p, 1) }
        }
        // Every key of the contract is present on every slot; the times are a string or null, never missing.
        let contract: Set<String> = [
            "slot", "product_id", "units_per_day", "expected_units", "interval", "stock_now", "empty_at",
            "stockout_probability", "expiring_units", "expires_at",
        ]
        for slot in slots(r) {
            XCTAssertTrue(
                contract.isSubset(of: Set(slot.keys)),
                "missing \(contract.subtracting(slot.keys)) in \(slot)"
            )
            for key in ["empty_at", "expires_at"] {
                XCTAssertTrue(slot[key] is String || slot[key] is NSNull, "\(key): \(slot)")
            }
        }
        // Some slot sells well enough to run empty within a week.
        XCTAssertTrue(slots(r).contains { $0["empty_at"] is String })
        let totals = try XCTUnwrap(r.json["totals"] as? [String: Any])
        XCTAssertGreaterThan(totals["expected_units"] as? Double ?? 0, 0)
        XCTAssertNotNil(r.json["next_visit"] as? String)
        // A longer horizon expects more.
        let longer = try s.request("GET", "/api/devices/VM-001/forecast?days=14", token: s.token(.manager))
        XCTAssertGreaterThan(
            (longer.json["totals"] as? [String: Any])?["expected_units"] as? Double ?? 0,
            totals["expected_units"] as? Double ?? 0
        )
    }

    func testBadForecastRequestsGetTheContractsErrors() throws {
        let driver = s.token(.driver, sub: "dee", devices: ["VM-002"])
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001/forecast", token: driver).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-002/forecast", token: driver).status, 200)
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001/forecast?days=0", token: s.token(.admin)).status, 400)
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001/forecast?days=29", token: s.token(.admin)).status, 400)
        XCTAssertEqual(
            try s.request("GET", "/api/devices/VM-001/forecast?at=yesterday", token: s.token(.admin)).status,
            400
        )
        XCTAssertEqual(try s.request("GET", "/api/devices/NOPE/forecast", token: s.token(.admin)).status, 404)
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001/forecast").status, 401)
    }

    func testAVisitFeedsTheStockAndIsIdempotentByVisitID() throws {
        let driver = s.token(.driver, sub: "dee", devices: ["VM-001"])
        let before = try s.request("GET", "/api/devices/VM-001/forecast", token: driver)
        let asOf = try XCTUnwrap(before.json["as_of"] as? String)
        let slot = try XCTUnwrap(slots(before).first { ($0["stock_now"] as? Int ?? 0) >= 1 })
        let code = slot["slot"] as! String
        let stock = slot["stock_now"] as! Int
        let at = FieldParse.iso8601(
            try XCTUnwrap(Array(asOf.utf8).withUnsafeBufferPointer { FieldParse.timestamp($0) }) + 60
        )
        let visit: [String: Any] = [
            "visit_id": "v-1", "device_id": "VM-001", "at": at,
            "lines": [["slot": code.lowercased(), "units_added": 5, "units_pulled": 1]],
        ]
        let first = try s.request("POST", "/api/visits", token: driver, json: visit)
        XCTAssertEqual(first.status, 201, first.text)
        XCTAssertEqual(
            try s.request("POST", "/api/visits", token: driver, json: visit).json["recorded"] as? Bool,
            false
        )
        let after = try s.request(
            "GET",
            "/api/devices/VM-001/forecast?at=\(at.replacingOccurrences(of: ":", with: "%3A"))",
            token: driver
        )
        XCTAssertEqual(after.status, 200, after.text)
        let now = try XCTUnwrap(slots(after).first { $0["slot"] as? String == code })
        XCTAssertEqual(now["stock_now"] as? Int, stock - 1 + 5, "one pulled, five loaded")
        // The same id with other lines is a conflict; nothing of it is written.
        var other = visit
        other["lines"] = [["slot": code, "units_added": 9]]
        XCTAssertEqual(try s.request("POST", "/api/visits", token: driver, json: other).status, 409)
        let rows = try s.server.store.read { try $0.scalarInt("SELECT count(*) FROM visits") }
        XCTAssertEqual(rows, 1)
    }

    func testBadVisitsAreRefusedAndWriteNothing() throws {
        let driver = s.token(.driver, sub: "dee", devices: ["VM-001"])
        let at = "2026-10-30T08:00:00Z"
        let cases: [([String: Any], Int)] = [
            (["device_id": "VM-001", "at": at, "lines": [["slot": "A1", "units_added": -1]]], 422),
            (["device_id": "VM-001", "at": at, "lines": [["slot": "Z9", "units_added": 1]]], 422),
            (["device_id": "VM-001", "at": at, "lines": [["slot": "A1", "units_added": 1, "cabinet_index": 7]]], 422),
            (
                [
                    "device_id": "VM-001", "at": at,
                    "lines": [["slot": "A1", "units_added": 1], ["slot": "a1", "units_added": 2]],
                ], 422
            ),
            (["device_id": "VM-001", "at": at, "lines": [["slot": "A1"]]], 400),
            (["device_id": "VM-001", "at": at, "lines": []], 400),
            (["device_id": "VM-001", "at": "soon", "lines": [["slot": "A1", "units_added": 1]]], 400),
            (["device_id": "VM-002", "at": at, "lines": [["slot": "A1", "units_added": 1]]], 403),
            (["device_id": "NOPE", "at": at, "lines": [["slot": "A1", "units_added": 1]]], 404),
        ]
        for (body, status) in cases {
            let r = try s.request("POST", "/api/visits", token: driver, json: body)
            XCTAssertEqual(r.status, status, "\(body): \(r.text)")
            XCTAssertNotNil(r.errorCode)
        }
        XCTAssertEqual(
            try s.request("POST", "/api/visits", token: s.token(.manager), json: cases[0].0).status,
            403,
            "managers plan; drivers visit"
        )
        XCTAssertEqual(try s.server.store.read { try $0.scalarInt("SELECT count(*) FROM visits") }, 0)
        XCTAssertEqual(try s.server.store.read { try $0.scalarInt("SELECT count(*) FROM pulls") }, 0)
    }
}

/// `GET /api/service-plan` and `GET /api/pick-lists`.
final class ServicePlanRoutesTests: XCTestCase {
    var s: AppTestServer!
    override func setUpWithError() throws { s = try AppTestServer() }
    override func tearDown() { s?.stop() }

    func testThePlanVisitsEveryDeviceWithReasonsAndPickListsAddUpToCases() throws {
        let plan = try s.request("GET", "/api/service-plan?days=7", token: s.token(.manager))
        XCTAssertEqual(plan.status, 200, plan.text)
        let visits = try XCTUnwrap(plan.json["visits"] as? [[String: Any]])
        // Every device is serviced within the longest interval, each visit says why.
        XCTAssertEqual(Set(visits.compactMap { $0["device_id"] as? String }), ["VM-001", "VM-002", "VM-003"])
        for v in visits {
            let reasons = try XCTUnwrap(v["reasons"] as? [String])
            XCTAssertFalse(reasons.isEmpty)
            XCTAssertTrue(Set(reasons).isSubset(of: ["stockout_risk", "expiry", "max_interval"]), "\(reasons)")
            XCTAssertGreaterThanOrEqual(v["expected_lost_revenue_avoided"] as? Double ?? -1, 0)
        }
        let date = try XCTUnwrap(visits.first?["date"] as? String)
        let picks = try s.request("GET", "/api/pick-lists?date=\(date)", token: s.token(.manager))
        XCTAssertEqual(picks.status, 200, picks.text)
        let pickVisits = try XCTUnwrap(picks.json["visits"] as? [[String: Any]])
        XCTAssertEqual(pickVisits.count, visits.filter { $0["date"] as? String == date }.count)
        var loaded: [String: Int] = [:]
        for v in pickVisits {
            for l in v["lines"] as? [[String: Any]] ?? [] {
                loaded[l["product_id"] as! String, default: 0] += l["load"] as! Int
                XCTAssertGreaterThanOrEqual(l["pull"] as! Int, 0)
            }
        }
        let totals = try XCTUnwrap(picks.json["totals"] as? [[String: Any]])
        XCTAssertFalse(totals.isEmpty)
        for t in totals {
            let units = t["units"] as! Int
            let cases = t["cases"] as! Int
            let size = t["case_size"] as! Int
            XCTAssertEqual(units, loaded[t["product_id"] as! String])
            XCTAssertEqual(cases, (units + size - 1) / size)
        }
        // One device's list is a part of the day's.
        let one = try s.request(
            "GET",
            "/api/pick-lists?date=\(date)&device_id=\(pickVisits[0]["device_id"] as! String)",
            token: s.token(.manager)
        )
        XCTAssertEqual((one.json["visits"] as? [Any])?.count, 1)
    }

    func testThePlannersWeightsAreSettingsTheServerPassesOnAndEchoes() throws {
        // The defaults, echoed.
        let plain = try s.request("GET", "/api/service-plan?days=7", token: s.token(.manager))
        XCTAssertEqual(plain.json["empty_slot_hour_cost"] as? Double, 0)
        XCTAssertEqual(plain.json["expiry_visit_units"] as? Double, 0.5)
        func plan(
            _ configure: @escaping (inout AppConfiguration) -> Void
        ) throws -> (visits: [[String: Any]], reasons: Set<String>, body: APIResponse) {
            let server = try AppTestServer(configure: configure)
            defer { server.stop() }
            let r = try server.request("GET", "/api/service-plan?days=7", token: server.token(.manager))
            XCTAssertEqual(r.status, 200, r.text)
            let visits = r.json["visits"] as? [[String: Any]] ?? []
            return (visits, Set(visits.flatMap { $0["reasons"] as? [String] ?? [] }), r)
        }
        // A visit too dear to pay for itself: the fewest visits the longest interval and the expiries allow …
        let dear = try plan { $0.visitCost = 1e6 }
        XCTAssertTrue(dear.reasons.contains("expiry"), "\(dear.reasons)")
        // … more when an empty slot-hour is priced above even that visit …
        let priced = try plan {
            $0.visitCost = 1e6
            $0.emptySlotHourCost = 1e9
        }
        XCTAssertGreaterThan(priced.visits.count, dear.visits.count)
        XCTAssertEqual(priced.body.json["empty_slot_hour_cost"] as? Double, 1e9)
        // … and no visit for expiry when it takes more units than any slot holds.
        let patient = try plan {
            $0.visitCost = 1e6
            $0.expiryVisitUnits = 1e9
        }
        XCTAssertFalse(patient.reasons.contains("expiry"), "\(patient.reasons)")
        XCTAssertEqual(patient.body.json["expiry_visit_units"] as? Double, 1e9)
        // The perishable level reaches the pick lists: a metro fleet's sandwiches, salads and dairy (3–7 days)
        // are loaded deeper at 0.95 than at the median, and the reply says which level it used.
        let dir = try TestFleet.metroRecipe(seed: 3, devices: 5, days: 28)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func pickUnits(
            _ configure: @escaping (inout AppConfiguration) -> Void
        ) throws -> (units: Int, body: APIResponse) {
            let server = try AppTestServer(fixtures: dir, configure: configure)
            defer { server.stop() }
            let plan = try server.request("GET", "/api/service-plan?days=7", token: server.token(.manager))
            let date = try XCTUnwrap((plan.json["visits"] as? [[String: Any]])?.first?["date"] as? String)
            let r = try server.request("GET", "/api/pick-lists?date=\(date)", token: server.token(.manager))
            XCTAssertEqual(r.status, 200, r.text)
            return ((r.json["totals"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["units"] as? Int ?? 0) }, r)
        }
        let median = try pickUnits { _ in }
        let deep = try pickUnits { $0.perishableServiceLevel = 0.95 }
        XCTAssertEqual(median.body.json["perishable_service_level"] as? Double, 0.5)
        XCTAssertEqual(deep.body.json["perishable_service_level"] as? Double, 0.95)
        XCTAssertGreaterThan(deep.units, median.units)
    }

    func testThePlannersSettingsAreReadFromTheEnvironmentAndBadOnesRefused() throws {
        let c = try AppConfiguration.fromEnvironment([
            "PLANOGRAM_EMPTY_SLOT_HOUR_COST": "1.5", "PLANOGRAM_EXPIRY_VISIT_UNITS": "2",
            "PLANOGRAM_PERISHABLE_SERVICE_LEVEL": "0.8", "PLANOGRAM_TIMEZONE": "Europe/Berlin",
        ])
        XCTAssertEqual(c.clock.identifier, "Europe/Berlin")
        XCTAssertFalse(c.clock.isUTC)
        XCTAssertTrue(try AppConfiguration.fromEnvironment([:]).clock.isUTC)
        XCTAssertEqual(c.emptySlotHourCost, 1.5)
        XCTAssertEqual(c.expiryVisitUnits, 2)
        XCTAssertEqual(c.perishableServiceLevel, 0.8)
        XCTAssertEqual(try AppConfiguration.fromEnvironment([:]).perishableServiceLevel, 0.5)
        for (key, value) in [
            ("PLANOGRAM_EMPTY_SLOT_HOUR_COST", "-1"), ("PLANOGRAM_EMPTY_SLOT_HOUR_COST", "nan"),
            ("PLANOGRAM_EXPIRY_VISIT_UNITS", "0"), ("PLANOGRAM_EXPIRY_VISIT_UNITS", "lots"),
            ("PLANOGRAM_PERISHABLE_SERVICE_LEVEL", "0.4"), ("PLANOGRAM_PERISHABLE_SERVICE_LEVEL", "1"),
            ("PLANOGRAM_PERISHABLE_SERVICE_LEVEL", "nan"), ("PLANOGRAM_TIMEZONE", "Berlin"),
            ("PLANOGRAM_TIMEZONE", "CET+1 or so"),
        ] {
            XCTAssertThrowsError(try AppConfiguration.fromEnvironment([key: value]), "\(key)=\(value)")
        }
    }

    /// `depot_id`: the day's visits of the machines nearest the depot by drive, with their own totals. On
    /// the test fleet (a depot and a machine per city) each machine is its city's; with a travel matrix that
    /// makes each machine's road from the next city's depot the shortest, the matrix decides, not the map.
    func testADepotNarrowsTheDayToTheMachinesNearestItByDrive() throws {
        let cityOf = ["VM-001": "DEP-BER", "VM-002": "DEP-HAM", "VM-003": "DEP-MUN"]
        let byRoad = ["VM-001": "DEP-HAM", "VM-002": "DEP-MUN", "VM-003": "DEP-BER"]
        func check(_ server: AppTestServer, _ expected: [String: String]) throws {
            let boss = server.token(.manager)
            let plan = try server.request("GET", "/api/service-plan?days=7", token: boss)
            let dates = Set((plan.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String })
                .sorted()
            XCTAssertFalse(dates.isEmpty)
            var seen = Set<String>()
            for date in dates {
                let all = try server.request("GET", "/api/pick-lists?date=\(date)", token: boss)
                let everyVisit = (all.json["visits"] as? [[String: Any]] ?? []).compactMap {
                    $0["device_id"] as? String
                }
                for depot in ["DEP-BER", "DEP-HAM", "DEP-MUN"] {
                    let near = try server.request("GET", "/api/pick-lists?date=\(date)&depot_id=\(depot)", token: boss)
                    XCTAssertEqual(near.status, 200, near.text)
                    let visits = near.json["visits"] as? [[String: Any]] ?? []
                    XCTAssertEqual(
                        visits.compactMap { $0["device_id"] as? String },
                        everyVisit.filter { expected[$0] == depot },
                        "\(date) \(depot)"
                    )
                    seen.formUnion(visits.compactMap { $0["device_id"] as? String })
                    // The totals are those of the depot's lines only.
                    var units: [String: Int] = [:]
                    for v in visits {
                        for l in v["lines"] as? [[String: Any]] ?? [] where (l["load"] as? Int ?? 0) > 0 {
                            units[l["product_id"] as! String, default: 0] += l["load"] as! Int
                        }
                    }
                    let totals = near.json["totals"] as? [[String: Any]] ?? []
                    XCTAssertEqual(
                        Dictionary(
                            uniqueKeysWithValues: totals.map { ($0["product_id"] as! String, $0["units"] as! Int) }
                        ),
                        units
                    )
                }
            }
            XCTAssertEqual(seen, Set(expected.keys), "over the week every machine is seen under its depot")
        }
        try check(s, cityOf)
        let dir = NSTemporaryDirectory() + "depot-matrix-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: TestFleet.directory, toPath: dir)
        var matrix = "from_id,to_id,seconds,meters\n"
        for depot in ["DEP-BER", "DEP-HAM", "DEP-MUN"] {
            for device in ["VM-001", "VM-002", "VM-003"] {
                matrix +=
                    "\(depot),\(device),\(byRoad[device] == depot ? 600 : 7_200),\(byRoad[device] == depot ? 9_000 : 120_000)\n"
            }
        }
        try matrix.write(toFile: dir + "/travel_matrix.csv", atomically: true, encoding: .utf8)
        let roads = try AppTestServer(fixtures: dir)
        defer { roads.stop() }
        try check(roads, byRoad)
        let boss = roads.token(.manager)
        XCTAssertEqual(
            try roads.request("GET", "/api/pick-lists?date=2026-10-30&depot_id=DEP-NOPE", token: boss).status,
            404
        )
        XCTAssertEqual(
            try roads.request(
                "GET",
                "/api/pick-lists?date=2026-10-30&depot_id=DEP-BER&vehicle_id=DEP-BER-V1",
                token: boss
            ).status,
            400
        )
        // A driver's depot view holds only their own machines.
        let dee = roads.token(.driver, sub: "dee", devices: ["VM-001"])
        let plan = try roads.request("GET", "/api/service-plan?days=7", token: dee)
        for date in Set((plan.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String }) {
            for depot in ["DEP-BER", "DEP-HAM"] {
                let near = try roads.request("GET", "/api/pick-lists?date=\(date)&depot_id=\(depot)", token: dee)
                XCTAssertEqual(
                    (near.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String },
                    depot == "DEP-HAM" ? ["VM-001"] : [],
                    "\(date) \(depot)"
                )
            }
        }
    }

    func testDriversSeeTheirOwnDevicesAndBadQueriesAreRefused() throws {
        let driver = s.token(.driver, sub: "dee", devices: ["VM-002"])
        let plan = try s.request("GET", "/api/service-plan?days=7", token: driver)
        XCTAssertEqual(plan.status, 200)
        XCTAssertEqual(
            Set((plan.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String }),
            ["VM-002"]
        )
        XCTAssertEqual(
            try s.request("GET", "/api/pick-lists?date=2026-10-30&device_id=VM-001", token: driver).status,
            403
        )
        XCTAssertEqual(try s.request("GET", "/api/service-plan?days=0", token: driver).status, 400)
        XCTAssertEqual(try s.request("GET", "/api/service-plan?from=tomorrow", token: driver).status, 400)
        XCTAssertEqual(try s.request("GET", "/api/pick-lists", token: driver).status, 400)
        XCTAssertEqual(
            try s.request("GET", "/api/pick-lists?date=2026-10-30&vehicle_id=V1", token: driver).status,
            404,
            "no such truck"
        )
        XCTAssertEqual(try s.request("GET", "/api/service-plan", token: s.token(.merchandiser)).status, 403)
    }
}

/// Stock only from evidence (docs/MODELS.md): a fleet whose history has sales and no fill at all — what a
/// telemetry export gives — shows no slot's stock, empty time or stock-out chance; one recorded visit makes
/// that slot's stock known.
final class UnknownStockTests: XCTestCase {
    func testWithoutAFillOnRecordNoSlotIsShownEmpty() throws {
        let dir = NSTemporaryDirectory() + "no-fills-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["products.csv", "devices.csv", "cabinets.csv", "planograms.csv", "sales.csv"] {
            try TestFleet.file(name).write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        let s = try AppTestServer(fixtures: dir)
        defer { s.stop() }
        let admin = s.token(.admin)
        let f = try s.request("GET", "/api/devices/VM-001/forecast?days=7", token: admin)
        XCTAssertEqual(f.status, 200, f.text)
        let slots = try XCTUnwrap(f.json["slots"] as? [[String: Any]])
        XCTAssertFalse(slots.isEmpty)
        for slot in slots {
            XCTAssertEqual(slot["stock_basis"] as? String, "unknown")
            XCTAssertTrue(slot["stock_now"] is NSNull, "\(slot)")
            XCTAssertTrue(slot["stockout_probability"] is NSNull, "\(slot)")
            XCTAssertTrue(slot["empty_at"] is NSNull, "\(slot)")
        }
        XCTAssertEqual((f.json["totals"] as? [String: Any])?["slots_at_risk"] as? Int, 0)
        // The plan assumes such a slot at its capacity (not empty), and its pick lines say the stock is unknown.
        let today = String((f.json["as_of"] as? String ?? "").prefix(10))
        let plan = try s.request("GET", "/api/service-plan?days=14", token: admin)
        let visits = plan.json["visits"] as? [[String: Any]] ?? []
        let risky = visits.filter { ($0["reasons"] as? [String] ?? []).contains("stockout_risk") }
        XCTAssertTrue(
            risky.allSatisfy { ($0["date"] as? String ?? "") > today },
            "no visit today for an emptiness nobody saw: \(risky)"
        )
        var lines: [[String: Any]] = []
        for date in Set(visits.compactMap { $0["date"] as? String }).sorted() {
            let picks = try s.request("GET", "/api/pick-lists?date=\(date)", token: admin)
            XCTAssertEqual(picks.status, 200, picks.text)
            lines += (picks.json["visits"] as? [[String: Any]] ?? []).flatMap { $0["lines"] as? [[String: Any]] ?? [] }
        }
        XCTAssertFalse(lines.isEmpty, "the plan's visits have lines to load")
        XCTAssertTrue(lines.allSatisfy { $0["stock_basis"] as? String == "unknown" }, "\(lines.prefix(3))")
        // A driver records a visit that fills one slot: from then on that slot's stock is known.
        let first = try XCTUnwrap(slots.first)
        let slot = try XCTUnwrap(first["slot"] as? String)
        let asOf = try XCTUnwrap(f.json["as_of"] as? String)
        let visit = try s.request(
            "POST",
            "/api/visits",
            token: admin,
            json: [
                "device_id": "VM-001", "at": asOf,
                "lines": [["slot": slot, "units_added": 4, "cabinet_index": first["cabinet_index"] ?? 0]],
            ]
        )
        XCTAssertEqual(visit.status, 201, visit.text)
        let after = try XCTUnwrap(
            s.request("GET", "/api/devices/VM-001/forecast?days=7", token: admin).json["slots"] as? [[String: Any]]
        )
        let filled = try XCTUnwrap(
            after.first {
                $0["slot"] as? String == slot && ($0["cabinet_index"] as? Int) == (first["cabinet_index"] as? Int)
            }
        )
        XCTAssertEqual(filled["stock_basis"] as? String, "inferred")
        XCTAssertNotNil(filled["stock_now"] as? Int)
        XCTAssertNotNil(filled["stockout_probability"] as? Double)
        XCTAssertEqual(after.filter { $0["stock_basis"] as? String == "unknown" }.count, slots.count - 1)
    }
}

import FleetGenerator
import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// A fleet of eight devices (four pairs), written once for these tests.
enum EightDeviceFleet {
    static let directory: String = {
        let dir = NSTemporaryDirectory() + "planogram-test-fleet8-\(getpid())"
        var model = FleetModel()
        model.seed = 8
        model.devices = 8
        model.days = 42
        _ = try! FleetGenerator(model: model).write(to: dir)
        return dir
    }()
}

/// docs/MODELS.md: experiments designed, published, analysed after each import and streamed; the fleet KPIs.
class ExperimentRoutesTests: XCTestCase {
    func events(_ c: RawClient, until: (RawClient.Event) -> Bool) throws -> RawClient.Event {
        while true {
            let e = try c.readEvent()
            if until(e) { return e }
        }
    }

    func json(_ e: RawClient.Event) -> [String: Any] { eventJSON(e) }

    /// Every device's current cabinet-0 planogram as the treatment (valid by construction), plus what the test changes.
    func treatment(_ s: AppTestServer, _ ids: [String], token: String) throws -> [[String: Any]] {
        try ids.map { id in
            let p = try s.request("GET", "/api/planograms/\(id)/0", token: token)
            XCTAssertEqual(p.status, 200, p.text)
            return ["device_id": id, "cabinet_index": 0, "planogram": ["slots": p.json["slots"] ?? []]]
        }
    }

    func testAnExperimentIsDesignedPublishedAndAnalysedAfterEachImport() throws {
        let s = try AppTestServer(fixtures: EightDeviceFleet.directory)
        defer { s.stop() }
        let boss = s.token(.manager, sub: "olga")
        let ids = (1...8).map { String(format: "VM-%03d", $0) }
        let versionsBefore = try ids.map {
            try XCTUnwrap(s.request("GET", "/api/planograms/\($0)/0", token: boss).json["version"] as? Int)
        }
        // Every cabinet 0 is open in a live session, with a watcher.
        let ann = s.token(.merchandiser, sub: "ann")
        let watchers = try ids.map {
            try SessionStream(port: s.port, sid: try s.openSession($0, 0, token: ann), token: boss)
        }
        let created = try s.request(
            "POST",
            "/api/experiments",
            token: boss,
            json: [
                "name": "Eye level snacks", "hypothesis": "more revenue", "device_ids": ids, "metric": "revenue",
                "start": "2026-11-01",
                "min_days": 7, "seed": 99, "treatment": ["cabinets": try treatment(s, ids, token: boss)],
            ]
        )
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(created.json["experiment_id"] as? String)
        let assignment = try XCTUnwrap(created.json["assignment"] as? [String: String])
        XCTAssertEqual(assignment.values.filter { $0 == "treatment" }.count, 4)
        for pair in try XCTUnwrap(created.json["strata"] as? [[String]]) {
            XCTAssertEqual(pair.count, 2)
            XCTAssertNotEqual(assignment[pair[0]], assignment[pair[1]], "one device of each arm per pair")
        }
        XCTAssertEqual(created.json["seed"] as? String, "99")
        // The treatment went out through the publish path: a new version on the treatment devices only.
        for (i, d) in ids.enumerated() {
            let v = try XCTUnwrap(s.request("GET", "/api/planograms/\(d)/0", token: boss).json["version"] as? Int)
            XCTAssertEqual(v, versionsBefore[i] + (assignment[d] == "treatment" ? 1 : 0), d)
        }
        // The open sessions of the treatment cabinets move their published base, and say so.
        for (i, d) in ids.enumerated() where assignment[d] == "treatment" {
            let published = try XCTUnwrap(watchers[i].until("published").last)
            XCTAssertEqual(watchers[i].json(published)["planogram_version"] as? Int, versionsBefore[i] + 1)
            XCTAssertEqual(
                try s.request("GET", "/api/sessions/\(d)~0", token: ann).json["published_version"] as? Int,
                versionsBefore[i] + 1,
                d
            )
        }
        let before = try s.request("GET", "/api/experiments/\(id)", token: boss)
        XCTAssertEqual(before.json["days"] as? Int, 0)
        XCTAssertTrue(before.json["estimate"] is NSNull)
        XCTAssertEqual(before.json["decision"] as? String, "continue")

        // A subscriber gets the estimate at once, and again after an import of the new days' sales.
        let c = try RawClient(port: s.port, timeout: 60)
        c.send("GET /api/experiments/\(id)/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(boss)\r\n\r\n")
        XCTAssertEqual(try c.readResponse(head: true).status, 200)
        XCTAssertEqual(json(try events(c) { $0.event == "estimate" })["days"] as? Int, 0)
        // Ten days: every device sells 30 units of 2.00 a day, the treatment devices 36 (+20 %).
        var csv = "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n"
        let slots = try ids.map { id -> (String, String) in
            let first = try XCTUnwrap(
                (s.request("GET", "/api/planograms/\(id)/0", token: boss).json["slots"] as? [[String: Any]])?.first
            )
            return (first["slot"] as! String, first["product_id"] as! String)
        }
        for day in 1...10 {
            for (i, id) in ids.enumerated() {
                for k in 0..<(assignment[id] == "treatment" ? 36 : 30) {
                    csv += String(
                        format: "2026-11-%02dT%02d:%02d:00Z,%@,0,%@,%@,2.00,x%d-%d-%d\n",
                        day,
                        8 + k / 6,
                        (k % 6) * 10,
                        id,
                        slots[i].0,
                        slots[i].1,
                        day,
                        i,
                        k
                    )
                }
            }
        }
        let imported = try s.request("POST", "/api/import", token: s.token(.admin), json: ["files": ["sales.csv": csv]])
        XCTAssertEqual(imported.status, 200, imported.text)
        let after = json(try events(c) { $0.event == "estimate" && (self.json($0)["days"] as? Int ?? 0) > 0 })
        XCTAssertEqual(after["days"] as? Int, 10)
        let estimate = try XCTUnwrap(after["estimate"] as? [String: Any])
        let effect = try XCTUnwrap(estimate["effect"] as? Double)
        XCTAssertGreaterThan(effect, 0, "the treatment devices sold more: \(estimate)")
        let ci = try XCTUnwrap(estimate["confidence_interval"] as? [Double])
        XCTAssertLessThanOrEqual(ci[0], effect)
        XCTAssertGreaterThanOrEqual(ci[1], effect)
        XCTAssertNotNil(estimate["always_valid_p_value"] as? Double)
        XCTAssertTrue((estimate["method"] as? String ?? "").contains("randomization"))

        let full = try s.request("GET", "/api/experiments/\(id)", token: boss)
        let series = try XCTUnwrap(full.json["series"] as? [String: Any])
        XCTAssertEqual((series["dates"] as? [String])?.count, 38, "28 days before the start and 10 since")
        XCTAssertEqual((series["treatment"] as? [Double])?.last ?? 0, 72, accuracy: 1e-9, "36 × 2.00 a device a day")
        XCTAssertEqual((full.json["estimates"] as? [[String: Any]])?.count, 4, "one a day from the 7th day")
        XCTAssertEqual(
            try s.request("GET", "/api/experiments", token: boss).json["experiments"].map {
                ($0 as? [[String: Any]])?.count
            },
            1
        )

        // Stopping keeps the data.
        XCTAssertEqual(try s.request("POST", "/api/experiments/\(id)/stop", token: boss).status, 200)
        let stopped = try s.request("GET", "/api/experiments/\(id)", token: boss)
        XCTAssertEqual(stopped.json["status"] as? String, "stopped")
        XCTAssertEqual(stopped.json["days"] as? Int, 10)
        XCTAssertEqual(try s.request("POST", "/api/experiments/\(id)/stop", token: boss).status, 409)
    }

    func testBadExperimentRequestsGetAClear422() throws {
        let s = try AppTestServer(fixtures: EightDeviceFleet.directory)
        defer { s.stop() }
        let boss = s.token(.manager)
        let ids = (1...8).map { String(format: "VM-%03d", $0) }
        let cabinets = try treatment(s, ids, token: boss)
        func create(_ change: (inout [String: Any]) -> Void) throws -> APIResponse {
            var body: [String: Any] = [
                "name": "t", "device_ids": ids, "metric": "revenue", "start": "2026-11-02",
                "treatment": ["cabinets": cabinets],
            ]
            change(&body)
            return try s.request("POST", "/api/experiments", token: boss, json: body)
        }
        XCTAssertEqual(
            try create {
                $0["device_ids"] = Array(ids.prefix(3))
                $0["treatment"] = ["cabinets": Array(cabinets.prefix(3))]
            }.errorCode,
            "too_few_devices"
        )
        XCTAssertEqual(try create { $0["start"] = "2026-10-01" }.errorCode, "start_in_past")
        XCTAssertEqual(try create { $0["device_ids"] = ids + ["VM-404"] }.errorCode, "unknown_device")
        XCTAssertEqual(
            try create { $0["treatment"] = ["cabinets": Array(cabinets.dropLast())] }.errorCode,
            "treatment_incomplete"
        )
        // A treatment that breaks a hard rule: a slot that does not exist.
        var broken = cabinets
        broken[0]["planogram"] = ["slots": [["slot": "Z99", "product_id": "P001", "capacity": 5]]]
        XCTAssertEqual(try create { $0["treatment"] = ["cabinets": broken] }.errorCode, "rule_broken")
        XCTAssertEqual(try create { $0["metric"] = "smiles" }.status, 400)
        XCTAssertEqual(try s.request("POST", "/api/experiments", token: s.token(.driver), json: [:]).status, 403)
        // Stockouts (out-of-stock slot-days, written with the models' fit; lower is better) are a metric too.
        let stock = try create {
            $0["metric"] = "stockouts"
            $0["device_ids"] = Array(ids.prefix(4))
            $0["treatment"] = ["cabinets": Array(cabinets.prefix(4))]
        }
        XCTAssertEqual(stock.status, 201, stock.text)
        let stockID = try XCTUnwrap(stock.json["experiment_id"] as? String)
        let described = try s.request("GET", "/api/experiments/\(stockID)", token: boss)
        XCTAssertEqual(described.json["metric"] as? String, "stockouts")
        let series = try XCTUnwrap(described.json["series"] as? [String: Any])
        XCTAssertGreaterThan(
            ((series["control"] as? [Double]) ?? []).reduce(0, +)
                + ((series["treatment"] as? [Double]) ?? []).reduce(0, +),
            0,
            "the generated history has stockouts in its pre-period"
        )
        XCTAssertEqual(try s.request("POST", "/api/experiments/\(stockID)/stop", token: boss).status, 200)
        // The optimizer as the treatment: every treatment device gets the optimizer's layout, published.
        let optimized = try create {
            $0["treatment"] = "optimizer"
            $0["device_ids"] = Array(ids.suffix(4))
        }
        XCTAssertEqual(optimized.status, 201, optimized.text)
        let published = try XCTUnwrap(optimized.json["published"] as? [[String: Any]])
        XCTAssertEqual(Set(published.compactMap { $0["device_id"] as? String }), Set(ids.suffix(4)))
        XCTAssertTrue(published.contains { $0["published_version"] is Int }, "the treatment devices got a new version")
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/experiments/\(try XCTUnwrap(optimized.json["experiment_id"] as? String))/stop",
                token: boss
            ).status,
            200
        )
        // Devices in a running experiment cannot join another; nothing of a refused one was written.
        XCTAssertEqual(try create { _ in }.status, 201)
        XCTAssertEqual(try create { _ in }.errorCode, "device_in_experiment")
        XCTAssertEqual((try s.request("GET", "/api/experiments", token: boss).json["experiments"] as? [Any])?.count, 3)
        XCTAssertEqual(try s.request("GET", "/api/experiments/exp_nope", token: boss).status, 404)
    }

    func testTheFleetKPIsStandBesideTheirBaselineAndTargets() throws {
        let s = try AppTestServer(fixtures: EightDeviceFleet.directory)
        defer { s.stop() }
        let k = try s.request("GET", "/api/fleet/kpis", token: s.token(.manager))
        XCTAssertEqual(k.status, 200, k.text)
        let kpis = try XCTUnwrap(k.json["kpis"] as? [[String: Any]])
        XCTAssertEqual(
            kpis.compactMap { $0["name"] as? String },
            [
                "revenue_per_device_per_day", "stockout_rate", "units_spoiled", "visits_per_device_per_week",
                "planogram_changes",
            ]
        )
        let revenue = kpis[0]
        XCTAssertGreaterThan(revenue["value"] as? Double ?? 0, 0)
        XCTAssertEqual(revenue["target_change_percentage"] as? Double, 20)
        XCTAssertGreaterThan(kpis[3]["value"] as? Double ?? 0, 0, "the history has restocks")
        let series = try XCTUnwrap(k.json["series"] as? [String: Any])
        XCTAssertEqual((series["dates"] as? [String])?.count, 28)
        XCTAssertEqual((series["fleet"] as? [Double])?.count, 28)
        XCTAssertFalse((series["by_venue_type"] as? [String: Any] ?? [:]).isEmpty)
        // The fleet's revenue per device per day is the mean of the days of the series.
        let mean = (series["fleet"] as! [Double]).reduce(0, +) / 28
        XCTAssertEqual(revenue["value"] as? Double ?? 0, mean, accuracy: 0.05)
        XCTAssertEqual(
            try s.request("GET", "/api/fleet/kpis?from=2026-10-10&to=2026-10-01", token: s.token(.manager)).status,
            400
        )
        XCTAssertEqual(try s.request("GET", "/api/fleet/kpis", token: s.token(.driver)).status, 403)
    }

    /// On Tokyo's clock (UTC+9; the generated fleet sells 06:00–22:00Z, 15:00–07:00 local) the KPIs' days
    /// are Tokyo's dates: each day of the series is the revenue of the sales of that local date per device,
    /// which differs from the UTC dates' — and the models are fitted on those days: a fit made on Tokyo's
    /// clock is current for a restart on it, not for one on UTC's.
    func testTheFleetKPIsAndTheModelsAreOnTheFleetsClock() throws {
        let tokyo = try XCTUnwrap(FleetClock(identifier: "Asia/Tokyo"))
        let s = try AppTestServer(fixtures: EightDeviceFleet.directory) { $0.clock = tokyo }
        defer { s.stop() }
        let k = try s.request("GET", "/api/fleet/kpis", token: s.token(.manager))
        XCTAssertEqual(k.status, 200, k.text)
        let series = try XCTUnwrap(k.json["series"] as? [String: Any])
        let dates = try XCTUnwrap(series["dates"] as? [String])
        let fleet = try XCTUnwrap(series["fleet"] as? [Double])
        let sales = try s.server.store.read { db in
            try db.query("SELECT ts, price FROM sales") { (Int64($0.int(0)), $0.double(1)) }
        }
        let devices = Double(s.server.app.catalog.current.devices.count)
        func perDevice(on date: String, _ clock: FleetClock) -> Double {
            sales.filter { FleetClock.dateText(clock.day(of: $0.0)) == date }.reduce(0) { $0 + $1.1 } / devices
        }
        let newest = try XCTUnwrap(sales.map(\.0).max())
        XCTAssertEqual(
            dates.last,
            FleetClock.dateText(tokyo.day(of: newest)),
            "the last day with data, in Tokyo"
        )
        var differ = 0
        for (date, value) in zip(dates, fleet) {
            XCTAssertEqual(value, perDevice(on: date, tokyo), accuracy: 0.006, date)
            if abs(perDevice(on: date, .utc) - value) > 0.5 { differ += 1 }
        }
        XCTAssertGreaterThan(differ, 14, "UTC dates would give other figures")
        XCTAssertTrue(InsightsEngine(store: s.server.store, logger: .init(label: "test"), clock: tokyo).loadStored())
        XCTAssertFalse(
            InsightsEngine(store: s.server.store, logger: .init(label: "test")).loadStored(),
            "fitted on other days"
        )
    }
}

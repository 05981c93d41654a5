import Foundation
import HTTPAPI
import HTTPTestClient
import Jobs
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// The holes an audit found (docs/API.md, "Authorization"): every device-bound effect checked against the
/// token's `devices` claim — experiments, route plans, jobs —, the body of a refused request never read,
/// the job queue shared fairly, and late retries of an op answered from the op log.
final class AuthorizationHardeningTests: XCTestCase {
    let eight = (1...8).map { String(format: "VM-%03d", $0) }

    func treatment(_ s: AppTestServer, _ ids: [String], token: String) throws -> [[String: Any]] {
        try ids.map { id in
            let p = try s.request("GET", "/api/planograms/\(id)/0", token: token)
            XCTAssertEqual(p.status, 200, p.text)
            return ["device_id": id, "cabinet_index": 0, "planogram": ["slots": p.json["slots"] ?? []]]
        }
    }

    func versions(_ s: AppTestServer, _ ids: [String], token: String) throws -> [Int] {
        try ids.map { try XCTUnwrap(s.request("GET", "/api/planograms/\($0)/0", token: token).json["version"] as? Int) }
    }

    func testAScopedManagerCannotPublishAnExperimentToDevicesOutsideItsClaim() throws {
        let s = try AppTestServer(fixtures: EightDeviceFleet.directory)
        defer { s.stop() }
        let admin = s.token(.admin, sub: "root")
        let scoped = s.token(.manager, sub: "mia", devices: ["VM-001"])
        let ids = Array(eight.prefix(5))
        let before = try versions(s, eight, token: admin)
        let body: [String: Any] = [
            "name": "reach", "device_ids": ids, "metric": "revenue", "start": "2026-11-02", "seed": 5,
            "treatment": ["cabinets": try treatment(s, ids, token: admin)],
        ]
        let refused = try s.request("POST", "/api/experiments", token: scoped, json: body)
        XCTAssertEqual(refused.status, 403, refused.text)
        XCTAssertEqual(refused.errorCode, "forbidden")
        // By venue type too (it reaches devices the token does not cover).
        let venue = try XCTUnwrap(s.request("GET", "/api/devices/VM-002", token: admin).json["venue_type"] as? String)
        var byVenue = body
        byVenue["device_ids"] = nil
        byVenue["venue_type"] = venue
        XCTAssertEqual(try s.request("POST", "/api/experiments", token: scoped, json: byVenue).status, 403)
        // Nothing was written: no new version anywhere, no experiment.
        XCTAssertEqual(try versions(s, eight, token: admin), before)
        XCTAssertEqual((try s.request("GET", "/api/experiments", token: admin).json["experiments"] as? [Any])?.count, 0)

        // An experiment made by an unscoped manager is invisible to the scoped token: not listed, 403 on
        // read, events and stop — and it keeps running.
        let boss = s.token(.manager, sub: "olga")
        let four = Array(eight.prefix(4))
        let created = try s.request(
            "POST",
            "/api/experiments",
            token: boss,
            json: [
                "name": "ok", "device_ids": four, "metric": "revenue", "start": "2026-11-02", "seed": 5,
                "treatment": ["cabinets": try treatment(s, four, token: boss)],
            ]
        )
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(created.json["experiment_id"] as? String)
        XCTAssertEqual(
            (try s.request("GET", "/api/experiments", token: scoped).json["experiments"] as? [Any])?.count,
            0
        )
        XCTAssertEqual((try s.request("GET", "/api/experiments", token: boss).json["experiments"] as? [Any])?.count, 1)
        XCTAssertEqual(try s.request("GET", "/api/experiments/\(id)", token: scoped).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/experiments/\(id)/events", token: scoped).status, 403)
        XCTAssertEqual(try s.request("POST", "/api/experiments/\(id)/stop", token: scoped).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/experiments/\(id)", token: boss).json["status"] as? String, "running")
        // A token whose claim covers all four sees it.
        let covering = s.token(.manager, sub: "kim", devices: four + ["VM-008"])
        XCTAssertEqual(try s.request("GET", "/api/experiments/\(id)", token: covering).status, 200)
    }

    func testAScopedPlannerPlansOnlyItsDevicesAndNeverReplacesAnotherDay() throws {
        let s = try AppTestServer { $0.visitCost = 60 }
        defer { s.stop() }
        let boss = s.token(.manager, sub: "max")
        let plan = try s.request("GET", "/api/service-plan?days=7", token: boss)
        let date = try XCTUnwrap((plan.json["visits"] as? [[String: Any]])?.first?["date"] as? String)
        let scoped = s.token(.manager, sub: "mia", devices: ["VM-001"])
        // Naming a device outside the claim: 403, no job.
        let outside = try s.request(
            "POST",
            "/api/routes/plan",
            token: scoped,
            json: ["date": date, "device_ids": ["VM-002"], "time_limit_seconds": 1]
        )
        XCTAssertEqual(outside.status, 403, outside.text)
        // The whole fleet's day, planned by the unscoped manager.
        let accepted = try s.request(
            "POST",
            "/api/routes/plan",
            token: boss,
            json: ["date": date, "device_ids": ["VM-001", "VM-002", "VM-003"], "time_limit_seconds": 1]
        )
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let job = try XCTUnwrap(accepted.json["job_id"] as? String)
        XCTAssertEqual(try jobEvents(s.port, job, token: boss).last?.event, "done")
        let day = try s.request("GET", "/api/routes?date=\(date)", token: boss)
        XCTAssertEqual(day.status, 200, day.text)
        // The scoped token could not have made that plan: it may not replace it (409, the plan stays).
        let replace = try s.request(
            "POST",
            "/api/routes/plan",
            token: scoped,
            json: ["date": date, "time_limit_seconds": 1]
        )
        XCTAssertEqual(replace.status, 409, replace.text)
        XCTAssertEqual(try s.request("GET", "/api/routes?date=\(date)", token: boss).json["job_id"] as? String, job)
        // The scoped token's own devices on a day nobody planned yet: its plan visits only VM-001.
        let dayAfter = try XCTUnwrap(ISO8601DateFormatter().date(from: date + "T00:00:00Z")).addingTimeInterval(86_400)
        let next = String(ISO8601DateFormatter().string(from: dayAfter).prefix(10))
        let own = try s.request(
            "POST",
            "/api/routes/plan",
            token: scoped,
            json: ["date": next, "device_ids": ["VM-001"], "time_limit_seconds": 1]
        )
        XCTAssertEqual(own.status, 202, own.text)
        let ownJob = try XCTUnwrap(own.json["job_id"] as? String)
        XCTAssertEqual(try jobEvents(s.port, ownJob, token: scoped).last?.event, "done")
        let stored = try s.request("GET", "/api/routes?date=\(next)", token: boss)
        let stops = (stored.json["routes"] as? [[String: Any]] ?? []).flatMap {
            ($0["stops"] as? [[String: Any]]) ?? []
        }
        let unassigned = stored.json["unassigned"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set((stops + unassigned).compactMap { $0["device_id"] as? String }), ["VM-001"])
    }

    func testJobsAreReadStreamedAndCancelledOnlyByTheirOwnerAnAdminOrACoveringToken() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let runner = s.server.jobs
        let olga = Principal(subject: "olga", name: "Olga", role: .manager, expires: .max, devices: nil)
        let gate = DispatchSemaphore(value: 0)
        defer { gate.signal() }
        let id = try XCTUnwrap(
            runner.submit(kind: "optimize", by: olga, devices: ["VM-002"]) { ctx in
                _ = gate.wait(timeout: .now() + 30)
                return ["planogram": "secret layout"]
            }
        )
        let path = "/api/jobs/\(id)"
        // Not covered: a driver (whatever its claim: drivers do not start optimizer jobs), a manager scoped to
        // another device.
        for token in [
            s.token(.driver, sub: "dan"), s.token(.driver, sub: "dan", devices: ["VM-002"]),
            s.token(.manager, sub: "mia", devices: ["VM-001"]),
        ] {
            XCTAssertEqual(try s.request("GET", path, token: token).status, 403)
            XCTAssertEqual(try s.request("GET", path + "/events", token: token).status, 403)
        }
        XCTAssertEqual(
            try s.request("DELETE", path, token: s.token(.manager, sub: "mia", devices: ["VM-001"])).status,
            403
        )
        XCTAssertEqual(try s.request("DELETE", path, token: s.token(.driver, sub: "dan")).status, 403)
        // Covered: the owner, an admin, a merchandiser whose claim covers VM-002, an unscoped manager.
        for token in [
            s.token(.manager, sub: "olga", devices: ["VM-009"]), s.token(.admin, sub: "root"),
            s.token(.merchandiser, sub: "ann", devices: ["VM-002"]),
            s.token(.manager, sub: "max"),
        ] {
            XCTAssertEqual(try s.request("GET", path, token: token).status, 200)
        }
        XCTAssertEqual(
            try s.request("DELETE", path, token: s.token(.merchandiser, sub: "ann", devices: ["VM-002", "VM-003"]))
                .status,
            202
        )
        gate.signal()
        XCTAssertEqual(try jobEvents(s.port, id, token: s.token(.admin, sub: "root")).last?.event, "cancelled")
        // Once the job is only in the store (as after a restart), the same rule holds from its row.
        XCTAssertEqual(try runner.owner("job_nope"), nil)
        try s.server.store.write { db in
            try db.run(
                "INSERT INTO jobs(job_id, kind, state, progress, message, created_by, created_at, updated_at, devices) VALUES ('job_old', 'optimize', 'done', 1, 'done', 'olga', 0, 0, '[\"VM-002\"]')"
            )
        }
        XCTAssertEqual(
            try s.request("GET", "/api/jobs/job_old", token: s.token(.manager, sub: "mia", devices: ["VM-001"])).status,
            403
        )
        XCTAssertEqual(
            try s.request("GET", "/api/jobs/job_old", token: s.token(.manager, sub: "mia", devices: ["VM-002"])).status,
            200
        )
    }

    func testOneUsersJobsCannotLockOthersOutOfTheQueue() throws {
        // The share's rule alone: Tests/JobsTests/JobShareTests.swift. Here, through the routes.
        let s = try AppTestServer {
            $0.jobsPerUser = 3
            $0.jobsQueued = 8
            $0.jobsAdminReserve = 2
        }
        defer { s.stop() }
        let runner = s.server.jobs
        let gate = DispatchSemaphore(value: 0)
        let max = Principal(subject: "max", name: "Max", role: .manager, expires: .max, devices: nil)
        var held: [String] = []
        for _ in 0..<10 {
            guard
                let id = runner.submit(
                    kind: "fleet_plan",
                    by: max,
                    devices: nil,
                    { _ in
                        _ = gate.wait(timeout: .now() + 30)
                        return ["ok": true]
                    }
                )
            else { break }
            held.append(id)
        }
        XCTAssertEqual(held.count, 3, "one user holds at most their share")
        let flood = try s.request("POST", "/api/fleet/plan", token: s.token(.manager, sub: "max"), json: ["days": 1])
        XCTAssertEqual(flood.status, 429, flood.text)
        let other = try s.request("POST", "/api/fleet/plan", token: s.token(.manager, sub: "olga"), json: ["days": 1])
        XCTAssertEqual(other.status, 202, other.text)
        for _ in held { gate.signal() }
        for id in held { XCTAssertEqual(try jobEvents(s.port, id, token: s.token(.admin)).last?.event, "done") }
    }

    /// An unauthenticated or unauthorized upload is answered from its head: no `100 Continue`, and the
    /// answer comes while the body has not been sent.
    func testARefusedUploadIsAnsweredBeforeItsBodyIsRead() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let head = { (auth: String, expect: Bool) -> String in
            "POST /api/import?file=sales.csv HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\nContent-Length: 200000000\r\n\(auth)"
                + (expect ? "Expect: 100-continue\r\n" : "") + "\r\n"
        }
        for (auth, status) in [
            ("", 401), ("Authorization: Bearer \(s.token(.driver))\r\n", 403),
            ("Authorization: Bearer \(s.token(.manager))\r\n", 403),
        ] {
            for expect in [true, false] {
                let c = try RawClient(port: s.port, timeout: 5)
                c.send(head(auth, expect))
                if !expect { c.send([UInt8](repeating: 0x61, count: 1 << 20)) }  // a first megabyte, then nothing more
                let r = try c.readResponse()
                XCTAssertEqual(r.status, status, "expect \(expect): \(String(decoding: r.body, as: UTF8.self))")
                XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("\"code\""))
                c.close()
            }
        }
        // An admin's announced upload is told to go on.
        let c = try RawClient(port: s.port, timeout: 5)
        c.send(head("Authorization: Bearer \(s.token(.admin))\r\n", true))
        XCTAssertTrue(
            eventually {
                c.fill()
                return String(decoding: c.buffer, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n")
            }
        )
        c.close()
    }

    func testARetryThatLeftTheMemoryIsAnsweredFromTheOpLog() throws {
        let s = try AppTestServer { $0.idempotencyCapacity = 3 }
        defer { s.stop() }
        try retryOldOps(port: s.port, token: s.token(.merchandiser, sub: "ann"))
    }

    func testARetryAfterARestartIsAnsweredFromTheOpLog() throws {
        let dir = NSTemporaryDirectory() + "idem-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["PLANOGRAM_IDEMPOTENCY_OPS": "3"]
        var child = try ChildServer.serve(db: dir + "/p.db", environment: env)
        let token = TokenAuthority(secret: AppTestServer.secret).mint(
            subject: "ann",
            name: "Ann",
            role: .merchandiser,
            ttlSeconds: 600
        )
        let first = try retryOldOps(port: child.port, token: token)
        child.stop()
        child = try ChildServer.serve(db: dir + "/p.db", environment: env)
        defer { child.stop() }
        let slot = try filledSlot(port: child.port, token: token)
        for (client, seq, version) in first {
            let again = try requestOnce(
                child.port,
                "POST",
                "/api/sessions/VM-001~0/ops",
                token: token,
                json: [
                    "client_op_id": client, "base_version": 0,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": 1],
                ]
            )
            XCTAssertEqual(again.status, 200, again.text)
            XCTAssertEqual(again.json["seq"] as? Int, seq)
            XCTAssertEqual(again.json["version"] as? Int, version)
        }
    }

    /// A slot of VM-001's cabinet 0 that holds a product.
    func filledSlot(port: Int, token: String) throws -> String {
        let plan = try requestOnce(port, "GET", "/api/planograms/VM-001/0", token: token)
        let slots = try XCTUnwrap(plan.json["slots"] as? [[String: Any]], plan.text)
        return try XCTUnwrap(slots.first { $0["product_id"] is String }?["slot"] as? String)
    }

    /// Eight ops, then each of them retried: every retry returns its first `{seq, version}`, and nothing new
    /// is applied. Returns the first results.
    @discardableResult
    func retryOldOps(port: Int, token: String) throws -> [(String, Int, Int)] {
        let open = try requestOnce(
            port,
            "POST",
            "/api/sessions",
            token: token,
            json: ["device_id": "VM-001", "cabinet_index": 0]
        )
        XCTAssertTrue([200, 201].contains(open.status), open.text)
        let sid = try XCTUnwrap(open.json["session_id"] as? String)
        let base = try XCTUnwrap(
            open.json["version"] as? Int ?? (open.json["snapshot"] as? [String: Any])?["version"] as? Int
        )
        let slot = try filledSlot(port: port, token: token)
        var first: [(String, Int, Int)] = []
        for i in 0..<8 {
            let client = "late-\(i)"
            let r = try requestOnce(
                port,
                "POST",
                "/api/sessions/\(sid)/ops",
                token: token,
                json: [
                    "client_op_id": client, "base_version": base + i,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": 2 + i % 2],
                ]
            )
            XCTAssertEqual(r.status, 200, r.text)
            first.append((client, try XCTUnwrap(r.json["seq"] as? Int), try XCTUnwrap(r.json["version"] as? Int)))
        }
        for (client, seq, version) in first {
            let again = try requestOnce(
                port,
                "POST",
                "/api/sessions/\(sid)/ops",
                token: token,
                json: [
                    "client_op_id": client, "base_version": base,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": 1],
                ]
            )
            XCTAssertEqual(again.status, 200, "\(client): \(again.text)")
            XCTAssertEqual(again.json["seq"] as? Int, seq, client)
            XCTAssertEqual(again.json["version"] as? Int, version, client)
        }
        let after = try requestOnce(port, "GET", "/api/sessions/\(sid)", token: token)
        XCTAssertEqual(after.json["version"] as? Int, first.last?.2, "no retry was applied again")
        return first
    }

    func testSmallContractMends() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let driver = s.token(.driver, sub: "dan")
        // A visit line without units_added (or with null) is refused, naming the field; nothing is recorded.
        for line in [["slot": "A1", "units_pulled": 0], ["slot": "A1", "units_added": NSNull(), "units_pulled": 0]]
            as [[String: Any]]
        {
            let r = try s.request(
                "POST",
                "/api/visits",
                token: driver,
                json: ["device_id": "VM-001", "at": "2026-01-01T10:00:00Z", "lines": [line]]
            )
            XCTAssertEqual(r.status, 400, r.text)
            XCTAssertTrue(r.text.contains("units_added"), r.text)
        }
        // A control character outside ASCII (U+0085, NEL) in client_op_id is refused like the ASCII ones.
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession("VM-001", 0, token: ann)
        let bad = try s.op(sid, token: ann, client: "x\u{85}y", base: 0, ["type": "clear", "slot": "A1"])
        XCTAssertEqual(bad.status, 400, bad.text)
        // A seed given as a string is "a whole number", not "an object".
        let seed = try s.request(
            "POST",
            "/api/experiments",
            token: s.token(.manager),
            json: [
                "name": "t", "device_ids": ["VM-001"], "metric": "revenue", "start": "2026-11-02", "seed": "123",
                "treatment": "optimizer",
            ]
        )
        XCTAssertEqual(seed.status, 400)
        XCTAssertTrue(seed.text.contains("seed must be a whole number"), seed.text)
    }
}

import Foundation
import HTTPAPI
import HTTPTestClient
import Jobs
import Store
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// docs/API.md: long work as jobs with progress over SSE, cancellation, and restarts that leave no job silent.
class JobTests: XCTestCase {
    func events(_ port: Int, _ id: String, token: String) throws -> [RawClient.Event] {
        try jobEvents(port, id, token: token, timeout: 20)
    }

    func json(_ e: RawClient.Event) -> [String: Any] { eventJSON(e) }

    func testAFleetPlanRunsAsAJobWithProgressThenItsResult() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let max = s.token(.manager, sub: "max")
        let started = try s.request("POST", "/api/fleet/plan", token: max, json: ["days": 7])
        XCTAssertEqual(started.status, 202, started.text)
        let id = try XCTUnwrap(started.json["job_id"] as? String)
        let stream = try events(s.port, id, token: max)
        let done = try XCTUnwrap(stream.last)
        XCTAssertEqual(done.event, "done", "\(stream.map { $0.event ?? "" })")
        let result = try XCTUnwrap(json(done)["result"] as? [String: Any])
        XCTAssertEqual(result["devices"] as? Int, 3)
        XCTAssertGreaterThan(result["visits"] as? Int ?? 0, 0)
        let progress = stream.filter { $0.event == "progress" }.compactMap { json($0)["progress"] as? Double }
        XCTAssertEqual(progress, progress.sorted(), "progress only grows")
        // The job and its result stay readable.
        let job = try s.request("GET", "/api/jobs/\(id)", token: max)
        XCTAssertEqual(job.json["state"] as? String, "done")
        XCTAssertEqual(job.json["progress"] as? Double, 1)
        XCTAssertEqual((job.json["result"] as? [String: Any])?["devices"] as? Int, 3)
        // A subscriber after the end gets the end at once.
        XCTAssertEqual(try events(s.port, id, token: max).map(\.event), ["done"])
    }

    func testACancelledJobEndsWithCancelledNeverSilence() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let max = s.token(.manager, sub: "max")
        let id = try XCTUnwrap(
            s.server.jobs.submit(
                kind: "test_loop",
                by: Principal(subject: "max", name: "Max", role: .manager, expires: .max, devices: nil),
                devices: nil
            ) { ctx in
                var i = 0.0
                while !ctx.isCancelled && i < 600 {
                    ctx.progress(i / 600, "step \(Int(i))")
                    Thread.sleep(forTimeInterval: 0.01)
                    i += 1
                }
                if ctx.isCancelled { throw JobFailure(message: "cancelled") }
                return ["steps": i]
            }
        )
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try s.request("DELETE", "/api/jobs/\(id)", token: max).status, 202)
        let stream = try events(s.port, id, token: max)
        XCTAssertEqual(stream.last?.event, "cancelled")
        XCTAssertEqual(try s.request("GET", "/api/jobs/\(id)", token: max).json["state"] as? String, "cancelled")
        XCTAssertEqual(try s.request("DELETE", "/api/jobs/job_nope", token: max).status, 404)
    }

    func testBadJobRequestsGetTheContractsErrors() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        XCTAssertEqual(
            try s.request("POST", "/api/fleet/plan", token: s.token(.manager), json: ["days": 0]).status,
            400
        )
        XCTAssertEqual(try s.request("POST", "/api/fleet/plan", token: s.token(.driver), json: [:]).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/jobs/job_nope", token: s.token(.manager)).status, 404)
        let unknown = try events(s.port, "job_nope", token: s.token(.manager))
        XCTAssertEqual(unknown.last?.event, "failed")
    }

    func testARestartMarksJobsThatWereRunningFailedWithTheReason() throws {
        let dir = NSTemporaryDirectory() + "jobs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/p.db"
        var child = try ChildServer.serve(db: db)
        child.stop()
        // As if the server had died with a job running.
        try Store(path: db).write { db in
            try db.run(
                "INSERT INTO jobs(job_id, kind, state, progress, message, created_by, created_at, updated_at) VALUES ('job_x', 'fleet_plan', 'running', 0.4, 'forecast 4/10', 'max', 0, 0)"
            )
        }
        child = try ChildServer.serve(db: db)
        defer { child.stop() }
        let token = TokenAuthority(secret: AppTestServer.secret).mint(
            subject: "max",
            name: "Max",
            role: .manager,
            ttlSeconds: 600
        )
        let job = try requestOnce(child.port, "GET", "/api/jobs/job_x", token: token)
        XCTAssertEqual(job.json["state"] as? String, "failed")
        XCTAssertTrue((job.json["error"] as? String ?? "").contains("restarted"))
        XCTAssertEqual(try events(child.port, "job_x", token: token).last?.event, "failed")
    }
}

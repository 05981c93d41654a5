import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import StoreTestSupport
import XCTest

/// PostgreSQL or Redis away (docs/OPERATIONS.md, the outage faults): at start the node exits with a clear error
/// and 69; while running, ops are refused with 503 and Retry-After — never acknowledged and lost — the
/// session's subscribers stay connected, and everything works again once the service is back. The
/// service is taken away by cutting a TCP proxy between the node and it.
final class ServiceOutageTests: XCTestCase {
    let authority = TokenAuthority(secret: AppTestServer.secret)

    /// `url` with its port replaced (to point through a proxy).
    func rerouted(_ url: String, to port: Int) -> String {
        url.replacingOccurrences(of: #"@127\.0\.0\.1:\d+"#, with: "@127.0.0.1:\(port)", options: .regularExpression)
    }

    func testUnreachableServicesAtStartExitWith69AndSaySo() throws {
        let closed = try ClusterHarness.freePort()
        let pg = try TestPostgres.freshSchemaURL("down")
        for env in [
            ["PLANOGRAM_DATABASE_URL": rerouted(pg, to: closed)],
            ["PLANOGRAM_DATABASE_URL": pg, "PLANOGRAM_REDIS_URL": "redis://127.0.0.1:\(closed)"],
        ] {
            let child = try ChildServer(
                arguments: [
                    "serve", "--port", "0", "--db", NSTemporaryDirectory() + "unused.db",
                    "--fixtures", TestFleet.directory,
                ],
                environment: ["PLANOGRAM_SECRET": AppTestServer.secret].merging(env) { $1 }
            )
            XCTAssertTrue(child.waitForExit(timeout: 20), "exits by itself")
            XCTAssertEqual(child.process.terminationStatus, 69, child.output)
            XCTAssertTrue(child.output.contains("cannot start"), child.output)
            XCTAssertFalse(child.output.contains("listening"))
        }
    }

    func testPostgresAwayWhileRunningRefusesOpsWith503AndRecovers() throws {
        let url = try TestPostgres.freshSchemaURL("outage")
        let realPort = Int(url.split(separator: ":")[2].split(separator: "/")[0])!
        let proxy = try FaultProxy(to: realPort)
        defer { proxy.stop() }
        let dir = NSTemporaryDirectory() + "outage-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let child = try ChildServer.serve(
            db: dir + "/unused.db",
            environment: ["PLANOGRAM_DATABASE_URL": rerouted(url, to: proxy.port)]
        )
        defer { child.kill() }
        let port = child.port
        let token = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let sid = try XCTUnwrap(
            try requestOnce(
                port,
                "POST",
                "/api/sessions",
                token: token,
                json: ["device_id": "VM-001", "cabinet_index": 0]
            ).json["session_id"] as? String
        )
        let snap = try requestOnce(port, "GET", "/api/sessions/\(sid)", token: token).json
        let slot = try XCTUnwrap(
            ((snap["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])?.first?["slot"] as? String
        )
        func op(_ id: String, _ capacity: Int) throws -> APIResponse {
            try requestOnce(
                port,
                "POST",
                "/api/sessions/\(sid)/ops",
                token: token,
                json: [
                    "client_op_id": id, "base_version": 0,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": capacity],
                ]
            )
        }
        XCTAssertEqual(try op("before", 3).status, 200)
        let stream = try SessionStream(port: port, sid: sid, token: token)
        XCTAssertEqual(try stream.next().event, "snapshot")

        proxy.cut()
        for i in 0..<3 {
            let r = try op("during-\(i)", 4)
            XCTAssertEqual(r.status, 503, r.text)
            XCTAssertNotNil(r.headers.first { $0.0.lowercased() == "retry-after" }, "503 carries Retry-After")
        }
        // Reads that need the store say so too; the process is alive and the stream still open.
        XCTAssertEqual(try requestOnce(port, "GET", "/healthz", token: token).status, 200)

        proxy.restore()
        var recovered: APIResponse?
        XCTAssertTrue(
            eventually(timeout: 10) {
                recovered = try? op("during-0", 4)
                return recovered?.status == 200
            },
            "the op succeeds once PostgreSQL is back: \(recovered?.text ?? "")"
        )
        XCTAssertEqual(recovered?.json["seq"] as? Int, 2, "the refused ops took no seq")
        // The subscriber that stayed connected gets the op.
        var got: [String] = []
        while got.last != "op" { got.append(try stream.next().event ?? "") }
        let store = try Store(location: .postgres(url: url))
        let logged = try store.read { db in
            try db.query("SELECT client_op_id, seq FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) {
                ($0.text(0), $0.int(1))
            }
        }
        XCTAssertEqual(logged.map(\.0), ["before", "during-0"], "nothing refused was written; the retried op once")
        XCTAssertEqual(logged.map(\.1), [1, 2])
    }

    func testRedisAwayKeepsSessionsWorkingAndTheBusComesBack() throws {
        guard let redisText = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_REDIS_URL"],
            let redisPort = Int(redisText.split(separator: ":").last ?? "")
        else {
            throw XCTSkip("no Redis server (run Ops/test)")
        }
        let url = try TestPostgres.freshSchemaURL("busout")
        let proxy = try FaultProxy(to: redisPort)
        defer { proxy.stop() }
        let dir = NSTemporaryDirectory() + "busout-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // n1 reaches Redis directly, n2 through the proxy.
        let n1 = try ChildServer.serve(
            db: dir + "/a.db",
            environment: ["PLANOGRAM_DATABASE_URL": url, "PLANOGRAM_REDIS_URL": redisText, "PLANOGRAM_NODE_ID": "n1"]
        )
        defer { n1.kill() }
        let n2 = try ChildServer.serve(
            db: dir + "/b.db",
            environment: [
                "PLANOGRAM_DATABASE_URL": url, "PLANOGRAM_REDIS_URL": "redis://127.0.0.1:\(proxy.port)",
                "PLANOGRAM_NODE_ID": "n2",
            ]
        )
        defer { n2.kill() }
        let token = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        func listed(on node: ChildServer) -> Set<String> {
            let list =
                (try? requestOnce(node.port, "GET", "/api/sessions", token: token).json["sessions"] as? [[String: Any]])
                ?? []
            return Set(list.compactMap { $0["session_id"] as? String })
        }
        let a = try XCTUnwrap(
            try requestOnce(
                n2.port,
                "POST",
                "/api/sessions",
                token: token,
                json: ["device_id": "VM-002", "cabinet_index": 0]
            ).json["session_id"] as? String
        )
        XCTAssertTrue(eventually(timeout: 10) { listed(on: n1).contains(a) }, "n1 lists n2's session")

        proxy.cut()
        // n2's sessions work without the bus.
        let b = try XCTUnwrap(
            try requestOnce(
                n2.port,
                "POST",
                "/api/sessions",
                token: token,
                json: ["device_id": "VM-003", "cabinet_index": 0]
            ).json["session_id"] as? String
        )
        let snap = try requestOnce(n2.port, "GET", "/api/sessions/\(b)", token: token).json
        let slot = try XCTUnwrap(
            ((snap["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])?.first?["slot"] as? String
        )
        XCTAssertEqual(
            try requestOnce(
                n2.port,
                "POST",
                "/api/sessions/\(b)/ops",
                token: token,
                json: [
                    "client_op_id": "x", "base_version": 0,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": 2],
                ]
            ).status,
            200
        )
        proxy.restore()
        // The bus comes back by itself: n1 hears of the session opened during the outage.
        XCTAssertTrue(
            eventually(timeout: 15) { listed(on: n1).isSuperset(of: [a, b]) },
            "after the outage n1 lists both of n2's sessions"
        )
        XCTAssertTrue(
            n2.waitForOutput(timeout: 5) { $0.contains("cluster bus reconnected") },
            "n2 refreshed after the gap"
        )
    }
}

import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import StoreTestSupport
import XCTest

/// Live sessions across process deaths: the real executable, killed and restarted.
final class SessionDurabilityTests: XCTestCase {
    let authority = TokenAuthority(secret: AppTestServer.secret)

    func request(_ port: Int, _ method: String, _ path: String, token: String, json: Any? = nil) throws -> APIResponse {
        try requestOnce(port, method, path, token: token, json: json)
    }

    func slotNames(_ port: Int, _ sid: String, _ token: String) throws -> [String] {
        let snap = try request(port, "GET", "/api/sessions/\(sid)", token: token).json
        return ((snap["planogram"] as! [String: Any])["slots"] as! [[String: Any]]).filter {
            $0["width_cols"] as? Int == 1
        }.map { $0["slot"] as! String }.sorted()
    }

    func testKill9UnderConcurrentOpsLosesNoAcknowledgedOp() throws {
        let dir = NSTemporaryDirectory() + "kill9-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/p.db"
        try killNineMidEdit(db: db, environment: [:]) { try Store(path: db) }
    }

    /// The same on PostgreSQL: the op log's group commit acknowledges only what the server committed.
    func testKill9OnPostgresLosesNoAcknowledgedOp() throws {
        let url = try TestPostgres.freshSchemaURL("kill9")
        let dir = NSTemporaryDirectory() + "kill9-pg-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try killNineMidEdit(db: dir + "/unused.db", environment: ["PLANOGRAM_DATABASE_URL": url]) {
            try Store(location: .postgres(url: url))
        }
    }

    /// Four clients send ops as fast as they are acknowledged; the server is killed with SIGKILL after
    /// 1.5 s; every acknowledged op is in the log with its seq, the seqs are gap-free, and the restarted
    /// server has the session back with the same seq and answers a retried op with its first result.
    func killNineMidEdit(db: String, environment: [String: String], store openStore: () throws -> Store) throws {
        var child = try ChildServer.serve(db: db, environment: environment)
        var port = child.port
        let token = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let open = try request(
            port,
            "POST",
            "/api/sessions",
            token: token,
            json: ["device_id": "VM-001", "cabinet_index": 0]
        )
        let sid = try XCTUnwrap(open.json["session_id"] as? String)
        let names = try slotNames(port, sid, token)
        final class Acks: @unchecked Sendable {
            let lock = NSLock()
            var acked: [String: (Int, Int)] = [:]
            func add(_ k: String, _ v: (Int, Int)) {
                lock.lock()
                acked[k] = v
                lock.unlock()
            }
        }
        let acks = Acks()
        let group = DispatchGroup()
        let threads = 4
        let firstPort = port
        for t in 0..<threads {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                guard let c = try? RawClient(port: firstPort, timeout: 5) else { return }
                for i in 0..<10_000 {
                    let id = "t\(t)-\(i)"
                    let body =
                        "{\"client_op_id\":\"\(id)\",\"base_version\":0,\"op\":{\"type\":\"set_capacity\",\"slot\":\"\(names[t])\",\"capacity\":\(1 + i % 20)}}"
                    c.send(
                        "POST /api/sessions/\(sid)/ops HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                    )
                    guard let r = try? c.readResponse(), r.status == 200,
                        let o = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                        let seq = o["seq"] as? Int, let v = o["version"] as? Int
                    else { return }
                    acks.add(id, (seq, v))
                }
            }
            thread.start()
        }
        Thread.sleep(forTimeInterval: 1.5)
        child.kill()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        let acked = acks.acked
        XCTAssertGreaterThan(acked.count, 20, "ops were acknowledged before the kill")

        // Every acknowledged op is in the op log with its seq.
        let store = try openStore()
        let rows = try store.read { db in
            try db.query("SELECT client_op_id, seq, version FROM op_log WHERE session_id = ?", [.text(sid)]) {
                ($0.text(0), $0.int(1), $0.int(2))
            }
        }
        let logged = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, ($0.1, $0.2)) })
        for (id, v) in acked {
            XCTAssertTrue(
                logged[id].map { $0 == v } ?? false,
                "\(id) acknowledged as \(v), logged \(String(describing: logged[id]))"
            )
        }
        let seqs = rows.map(\.1).sorted()
        XCTAssertEqual(seqs, Array(1...seqs.count), "seq is gap-free")

        // Restarted, the session is back with the same seq, and a retried op returns its first result.
        child = try ChildServer.serve(db: db, environment: environment)
        port = child.port
        defer { child.stop() }
        let snap = try request(port, "GET", "/api/sessions/\(sid)", token: token).json
        XCTAssertEqual(snap["seq"] as? Int, seqs.last)
        let (someID, someResult) = acked.first!
        let t = Int(someID.dropFirst().prefix { $0 != "-" })!
        let retry = try request(
            port,
            "POST",
            "/api/sessions/\(sid)/ops",
            token: token,
            json: [
                "client_op_id": someID, "base_version": 0,
                "op": ["type": "set_capacity", "slot": names[t], "capacity": 1],
            ]
        )
        XCTAssertEqual(retry.json["seq"] as? Int, someResult.0)
        XCTAssertEqual(retry.json["version"] as? Int, someResult.1)
        // The draft holds the last acknowledged capacity of each slot.
        let slots = ((snap["planogram"] as! [String: Any])["slots"] as! [[String: Any]])
        for t in 0..<threads {
            let last = acked.filter { $0.key.hasPrefix("t\(t)-") }.max { $0.value.0 < $1.value.0 }
            guard let last, let i = Int(last.key.split(separator: "-")[1]) else { continue }
            let logLast = rows.filter { $0.0.hasPrefix("t\(t)-") }.max { $0.1 < $1.1 }!
            let expected = 1 + Int(logLast.0.split(separator: "-")[1])! % 20
            XCTAssertGreaterThanOrEqual(Int(logLast.0.split(separator: "-")[1])!, i)
            XCTAssertEqual(slots.first { $0["slot"] as? String == names[t] }?["capacity"] as? Int, expected)
        }
    }

    func testSIGTERMWritesACheckpointAndEndsStreams() throws {
        let dir = NSTemporaryDirectory() + "term-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/p.db"
        let child = try ChildServer.serve(db: db)
        defer { child.kill() }
        let port = child.port
        let token = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let sid = try XCTUnwrap(
            try request(port, "POST", "/api/sessions", token: token, json: ["device_id": "VM-002", "cabinet_index": 0])
                .json["session_id"] as? String
        )
        let names = try slotNames(port, sid, token)
        let stream = try SessionStream(port: port, sid: sid, token: token)
        XCTAssertEqual(try stream.next().event, "snapshot")
        for i in 0..<3 {
            XCTAssertEqual(
                try request(
                    port,
                    "POST",
                    "/api/sessions/\(sid)/ops",
                    token: token,
                    json: [
                        "client_op_id": "c\(i)", "base_version": i,
                        "op": ["type": "set_capacity", "slot": names[i], "capacity": 2],
                    ]
                ).status,
                200
            )
        }
        child.signal(SIGTERM)
        let tail = try stream.until("shutdown")
        let cp = try XCTUnwrap(tail.first { $0.event == "checkpoint" }, "\(tail.map { $0.event ?? "" })")
        XCTAssertEqual(stream.json(cp)["seq"] as? Int, 3)
        XCTAssertTrue(stream.client.waitForClose())
        XCTAssertTrue(child.waitForExit(timeout: 10), "exited after SIGTERM")
        XCTAssertEqual(child.process.terminationStatus, 0)
        let store = try Store(path: db)
        XCTAssertEqual(
            try store.read {
                try $0.scalarInt("SELECT max(seq) FROM session_checkpoints WHERE session_id = ?", [.text(sid)])
            },
            3
        )
    }
}

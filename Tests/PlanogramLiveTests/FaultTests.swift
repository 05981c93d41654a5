import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import Store
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// Faults injected into the real server: a write lock held by another process past the busy timeout,
/// a full database, a publish whose log id a user already took, a start before the models exist, and
/// runaway clients. Each ends with the server healthy, every acknowledged op durable and no seq skipped.
final class FaultTests: XCTestCase {
    let authority = TokenAuthority(secret: AppTestServer.secret)

    func request(_ port: Int, _ method: String, _ path: String, token: String, json: Any? = nil) throws -> APIResponse {
        try requestOnce(port, method, path, token: token, json: json)
    }

    func op(
        _ port: Int,
        _ sid: String,
        _ token: String,
        _ client: String,
        base: Int,
        _ op: [String: Any]
    ) throws -> APIResponse {
        try request(
            port,
            "POST",
            "/api/sessions/\(sid)/ops",
            token: token,
            json: ["client_op_id": client, "base_version": base, "op": op]
        )
    }

    func slots(_ port: Int, _ sid: String, _ token: String) throws -> [String: String] {
        let snap = try request(port, "GET", "/api/sessions/\(sid)", token: token).json
        var out: [String: String] = [:]
        for s in (snap["planogram"] as! [String: Any])["slots"] as! [[String: Any]] where s["width_cols"] as? Int == 1 {
            out[s["slot"] as! String] = s["product_id"] as? String
        }
        return out
    }

    /// The op events a stream delivers, in order, until `count` arrived.
    func opIDs(_ stream: SessionStream, count: Int) throws -> [String] {
        var ids: [String] = []
        while ids.count < count {
            let e = try stream.next()
            if e.event == "op" || e.event == "published" { ids.append(e.id ?? "") }
        }
        return ids
    }

    func testAWriteLockHeldPastTheBusyTimeoutRefusesTheOpLosesNothingAndSkipsNoSeq() throws {
        let dir = NSTemporaryDirectory() + "lock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/p.db"
        var child = try ChildServer.serve(db: db, environment: ["PLANOGRAM_OPLOG_BUSY_TIMEOUT_MS": "300"])
        let token = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let port = child.port
        let sid = try XCTUnwrap(
            try request(port, "POST", "/api/sessions", token: token, json: ["device_id": "VM-001", "cabinet_index": 0])
                .json["session_id"] as? String
        )
        let names = try slots(port, sid, token).keys.sorted()
        let stream = try SessionStream(port: port, sid: sid, token: token)
        XCTAssertEqual(try stream.next().event, "snapshot")

        // Another process holds SQLite's write lock longer than the server's busy timeout.
        let other = try SQLiteDatabase(path: db)
        other.setBusyTimeout(milliseconds: 5000)
        try other.execute("BEGIN IMMEDIATE")
        // While the op waits for the lock, the loops keep answering: /healthz returns first.
        final class Reply: @unchecked Sendable {
            var response: APIResponse?
            let done = DispatchSemaphore(value: 0)
        }
        let pending = Reply()
        let first = names[0]
        Thread {
            let c = try? RawClient(port: port, timeout: 15)
            let body = "{\"client_op_id\":\"a\",\"base_version\":0,\"op\":{\"type\":\"clear\",\"slot\":\"\(first)\"}}"
            c?.send(
                "POST /api/sessions/\(sid)/ops HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            if let r = try? c?.readResponse() {
                pending.response = APIResponse(status: r.status, headers: r.headers, body: r.body)
            }
            pending.done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        let health = try RawClient(port: port, timeout: 5)
        health.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try health.readResponse().status, 200)
        XCTAssertEqual(pending.done.wait(timeout: .now()), .timedOut, "the op is still waiting for the lock")
        XCTAssertEqual(pending.done.wait(timeout: .now() + 10), .success)
        let refused = try XCTUnwrap(pending.response)
        XCTAssertEqual(refused.status, 503, refused.text)
        XCTAssertEqual(refused.errorCode, "store_unavailable")
        XCTAssertNotNil(refused.headers.first { $0.0.lowercased() == "retry-after" })
        XCTAssertFalse(
            refused.text.lowercased().contains("sqlite"),
            "no storage internals in the body: \(refused.text)"
        )
        // The server still answers other requests while the lock is held.
        XCTAssertEqual(try request(port, "GET", "/api/sessions/\(sid)", token: token).status, 200)
        try other.execute("ROLLBACK")

        // The draft did not move: the slot still holds its product, and the retry applies afresh as seq 1.
        XCTAssertNotNil(try slots(port, sid, token)[names[0]])
        let retried = try op(port, sid, token, "a", base: 0, ["type": "set_capacity", "slot": names[0], "capacity": 3])
        XCTAssertEqual(retried.status, 200, retried.text)
        XCTAssertEqual(retried.json["seq"] as? Int, 1)
        // The refused clear left no trace: clearing the slot now works (it is not "empty").
        let next = try op(port, sid, token, "b", base: 1, ["type": "clear", "slot": names[0]])
        XCTAssertEqual(next.status, 200, next.text)
        XCTAssertEqual(next.json["seq"] as? Int, 2)
        let third = try op(port, sid, token, "c", base: 2, ["type": "set_capacity", "slot": names[2], "capacity": 2])
        XCTAssertEqual(third.json["seq"] as? Int, 3)
        let expected = ["1", "2", "3"]
        XCTAssertEqual(try opIDs(stream, count: expected.count), expected, "the stream has no gap")

        // kill -9, restart: every acknowledged op is there, with the same seqs.
        child.kill()
        child = try ChildServer.serve(db: db)
        defer { child.stop() }
        let rows = try Store(path: db).read { db in
            try db.query("SELECT seq, client_op_id FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) {
                "\($0.int(0)):\($0.text(1))"
            }
        }
        XCTAssertEqual(rows, ["1:a", "2:b", "3:c"])
        XCTAssertEqual(
            try request(child.port, "GET", "/api/sessions/\(sid)", token: token).json["seq"] as? Int,
            expected.count
        )
    }

    func testADiskFullDuringOpsLosesNoAcknowledgedOpAndRecoversWhenThereIsRoom() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let names = try slots(s.port, sid, ann).keys.sorted()
        let writer = s.server.sessions.env.writer
        // The writer's connection may not grow the file any more: SQLITE_FULL as soon as a page is needed.
        try writer.read { db in
            let pages = try db.scalarInt("PRAGMA page_count") ?? 0
            _ = try db.query("PRAGMA max_page_count = \(pages)") { $0.int(0) }
        }
        var acked: [Int] = []
        var refused = 0
        for i in 0..<300 {
            let r = try s.op(
                sid,
                token: ann,
                client: "f\(i)",
                base: acked.last ?? 0,
                ["type": "set_capacity", "slot": names[i % names.count], "capacity": 1 + i % 9]
            )
            if r.status == 200 {
                acked.append(r.json["seq"] as! Int)
            } else {
                XCTAssertEqual(r.status, 503, r.text)
                XCTAssertEqual(r.errorCode, "store_unavailable")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 0, "the full database refused some op")
        XCTAssertEqual(
            acked,
            Array(1...max(1, acked.count)).prefix(acked.count).map { $0 },
            "acknowledged seqs are consecutive"
        )
        try writer.read { db in _ = try db.query("PRAGMA max_page_count = 1073741823") { $0.int(0) } }
        let after = try s.op(
            sid,
            token: ann,
            client: "after",
            base: acked.count,
            ["type": "set_capacity", "slot": names[0], "capacity": 4]
        )
        XCTAssertEqual(after.status, 200, after.text)
        XCTAssertEqual(after.json["seq"] as? Int, acked.count + 1, "no seq skipped by the refused ops")
        let logged = try writer.read { db in
            try db.query("SELECT seq FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) { $0.int(0) }
        }
        XCTAssertEqual(logged.suffix(acked.count + 1), Array(1...(acked.count + 1)).suffix(acked.count + 1))
    }

    func testAPublishAfterAUserTookItsOldLogIDIsLoggedAndReported() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let names = try slots(s.port, sid, ann).keys.sorted()
        // The user's op takes the id the old code gave the publish of seq 2.
        XCTAssertEqual(
            try s.op(
                sid,
                token: ann,
                client: "publish-2",
                base: 0,
                ["type": "set_capacity", "slot": names[0], "capacity": 2]
            ).status,
            200
        )
        let stream = try SessionStream(port: s.port, sid: sid, token: ann, lastEventID: "1")
        let published = try s.request("POST", "/api/sessions/\(sid)/publish", token: ann)
        XCTAssertEqual(published.status, 200, published.text)
        XCTAssertEqual(published.json["seq"] as? Int, 2)
        let event = try XCTUnwrap(try stream.until("published").last)
        XCTAssertEqual(event.id, "2")
        let rows = try s.server.sessions.env.writer.read { db in
            try db.query("SELECT seq FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) { $0.int(0) }
        }
        XCTAssertEqual(rows, [1, 2])
        // A client op id may not use the server's reserved control-character namespace.
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "\u{1F}publish-3", base: 2, ["type": "clear", "slot": names[1]]).status,
            400
        )
    }

    func testOneFailingRowDoesNotFailOtherSessionsInTheSameBatch() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let writer = s.server.sessions.env.writer
        let results = writer.writeNow([
            .op(sessionID: "x~0", seq: 1, version: 1, epoch: 0, user: "u", clientOpID: "a", op: "{}", at: 0),
            // The same seq: refused.
            .op(sessionID: "x~0", seq: 1, version: 1, epoch: 0, user: "u", clientOpID: "b", op: "{}", at: 0),
            // After a failure: fenced.
            .op(sessionID: "x~0", seq: 2, version: 2, epoch: 0, user: "u", clientOpID: "c", op: "{}", at: 0),
            .op(sessionID: "y~0", seq: 1, version: 1, epoch: 0, user: "u", clientOpID: "a", op: "{}", at: 0),
        ])
        XCTAssertEqual(
            results.map { if case .success = $0 { return "ok" } else { return "failed" } },
            ["ok", "failed", "failed", "ok"]
        )
        if case .failure(let e) = results[2] { XCTAssertTrue(e.fenced) }
        // The session's next epoch writes again.
        let again = writer.writeNow([
            .op(sessionID: "x~0", seq: 2, version: 2, epoch: 1, user: "u", clientOpID: "c", op: "{}", at: 0)
        ])
        if case .failure(let e) = again[0] { XCTFail("\(e)") }
        let rows = try writer.read { db in
            try db.query("SELECT session_id || ':' || seq FROM op_log ORDER BY 1") { $0.text(0) }
        }
        XCTAssertEqual(rows, ["x~0:1", "x~0:2", "y~0:1"])
    }

    func testOpsNeedNoModelsAndReadinessWaitsForThem() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let names = try slots(s.port, sid, ann)
        let stream = try SessionStream(port: s.port, sid: sid, token: ann)
        XCTAssertEqual(try stream.next().event, "snapshot")
        // As right after a first start: no models yet.
        s.server.insights.unloadForTesting()
        let ready = try s.request("GET", "/readyz")
        XCTAssertEqual(ready.status, 503)
        XCTAssertNotNil(ready.headers.first { $0.0.lowercased() == "retry-after" })
        let score = try s.request(
            "POST",
            "/api/planograms/realtime/score",
            token: ann,
            json: ["device_id": "VM-001", "cabinet_index": 0, "product_id": "P001", "slot_position": "A1"]
        )
        XCTAssertEqual(score.status, 503)
        // Ops see the whole catalogue from the store: move and place work, unknown products are still refused.
        let empty = ["A1", "A2", "B1", "B2", "C1", "C2"].first { names[$0] == nil }
        let from = names.keys.sorted()[0]
        var base = 0
        if let empty {
            let moved = try s.op(sid, token: ann, client: "m", base: base, ["type": "move", "from": from, "to": empty])
            XCTAssertEqual(moved.status, 200, moved.text)
            base += 1
        }
        let target = names.keys.sorted()[1]
        let placed = try s.op(
            sid,
            token: ann,
            client: "p",
            base: base,
            ["type": "place", "slot": target, "product_id": names[from]!]
        )
        XCTAssertEqual(placed.status, 200, placed.text)
        base += 1
        let unknown = try s.op(
            sid,
            token: ann,
            client: "u",
            base: base,
            ["type": "place", "slot": target, "product_id": "NOPE"]
        )
        XCTAssertEqual(unknown.status, 422)
        XCTAssertEqual(unknown.errorCode, "unknown_product")
        // The models arrive: readiness turns 200 and the slots edited meanwhile get their scores.
        try s.server.insights.rebuild()
        XCTAssertEqual(try s.request("GET", "/readyz").status, 200)
        // A round that was under way when the models were unloaded may still end with its heat map and forecast
        // (no edited slot in it): read on until the edited slot's score, not just to the next forecast.
        var seen: [String] = []
        var scored = false
        for _ in 0..<50 where !scored {
            let e = try stream.next()
            seen.append(e.event ?? "")
            scored = e.event == "score" && stream.json(e)["slot"] as? String == target
        }
        XCTAssertTrue(scored, "\(seen)")
    }

    func testRateLimitsAnswer429WithRetryAfterAndAreCounted() throws {
        let s = try AppTestServer {
            $0.rateLimits[.ops] = RateLimit(rate: 1, burst: 2)
            $0.rateLimits[.drags] = RateLimit(rate: 1, burst: 1)
        }
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let bob = s.token(.merchandiser, sub: "bob")
        let sid = try s.openSession(token: ann)
        let name = try slots(s.port, sid, ann).keys.sorted()[0]
        var statuses: [Int] = []
        for i in 0..<3 {
            statuses.append(
                try s.op(
                    sid,
                    token: ann,
                    client: "r\(i)",
                    base: i,
                    ["type": "set_capacity", "slot": name, "capacity": 2 + i]
                ).status
            )
        }
        XCTAssertEqual(statuses, [200, 200, 429])
        let limited = try s.op(
            sid,
            token: ann,
            client: "r9",
            base: 2,
            ["type": "set_capacity", "slot": name, "capacity": 9]
        )
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.errorCode, "rate_limited")
        XCTAssertGreaterThanOrEqual(Int(limited.headers.first { $0.0.lowercased() == "retry-after" }?.1 ?? "") ?? 0, 1)
        // Another token has its own budget.
        XCTAssertEqual(
            try s.op(sid, token: bob, client: "b", base: 2, ["type": "set_capacity", "slot": name, "capacity": 5])
                .status,
            200
        )
        let drag = ["product_id": "P001", "slot": name]
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/drag", token: ann, json: drag).status, 202)
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/drag", token: ann, json: drag).status, 429)
        let metrics = try s.request("GET", "/metrics").text
        XCTAssertTrue(metrics.contains("rate_limited_total{route=\"ops\"}"), metrics)
    }

    func testDragFieldsAreBoundedAndCheckedAgainstTheCatalogue() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let huge = try s.request(
            "POST",
            "/api/sessions/\(sid)/drag",
            token: ann,
            json: ["product_id": String(repeating: "x", count: 400_000), "slot": "A1"]
        )
        XCTAssertEqual(huge.status, 400)
        let unknown = try s.request(
            "POST",
            "/api/sessions/\(sid)/drag",
            token: ann,
            json: ["product_id": "NOPE", "slot": "A1"]
        )
        XCTAssertEqual(unknown.status, 422)
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/drag", token: ann, json: ["product_id": "P001", "slot": "A1"])
                .status,
            202
        )
    }

    func testAResumeFromAnOpGetsTheHeatMapAndForecastThatFollowedIt() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let name = try slots(s.port, sid, ann).keys.sorted()[0]
        let watcher = try SessionStream(port: s.port, sid: sid, token: s.token(.manager, sub: "max"))
        XCTAssertEqual(try watcher.next().event, "snapshot")
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "1", base: 0, ["type": "set_capacity", "slot": name, "capacity": 2])
                .status,
            200
        )
        let seen = try watcher.until("revenue")
        let heat = try XCTUnwrap(seen.first { $0.event == "heatmap" })
        // A client that got op 1 but dropped before the derived events resumes from "1".
        let back = try SessionStream(port: s.port, sid: sid, token: ann, lastEventID: "1")
        let replay = try back.until("revenue")
        XCTAssertEqual(replay.first { $0.event == "heatmap" }?.id, heat.id)
        XCTAssertFalse(replay.contains { $0.event == "op" || $0.event == "snapshot" })
    }

    func testClientsThatVanishMidRequestAndMidStreamDuringEditsLoseNoAcknowledgedOp() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let name = try slots(s.port, sid, ann).keys.sorted()[0]
        var acked: [Int] = []
        for i in 0..<30 {
            // A subscriber that leaves with a reset while events flow.
            let gone = try RawClient(port: s.port, timeout: 5, receiveBuffer: 4096)
            gone.send("GET /api/sessions/\(sid)/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(ann)\r\n\r\n")
            // An op request cut off halfway through its body.
            let cut = try RawClient(port: s.port, timeout: 5)
            cut.send(
                "POST /api/sessions/\(sid)/ops HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(ann)\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"client_op_id\":\"cut-\(i)\","
            )
            let r = try s.op(
                sid,
                token: ann,
                client: "v\(i)",
                base: acked.count,
                ["type": "set_capacity", "slot": name, "capacity": 1 + i % 7]
            )
            XCTAssertEqual(r.status, 200, r.text)
            acked.append(r.json["seq"] as! Int)
            gone.close()
            cut.close()
        }
        XCTAssertEqual(acked, Array(1...30))
        let logged = try s.server.sessions.env.writer.read { db in
            try db.query("SELECT client_op_id FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) {
                $0.text(0)
            }
        }
        XCTAssertEqual(logged, (0..<30).map { "v\($0)" }, "the cut requests applied nothing")
        XCTAssertTrue(eventually(timeout: 5) { s.server.http.connectionCount == 0 }, "vanished clients are cleaned up")
        XCTAssertEqual(try s.request("GET", "/healthz").status, 200)
    }

    func testOutOfRangeOpFieldsAreRefusedWithBoundedMessages() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let name = try slots(s.port, sid, ann).keys.sorted()[0]
        let huge = try s.op(
            sid,
            token: ann,
            client: "c",
            base: 0,
            ["type": "set_capacity", "slot": name, "capacity": 1_000_000_000_000]
        )
        XCTAssertEqual(huge.status, 422)
        XCTAssertEqual(huge.errorCode, "rule_broken")
        let place = try s.op(
            sid,
            token: ann,
            client: "p",
            base: 0,
            ["type": "place", "slot": name, "product_id": "P001", "capacity": 1001]
        )
        XCTAssertEqual(place.status, 422)
        let long = try s.op(
            sid,
            token: ann,
            client: "l",
            base: 0,
            ["type": "clear", "slot": String(repeating: "Z", count: 100_000)]
        )
        XCTAssertEqual(long.status, 422)
        XCTAssertLessThan(long.body.count, 1_000, "the bad slot code is not echoed whole")
        let deep = try s.request(
            "POST",
            "/api/sessions/\(sid)/ops",
            token: ann,
            body: String(repeating: "[", count: 200_000),
            contentType: "application/json"
        )
        XCTAssertEqual(deep.status, 400)
        XCTAssertEqual(try s.request("GET", "/healthz").status, 200)
    }
}

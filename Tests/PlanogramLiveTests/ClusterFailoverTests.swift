import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import XCTest

/// docs/OPERATIONS.md on one machine: three nodes on PostgreSQL and Redis behind nginx; editors and watchers on
/// three sessions; the node holding one of them killed with SIGKILL mid-edit. Every acknowledged op is
/// in the log with the seq it was acknowledged with, every watcher resumes through nginx and sees every
/// change exactly once, and the managers' dashboard on every surviving node lists every session.
final class ClusterFailoverTests: XCTestCase {
    let authority = TokenAuthority(secret: AppTestServer.secret)

    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var acked: [String: (seq: Int, version: Int)] = [:]
        var retries = 0
        var opSeqs: [Int] = []
        /// The seq of the first snapshot the watcher got (ops after it arrive as events).
        var snapshotSeq: Int?
        var reconnects = 0
        var firstEventAfterKill: Date?
        func with<T>(_ body: (Record) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(self)
        }
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        private var at: Date?
        func set() {
            lock.lock()
            value = true
            at = Date()
            lock.unlock()
        }
        var isSet: Bool {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        var time: Date? {
            lock.lock()
            defer { lock.unlock() }
            return at
        }
    }

    func testANodeKilledMidEditLosesNoAcknowledgedOpAndEveryWatcherResumes() throws {
        let cluster = try ClusterHarness()
        defer { cluster.stop() }
        try cluster.start()
        let port = cluster.nginxPort
        let editor = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let manager = authority.mint(subject: "max", name: "Max", role: .manager, ttlSeconds: 600)

        // Three sessions, opened through nginx (routed by the cabinet in the query).
        let devices = ["VM-001", "VM-002", "VM-003"]
        var sids: [String] = []
        var slots: [String: String] = [:]
        for d in devices {
            let r = try requestOnce(
                port,
                "POST",
                "/api/sessions?device_id=\(d)&cabinet_index=0",
                token: editor,
                json: ["device_id": d, "cabinet_index": 0]
            )
            XCTAssertTrue([200, 201].contains(r.status), r.text)
            let sid = try XCTUnwrap(r.json["session_id"] as? String)
            sids.append(sid)
            let snap = try requestOnce(port, "GET", "/api/sessions/\(sid)", token: editor).json
            slots[sid] =
                ((snap["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])?.first?["slot"] as? String
        }
        // Which node holds each session (every node lists every node's sessions, with the holder).
        func holders(via node: ChildServer) throws -> [String: String] {
            let list =
                try requestOnce(node.port, "GET", "/api/sessions", token: manager).json["sessions"] as? [[String: Any]]
                ?? []
            return Dictionary(
                list.compactMap { o in (o["session_id"] as? String).map { ($0, o["node"] as? String ?? "?") } }
            ) { a, _ in a }
        }
        XCTAssertTrue(
            eventually(timeout: 10) { (try? holders(via: cluster.nodes[0]).count) == 3 },
            "every node lists the three sessions"
        )
        let before = try holders(via: cluster.nodes[0])
        let victimSession = sids[0]
        let victim = try XCTUnwrap(before[victimSession])

        let killed = Flag()
        let stop = Flag()
        let records = Dictionary(uniqueKeysWithValues: sids.map { ($0, Record()) })
        let group = DispatchGroup()
        let watchers = DispatchGroup()
        let editorsDone = Flag()
        // Editors: ops as fast as they are acknowledged; a failed request is retried with the same
        // client_op_id (a new connection after a broken one), as the web client does.
        for sid in sids {
            group.enter()
            let slot = slots[sid]!
            Thread {
                defer { group.leave() }
                let rec = records[sid]!
                var client = try? RawClient(port: port, timeout: 5)
                var i = 0
                while !stop.isSet && i < 5000 {
                    let id = "\(sid)-\(i)"
                    let body =
                        "{\"client_op_id\":\"\(id)\",\"base_version\":0,\"op\":{\"type\":\"set_capacity\",\"slot\":\"\(slot)\",\"capacity\":\(1 + i % 20)}}"
                    var done = false
                    for _ in 0..<200 where !done {
                        if client == nil { client = try? RawClient(port: port, timeout: 5) }
                        guard let c = client else {
                            Thread.sleep(forTimeInterval: 0.05)
                            continue
                        }
                        c.send(
                            "POST /api/sessions/\(sid)/ops HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(editor)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                        )
                        if let r = try? c.readResponse(), r.status == 200,
                            let o = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                            let seq = o["seq"] as? Int, let v = o["version"] as? Int
                        {
                            rec.with { $0.acked[id] = (seq, v) }
                            done = true
                        } else {
                            rec.with { $0.retries += 1 }
                            client?.close()
                            client = nil
                            Thread.sleep(forTimeInterval: 0.05)
                        }
                    }
                    if !done { return }
                    i += 1
                }
            }.start()
        }
        // Watchers: one stream per session through nginx; on its end, reconnect with Last-Event-ID.
        for sid in sids {
            watchers.enter()
            Thread {
                defer { watchers.leave() }
                let rec = records[sid]!
                var last: String?
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline {
                    guard let stream = try? SessionStream(port: port, sid: sid, token: manager, lastEventID: last)
                    else {
                        Thread.sleep(forTimeInterval: 0.05)
                        continue
                    }
                    stream.client.setTimeout(1)
                    rec.with { $0.reconnects += last == nil ? 0 : 1 }
                    let afterKill = killed.isSet  // a stream opened after the kill is served by a surviving node
                    while let e = try? stream.next() {
                        if let id = e.id { last = id }
                        if afterKill {
                            rec.with { if $0.firstEventAfterKill == nil { $0.firstEventAfterKill = Date() } }
                        }
                        if e.event == "op", let id = e.id, let seq = Int(id) { rec.with { $0.opSeqs.append(seq) } }
                        if e.event == "snapshot", let seq = stream.json(e)["seq"] as? Int {
                            rec.with { if $0.snapshotSeq == nil { $0.snapshotSeq = seq } }
                        }
                    }
                    stream.client.close()
                    // Done once the editors finished and this watcher has seen the last acknowledged op.
                    if editorsDone.isSet {
                        let top = rec.with { r in r.acked.values.map(\.seq).max() ?? 0 }
                        if rec.with({ $0.opSeqs.last ?? 0 }) >= top { return }
                    }
                }
            }.start()
        }

        Thread.sleep(forTimeInterval: 2)
        killed.set()
        cluster.node(victim).kill()
        Thread.sleep(forTimeInterval: 4)
        stop.set()
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "editors finished")
        editorsDone.set()
        XCTAssertEqual(watchers.wait(timeout: .now() + 60), .success, "watchers caught up")

        let store = try Store(location: .postgres(url: cluster.databaseURL))
        for sid in sids {
            let rec = records[sid]!
            let acked = rec.with { $0.acked }
            XCTAssertGreaterThan(acked.count, 10, "\(sid): ops were acknowledged")
            let rows = try store.read { db in
                try db.query("SELECT client_op_id, seq, version FROM op_log WHERE session_id = ?", [.text(sid)]) {
                    ($0.text(0), $0.int(1), $0.int(2))
                }
            }
            let logged = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, ($0.1, $0.2)) })
            for (id, v) in acked {
                XCTAssertTrue(
                    logged[id].map { $0 == (v.seq, v.version) } ?? false,
                    "\(id) acknowledged as \(v), logged as \(String(describing: logged[id]))"
                )
            }
            let seqs = rows.map(\.1).sorted()
            XCTAssertEqual(
                seqs,
                Array(1...max(1, seqs.count)).prefix(seqs.count).map { $0 },
                "\(sid): the log's seqs are gap-free"
            )
            // Every change reached the watcher exactly once, in order, across the failover.
            let (seen, from) = rec.with { ($0.opSeqs, $0.snapshotSeq ?? 0) }
            let expected = Array((from + 1)..<((seqs.last ?? 0) + 1))
            let firstDifference = zip(seen, expected).first { $0.0 != $0.1 }
            XCTAssertTrue(
                seen == expected,
                "\(sid): the watcher saw \(seen.count) ops, expected \(expected.count) (\(from + 1)…\(seqs.last ?? 0)); first difference \(String(describing: firstDifference))"
            )
        }
        let victimRecord = records[victimSession]!
        XCTAssertGreaterThan(victimRecord.with { $0.reconnects }, 0, "the victim session's watcher reconnected")
        XCTAssertGreaterThan(victimRecord.with { $0.retries }, 0, "the victim session's editor saw the node die")
        if let t = victimRecord.with({ $0.firstEventAfterKill }), let k = killed.time {
            print(
                "cluster failover: first event on the new node \(Int(t.timeIntervalSince(k) * 1000)) ms after the kill"
            )
        }

        // The dashboard on every surviving node lists every session, the victim's on its new node.
        for node in cluster.nodes where node !== cluster.node(victim) {
            XCTAssertTrue(
                eventually(timeout: 10) {
                    guard
                        let stream = try? SessionStream(
                            port: node.port,
                            sid: "",
                            token: manager,
                            path: "/api/sessions/events"
                        ),
                        let e = try? stream.next(), e.event == "sessions"
                    else { return false }
                    let list = stream.json(e)["sessions"] as? [[String: Any]] ?? []
                    let nodes = Dictionary(
                        list.compactMap { o in (o["session_id"] as? String).map { ($0, o["node"] as? String ?? "") } }
                    ) { a, _ in a }
                    return Set(nodes.keys) == Set(sids) && nodes[victimSession] != victim
                },
                "the dashboard of node \(node.port) lists every session, the victim's moved"
            )
        }
    }

    /// A job runs on the node that took its request; another node streams its progress and end (relayed
    /// over Redis), and a third node's cancel reaches it.
    func testAJobIsWatchedAndCancelledThroughOtherNodes() throws {
        let cluster = try ClusterHarness()
        defer { cluster.stop() }
        try cluster.start()
        let (n1, n2, n3) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        let boss = authority.mint(subject: "max", name: "Max", role: .manager, ttlSeconds: 600)
        let plan = try requestOnce(n1.port, "GET", "/api/service-plan?days=7", token: boss)
        let date = try XCTUnwrap((plan.json["visits"] as? [[String: Any]])?.first?["date"] as? String, plan.text)
        let started = try requestOnce(
            n1.port,
            "POST",
            "/api/routes/plan",
            token: boss,
            json: ["date": date, "time_limit_seconds": 20]
        )
        XCTAssertEqual(started.status, 202, started.text)
        let id = try XCTUnwrap(started.json["job_id"] as? String)

        /// A job's event stream on a node that does not run it: it starts from the state in the store.
        func watch(_ port: Int, _ job: String) throws -> RawClient {
            let c = try RawClient(port: port, timeout: 30)
            c.send("GET /api/jobs/\(job)/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(boss)\r\n\r\n")
            XCTAssertEqual(try c.readResponse(head: true).status, 200)
            XCTAssertEqual(try c.readEvent().event, "progress")
            return c
        }
        /// Events (heartbeats too, so the deadline is checked) until the job's end or 30 s.
        func untilEnd(_ c: RawClient) throws -> [RawClient.Event] {
            var events: [RawClient.Event] = []
            let deadline = Date().addingTimeInterval(30)
            while !["done", "failed", "cancelled"].contains(events.last?.event ?? ""), Date() < deadline {
                events.append(try c.readEvent(comments: true))
            }
            return events
        }
        let c = try watch(n2.port, id)
        Thread.sleep(forTimeInterval: 1.5)
        let cancel = try requestOnce(n3.port, "DELETE", "/api/jobs/\(id)", token: boss)
        XCTAssertEqual(cancel.status, 202, "node 3 passes the cancel on: \(cancel.text)")
        let events = try untilEnd(c).compactMap(\.event)
        XCTAssertEqual(events.last, "cancelled", "node 2's watcher gets the end from node 1: \(events)")
        print(
            "cluster job relay: \(events.filter { $0 == "progress" }.count) progress frames relayed to node 2 before the end"
        )
        XCTAssertTrue(
            eventually(timeout: 5) {
                (try? requestOnce(n3.port, "GET", "/api/jobs/\(id)", token: boss).json["state"] as? String)
                    == "cancelled"
            }
        )
        XCTAssertEqual(
            try requestOnce(n2.port, "DELETE", "/api/jobs/\(id)", token: boss).status,
            404,
            "an ended job cannot be cancelled"
        )

        // A node that dies with a job running: the others mark the job failed and end its watchers.
        let second = try requestOnce(
            n1.port,
            "POST",
            "/api/routes/plan",
            token: boss,
            json: ["date": date, "time_limit_seconds": 30]
        )
        XCTAssertEqual(second.status, 202, second.text)
        let lost = try XCTUnwrap(second.json["job_id"] as? String)
        let w = try watch(n3.port, lost)
        n1.kill()
        let tail = try untilEnd(w)
        XCTAssertEqual(
            tail.last?.event,
            "failed",
            "the watcher on node 3 is told, not left waiting: "
                + n3.output.split(separator: "\n").filter { $0.contains("silent") || $0.contains("error") }.joined(
                    separator: "\n"
                )
        )
        XCTAssertTrue(eventJSON(tail.last!).description.contains("stopped answering"), tail.last!.data)
        XCTAssertEqual(
            try requestOnce(n2.port, "GET", "/api/jobs/\(lost)", token: boss).json["state"] as? String,
            "failed"
        )

        // A node that restarts at once (never silent long enough to be taken for dead) fails its own
        // unfinished jobs at start; another node's watcher learns it from the store within seconds.
        let third = try requestOnce(
            n2.port,
            "POST",
            "/api/routes/plan",
            token: boss,
            json: ["date": date, "time_limit_seconds": 30]
        )
        XCTAssertEqual(third.status, 202, third.text)
        let interrupted = try XCTUnwrap(third.json["job_id"] as? String)
        let w3 = try watch(n3.port, interrupted)
        try cluster.restart(1)
        let end = try untilEnd(w3)
        XCTAssertEqual(end.last?.event, "failed", "\(end.map { $0.event ?? ":" })")
        XCTAssertTrue(end.last?.data.contains("restarted") ?? false, end.last?.data ?? "")
    }

    /// An import through one node reloads the catalogue on every node; a publish through one node moves
    /// the published version every node serves (docs/OPERATIONS.md: reloads after an import or a publish).
    func testAnImportAndAPublishReachEveryNode() throws {
        let cluster = try ClusterHarness()
        defer { cluster.stop() }
        try cluster.start()
        let (n1, n2, n3) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        let admin = authority.mint(subject: "ada", name: "Ada", role: .admin, ttlSeconds: 600)
        func productIDs(_ node: ChildServer) -> Set<String> {
            let list =
                (try? requestOnce(node.port, "GET", "/api/products", token: admin).json["products"] as? [[String: Any]])
                ?? []
            return Set(list.compactMap { $0["product_id"] as? String })
        }
        XCTAssertFalse(productIDs(n2).contains("P-NEW"))
        let csv =
            "product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days\nP-NEW,Cluster Cola,soda,2.10,0.70,chilled,120,1,200\n"
        let imported = try requestOnce(
            n1.port,
            "POST",
            "/api/import",
            token: admin,
            json: ["files": ["products.csv": csv]]
        )
        XCTAssertEqual(imported.status, 200, imported.text)
        for node in [n2, n3] {
            XCTAssertTrue(
                eventually(timeout: 10) { productIDs(node).contains("P-NEW") },
                "node \(node.port) reloaded its catalogue"
            )
        }

        // A publish through the session's node: the other nodes serve the new version at once after.
        let editor = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let before = try requestOnce(n3.port, "GET", "/api/planograms/VM-001/0", token: editor).json["version"] as? Int
        let port = cluster.nginxPort
        let sid = try XCTUnwrap(
            try requestOnce(
                port,
                "POST",
                "/api/sessions?device_id=VM-001&cabinet_index=0",
                token: editor,
                json: ["device_id": "VM-001", "cabinet_index": 0]
            ).json["session_id"] as? String
        )
        let published = try requestOnce(port, "POST", "/api/sessions/\(sid)/publish", token: editor)
        XCTAssertEqual(published.status, 200, published.text)
        let version = try XCTUnwrap(published.json["planogram_version"] as? Int)
        XCTAssertEqual(version, (before ?? 0) + 1)
        for node in cluster.nodes {
            XCTAssertTrue(
                eventually(timeout: 10) {
                    (try? requestOnce(node.port, "GET", "/api/planograms/VM-001/0", token: editor).json["version"]
                        as? Int) == version
                },
                "node \(node.port) serves version \(version)"
            )
        }
    }

    /// Two nodes holding one session (nginx's choice moved while the first still had it): the copy that
    /// falls behind finds its next seq taken in the log, refuses the op with 503 `session_moved` without
    /// applying it, drops itself, and the retry runs on the state reloaded from the store.
    func testAStaleCopyOnAnotherNodeRefusesItsOpAndReloads() throws {
        let cluster = try ClusterHarness()
        defer { cluster.stop() }
        try cluster.start()
        let (n1, n2) = (cluster.nodes[0], cluster.nodes[1])
        let editor = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 600)
        let sid = try XCTUnwrap(
            try requestOnce(
                n1.port,
                "POST",
                "/api/sessions",
                token: editor,
                json: ["device_id": "VM-002", "cabinet_index": 0]
            ).json["session_id"] as? String
        )
        let snap = try requestOnce(n2.port, "GET", "/api/sessions/\(sid)", token: editor)  // n2 loads its own copy
        let slot = try XCTUnwrap(
            ((snap.json["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])?.first?["slot"] as? String
        )
        func op(_ node: ChildServer, _ id: String, _ capacity: Int) throws -> APIResponse {
            try requestOnce(
                node.port,
                "POST",
                "/api/sessions/\(sid)/ops",
                token: editor,
                json: [
                    "client_op_id": id, "base_version": 0,
                    "op": ["type": "set_capacity", "slot": slot, "capacity": capacity],
                ]
            )
        }
        XCTAssertEqual(try op(n1, "a", 3).json["seq"] as? Int, 1)
        let stale = try op(n2, "b", 4)
        XCTAssertEqual(stale.status, 503, stale.text)
        XCTAssertEqual((stale.json["error"] as? [String: Any])?["code"] as? String, "session_moved")
        XCTAssertNotNil(stale.headers.first { $0.0.lowercased() == "retry-after" })
        let retried = try op(n2, "b", 4)
        XCTAssertEqual(retried.status, 200, retried.text)
        XCTAssertEqual(retried.json["seq"] as? Int, 2, "the retry ran on the reloaded state")
        let store = try Store(location: .postgres(url: cluster.databaseURL))
        let logged = try store.read { db in
            try db.query("SELECT client_op_id, seq FROM op_log WHERE session_id = ? ORDER BY seq", [.text(sid)]) {
                ($0.text(0), $0.int(1))
            }
        }
        XCTAssertEqual(logged.map(\.0), ["a", "b"])
        XCTAssertEqual(logged.map(\.1), [1, 2])
    }
}

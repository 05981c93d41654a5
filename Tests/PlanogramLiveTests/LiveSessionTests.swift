import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import XCTest

class LiveSessionTests: XCTestCase {
    var s: AppTestServer!
    override func setUpWithError() throws {
        s = try AppTestServer {
            $0.replayEvents = 12
            $0.frameIntervalMilliseconds = 50
        }
    }
    override func tearDown() { s?.stop() }

    /// A slot of VM-001/0 holding a 1-wide product, and an empty-able target.
    func slots(_ sid: String) throws -> [String: String] {
        let snap = try s.request("GET", "/api/sessions/\(sid)", token: s.token(.admin)).json
        let list = (snap["planogram"] as! [String: Any])["slots"] as! [[String: Any]]
        return Dictionary(
            uniqueKeysWithValues: list.filter { $0["width_cols"] as? Int == 1 }.map {
                ($0["slot"] as! String, $0["product_id"] as! String)
            }
        )
    }

    func testTwoEditorsAndAWatcherSeeTheSameOrderedEvents() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let bob = s.token(.merchandiser, sub: "bob")
        let max = s.token(.manager, sub: "max")
        let sid = try s.openSession(token: ann)
        let streams = try [ann, bob, max].map { try SessionStream(port: s.port, sid: sid, token: $0) }
        for st in streams {
            let snap = try st.next()
            XCTAssertEqual(snap.event, "snapshot")
            let j = st.json(snap)
            XCTAssertEqual(j["session_id"] as? String, sid)
            XCTAssertNotNil(j["planogram"] as? [String: Any])
            XCTAssertNotNil(j["heatmap"] as? [String: Any])
            XCTAssertNotNil(j["revenue"] as? [String: Any])
            XCTAssertNotNil(j["participants"] as? [Any])
        }
        let names = try slots(sid).keys.sorted()
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a1", base: 0, ["type": "clear", "slot": names[0]]).json["seq"] as? Int,
            1
        )
        XCTAssertEqual(
            try s.op(
                sid,
                token: bob,
                client: "b1",
                base: 1,
                ["type": "move", "from": names[1], "to": names[0].lowercased()]
            ).json["seq"] as? Int,
            2
        )
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a2", base: 2, ["type": "set_capacity", "slot": names[0], "capacity": 3])
                .json["version"] as? Int,
            3
        )
        // Every stream gets the same op events with the same ids in the same order.
        var seen: [[String]] = []
        for st in streams {
            var ops: [String] = []
            while ops.count < 3 {
                let e = try st.next()
                if e.event == "op" {
                    ops.append("\(e.id!) \(st.json(e)["by"]!) \((st.json(e)["op"] as! [String: Any])["type"]!)")
                }
            }
            seen.append(ops)
        }
        XCTAssertEqual(seen[0], ["1 ann clear", "2 bob move", "3 ann set_capacity"])
        XCTAssertEqual(seen[1], seen[0])
        XCTAssertEqual(seen[2], seen[0])
        // The manager watches read-only but may publish; the published version is readable.
        XCTAssertEqual(
            try s.op(sid, token: max, client: "m1", base: 3, ["type": "clear", "slot": names[2]]).status,
            403
        )
        let pub = try s.request("POST", "/api/sessions/\(sid)/publish", token: max)
        XCTAssertEqual(pub.status, 200, pub.text)
        let plan = try s.request("GET", "/api/planograms/VM-001/0", token: max).json
        XCTAssertEqual(plan["version"] as? Int, pub.json["planogram_version"] as? Int)
        let slotsNow = Dictionary(
            uniqueKeysWithValues: (plan["slots"] as! [[String: Any]]).map {
                ($0["slot"] as! String, $0["capacity"] as! Int)
            }
        )
        XCTAssertEqual(slotsNow[names[0]], 3)
        XCTAssertNil(slotsNow[names[1]])
        let published = try streams[2].until("published")
        XCTAssertEqual(streams[2].json(published.last!)["by"] as? String, "max")
    }

    func testConflictOnlyWhenATouchedSlotChangedAfterBaseVersion() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let bob = s.token(.merchandiser, sub: "bob")
        let sid = try s.openSession(token: ann)
        let names = try slots(sid).keys.sorted()
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a1", base: 0, ["type": "set_capacity", "slot": names[0], "capacity": 4])
                .status,
            200
        )
        // Bob, still at version 0, touches the same slot: 409 with its content and the session version.
        let c = try s.op(
            sid,
            token: bob,
            client: "b1",
            base: 0,
            ["type": "set_capacity", "slot": names[0], "capacity": 9]
        )
        XCTAssertEqual(c.status, 409, c.text)
        let d = (c.json["error"] as! [String: Any])["details"] as! [String: Any]
        XCTAssertEqual(d["slot"] as? String, names[0])
        XCTAssertEqual(d["version"] as? Int, 1)
        XCTAssertEqual((d["current"] as? [String: Any])?["capacity"] as? Int, 4)
        // Another slot at the same stale base applies (the version moved, but not for that slot).
        XCTAssertEqual(
            try s.op(sid, token: bob, client: "b2", base: 0, ["type": "set_capacity", "slot": names[1], "capacity": 5])
                .json["seq"] as? Int,
            2
        )
        // Ann's own change after her base is not a conflict for her.
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a2", base: 0, ["type": "set_capacity", "slot": names[0], "capacity": 6])
                .status,
            200
        )
        // A hard rule: 422, nothing applied, no seq used.
        let bad = try s.op(
            sid,
            token: ann,
            client: "a3",
            base: 3,
            ["type": "set_capacity", "slot": names[0], "capacity": 0]
        )
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a4", base: 3, ["type": "place", "slot": "Z9", "product_id": "P001"])
                .status,
            422
        )
        XCTAssertEqual(try s.op(sid, token: ann, client: "a5", base: 3, ["type": "teleport"]).status, 400)
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "a6", base: 3, ["type": "set_capacity", "slot": names[2], "capacity": 2])
                .json["seq"] as? Int,
            4
        )
    }

    func testRepeatedClientOpIdReturnsTheFirstResultAndAppliesOnce() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let bob = s.token(.merchandiser, sub: "bob")
        let sid = try s.openSession(token: ann)
        let names = try slots(sid).keys.sorted()
        let first = try s.op(sid, token: ann, client: "same", base: 0, ["type": "clear", "slot": names[0]])
        let again = try s.op(sid, token: ann, client: "same", base: 0, ["type": "clear", "slot": names[0]])
        XCTAssertEqual(first.json["seq"] as? Int, 1)
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(again.json["seq"] as? Int, 1)
        XCTAssertEqual(again.json["version"] as? Int, 1)
        // The same id from another user is another op.
        XCTAssertEqual(
            try s.op(sid, token: bob, client: "same", base: 1, ["type": "clear", "slot": names[1]]).json["seq"] as? Int,
            2
        )
        let rows = try s.server.store.read {
            try $0.scalarInt("SELECT count(*) FROM op_log WHERE session_id = ?", [.text(sid)])
        }
        XCTAssertEqual(rows, 2)
    }

    func testResumeAfterADroppedStreamGetsExactlyTheMissedEvents() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let names = try slots(sid).keys.sorted()
        var st = try SessionStream(port: s.port, sid: sid, token: ann)
        XCTAssertEqual(try st.next().event, "snapshot")
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "1", base: 0, ["type": "set_capacity", "slot": names[0], "capacity": 2])
                .status,
            200
        )
        var lastOp = ""
        for e in try st.until("revenue") where e.event == "op" { lastOp = e.id! }
        XCTAssertEqual(lastOp, "1")
        // Keeps a viewer while ann is away.
        st = try SessionStream(port: s.port, sid: sid, token: s.token(.manager, sub: "keep"))
        _ = try st.next()
        // Ann is gone; two more ops happen.
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "2", base: 1, ["type": "set_capacity", "slot": names[1], "capacity": 3])
                .status,
            200
        )
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "3", base: 2, ["type": "set_capacity", "slot": names[2], "capacity": 4])
                .status,
            200
        )
        _ = try st.until("op")
        _ = try st.until("op")
        Thread.sleep(forTimeInterval: 0.2)
        // From the ring (header): everything after the op with id 1 — the score, heat map and forecast
        // that followed it (ids 1.k), the ops 2 and 3 and what followed them; nothing at or before 1.
        let back = try SessionStream(port: s.port, sid: sid, token: ann, lastEventID: "1")
        var ops: [String] = []
        var previous = EventIDText("1")
        while ops.count < 2 {
            let e = try back.next()
            XCTAssertNotEqual(e.event, "snapshot")
            let id = EventIDText(e.id ?? "")
            XCTAssertTrue(previous < id, "ids increase: \(previous) then \(e)")
            previous = id
            if e.event == "op" { ops.append(e.id!) }
        }
        XCTAssertEqual(ops, ["2", "3"])
        // Beyond the ring (12 events), from the op log (query parameter form).
        for i in 4...12 {
            XCTAssertEqual(
                try s.op(
                    sid,
                    token: ann,
                    client: "\(i)",
                    base: i - 1,
                    ["type": "set_capacity", "slot": names[i % 3], "capacity": i]
                ).status,
                200
            )
        }
        Thread.sleep(forTimeInterval: 0.3)
        let far = try SessionStream(port: s.port, sid: sid, token: ann, query: "?last_event_id=1")
        var farOps: [String] = []
        while farOps.count < 11 {
            let e = try far.next()
            XCTAssertNotEqual(e.event, "snapshot")
            if e.event == "op" { farOps.append(e.id!) }
        }
        XCTAssertEqual(farOps, (2...12).map(String.init))
        // An id the session never had gets a fresh snapshot.
        XCTAssertEqual(
            try SessionStream(port: s.port, sid: sid, token: ann, lastEventID: "999").next().event,
            "snapshot"
        )
    }

    func testDragBurstIsCoalescedAndTheLastPositionArrivesWithin500ms() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let max = s.token(.manager, sub: "max")
        let sid = try s.openSession(token: ann)
        let watcher = try SessionStream(port: s.port, sid: sid, token: max)
        XCTAssertEqual(try watcher.next().event, "snapshot")
        let names = try slots(sid).keys.sorted()
        func dragInputs(_ text: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix("drag_inputs_total ") }.flatMap {
                Int($0.split(separator: " ")[1])
            } ?? 0
        }
        let inputsBefore = dragInputs(try s.request("GET", "/metrics").text)
        let c = try RawClient(port: s.port, timeout: 10)
        let started = Date()
        for i in 0..<200 {
            let body = "{\"product_id\":\"P001\",\"slot\":\"\(names[i % names.count])\"}"
            c.send(
                "POST /api/sessions/\(sid)/drag HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(ann)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            XCTAssertEqual(try c.readResponse().status, 202)
            Thread.sleep(forTimeInterval: 0.01)
        }
        let lastSent = Date()
        let lastSlot = names[199 % names.count]
        var drags: [[String: Any]] = []
        while true {
            let e = try watcher.next()
            guard e.event == "drag" else { continue }
            XCTAssertNil(e.id, "previews carry no id")
            drags.append(watcher.json(e))
            if drags.last?["slot"] as? String == lastSlot && Date() >= lastSent { break }
        }
        let arrival = Date().timeIntervalSince(lastSent)
        XCTAssertLessThan(arrival, 0.5, "the newest position arrives within 500 ms")
        let elapsed = lastSent.timeIntervalSince(started)
        XCTAssertLessThanOrEqual(drags.count, Int(elapsed / 0.05) + 3, "at most one drag event per 50 ms frame")
        XCTAssertLessThan(drags.count, 100, "far fewer events than inputs")
        XCTAssertNotNil(drags.last?["score"] as? Int)
        // Metrics are process-wide: other tests' drags count too, so compare before and after.
        let metrics = try s.request("GET", "/metrics").text
        XCTAssertEqual(
            dragInputs(metrics) - inputsBefore,
            200,
            metrics.split(separator: "\n").filter { $0.contains("drag") }.joined(separator: "\n")
        )
    }

    /// The open call's routing query (for nginx in front of a cluster) must name the body's cabinet.
    func testOpenWithAQueryNamingAnotherCabinetIsRefused() throws {
        let t = s.token(.merchandiser)
        let bad = try s.request(
            "POST",
            "/api/sessions?device_id=VM-002&cabinet_index=0",
            token: t,
            json: ["device_id": "VM-001", "cabinet_index": 0]
        )
        XCTAssertEqual(bad.status, 400, bad.text)
        XCTAssertEqual((bad.json["error"] as? [String: Any])?["code"] as? String, "bad_request")
        let badIndex = try s.request(
            "POST",
            "/api/sessions?device_id=VM-001&cabinet_index=1",
            token: t,
            json: ["device_id": "VM-001", "cabinet_index": 0]
        )
        XCTAssertEqual(badIndex.status, 400, badIndex.text)
        XCTAssertEqual(
            (try s.request("GET", "/api/sessions", token: t).json["sessions"] as? [Any])?.count,
            0,
            "nothing was opened"
        )
        let good = try s.request(
            "POST",
            "/api/sessions?device_id=VM-001&cabinet_index=0",
            token: t,
            json: ["device_id": "VM-001", "cabinet_index": 0]
        )
        XCTAssertEqual(good.status, 201, good.text)
    }

    func testRolesAndDevicesClaim() throws {
        let sid = try s.openSession()
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/sessions",
                token: s.token(.driver),
                json: ["device_id": "VM-001", "cabinet_index": 0]
            ).status,
            403
        )
        XCTAssertEqual(try s.request("GET", "/api/sessions/\(sid)", token: s.token(.driver)).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/sessions/\(sid)/events", token: s.token(.driver)).status, 403)
        XCTAssertEqual(
            try s.request("GET", "/api/sessions/\(sid)", token: s.token(.merchandiser, devices: ["VM-002"])).status,
            403
        )
        XCTAssertEqual(try s.request("GET", "/api/sessions/nope~0", token: s.token(.admin)).status, 404)
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/sessions/\(sid)/drag",
                token: s.token(.manager),
                json: ["product_id": "P001", "slot": "A1"]
            ).status,
            403
        )
        let list = try s.request("GET", "/api/sessions", token: s.token(.manager)).json["sessions"] as? [[String: Any]]
        XCTAssertEqual(list?.map { $0["session_id"] as? String }, [sid])
        XCTAssertEqual(
            (try s.request("GET", "/api/sessions", token: s.token(.merchandiser, devices: ["VM-002"])).json["sessions"]
                as? [Any])?.count,
            0
        )
        XCTAssertEqual(try s.request("GET", "/api/sessions", token: s.token(.driver)).status, 403)
        XCTAssertEqual(try s.openSession(), sid, "one session per cabinet")
    }
}

extension LiveSessionTests {
    /// Subscribers who join while nothing changed get the same snapshot bytes; after a change the next one gets the
    /// new draft. (That the kept frame is reused rather than encoded again is not visible here: its saving is
    /// measured by `Ops/bench sessions`, BENCHMARKS §19.)
    func testSubscribersWhoJoinWhileNothingChangedGetTheSameSnapshotAndAChangeGivesANewOne() throws {
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let names = try slots(sid).keys.sorted()
        let first = try SessionStream(port: s.port, sid: sid, token: ann)
        let a = try first.next()
        XCTAssertEqual(a.event, "snapshot")
        XCTAssertEqual(try first.until("presence").last?.event, "presence")
        // Ann is in the session now: her next streams see her already listed.
        let second = try SessionStream(port: s.port, sid: sid, token: ann).next()
        let third = try SessionStream(port: s.port, sid: sid, token: ann).next()
        XCTAssertEqual(second.event, "snapshot")
        XCTAssertEqual(second.data, third.data, "nothing changed between them")
        XCTAssertEqual(second.id, third.id)
        let changed = try s.op(sid, token: ann, client: "c1", base: 0, ["type": "clear", "slot": names[0]])
        XCTAssertEqual(changed.status, 200, changed.text)
        XCTAssertEqual(try first.until("op").last?.event, "op")
        let fourth = try SessionStream(port: s.port, sid: sid, token: ann).next()
        XCTAssertNotEqual(fourth.data, third.data, "the draft changed")
        XCTAssertEqual(first.json(fourth)["version"] as? Int, 1)
    }
}

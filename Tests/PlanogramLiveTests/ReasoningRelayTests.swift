import FakeAnthropic
import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import XCTest

/// Claude explanations in live sessions, end to end: the real server, real SSE subscribers, a real
/// SQLite cache, and the fake Anthropic API on loopback.
final class ReasoningRelayTests: XCTestCase {
    var fake: FakeAnthropicServer!
    var s: AppTestServer!

    override func tearDown() {
        s?.stop()
        fake?.stop()
    }

    func start(key: String? = "sk-ant-relay", _ tune: (inout AppConfiguration) -> Void = { _ in }) throws {
        fake = try FakeAnthropicServer()
        s = try AppTestServer { c in
            c.reasoning.apiKey = key
            c.reasoning.baseURL = self.fake.baseURL
            c.reasoning.readTimeout = 3
            tune(&c)
        }
    }

    /// The occupied single-width slots of a session's draft.
    func occupiedSlots(_ sid: String) throws -> [(slot: String, product: String)] {
        let snap = try s.request("GET", "/api/sessions/\(sid)", token: s.token(.manager)).json
        return ((snap["planogram"] as! [String: Any])["slots"] as! [[String: Any]])
            .filter { $0["width_cols"] as? Int == 1 }.map { ($0["slot"] as! String, $0["product_id"] as! String) }
    }

    /// Reads one stream until the `reasoning_done` of `requestID`; returns the reasoning events of that request.
    func collect(_ stream: SessionStream, _ requestID: String) throws -> [(event: String, data: [String: Any])] {
        var out: [(String, [String: Any])] = []
        for _ in 0..<2_000 {
            let e = try stream.next()
            guard let name = e.event, name.hasPrefix("reasoning") else { continue }
            let d = stream.json(e)
            guard d["request_id"] as? String == requestID else { continue }
            out.append((name, d))
            if name == "reasoning_done" { return out }
        }
        throw RawClient.Failure(description: "no reasoning_done for \(requestID)")
    }

    func deltas(_ events: [(event: String, data: [String: Any])], source: String) -> String {
        events.filter { $0.event == "reasoning" && $0.data["source"] as? String == source }.map {
            $0.data["delta"] as! String
        }.joined()
    }

    func testExplainStreamsClaudeTextToEverySubscriberAndTheSecondAskIsCached() throws {
        try start()
        let deltas = ["Cola sits ", "at eye level, ", "where the fastest sellers ", "earn the most — keep it."]
        fake.enqueue(.stream(deltas: deltas))
        let before = try metrics()
        let sid = try s.openSession()
        let (slot, product) = try XCTUnwrap(try occupiedSlots(sid).first)
        let editor = try SessionStream(port: s.port, sid: sid, token: s.token(.merchandiser, sub: "ann"))
        let watcher = try SessionStream(port: s.port, sid: sid, token: s.token(.manager, sub: "max"))
        _ = try editor.until("snapshot")
        _ = try watcher.until("snapshot")

        let r = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.manager, sub: "max"),
            json: ["slot": slot]
        )
        XCTAssertEqual(r.status, 202, r.text)
        let requestID = try XCTUnwrap(r.json["request_id"] as? String)
        for stream in [editor, watcher] {
            let events = try collect(stream, requestID)
            XCTAssertEqual(
                events.filter { $0.event == "reasoning" }.count,
                deltas.count,
                "one event per delta, as they arrive"
            )
            XCTAssertEqual(self.deltas(events, source: "claude"), deltas.joined())
            let done = try XCTUnwrap(events.last?.data)
            XCTAssertEqual(done["text"] as? String, deltas.joined())
            XCTAssertEqual(done["source"] as? String, "claude")
            XCTAssertEqual(done["model"] as? String, "claude-haiku-4-5-20251001")
            XCTAssertEqual(done["cached"] as? Bool, false)
            XCTAssertEqual(done["slot"] as? String, slot)
            XCTAssertEqual((done["usage"] as? [String: Any])?["output_tokens"] as? Int, 57)
            XCTAssertFalse(events.contains { $0.event == "reasoning_error" })
        }
        // What was sent: the placement template, the configured model, the key and version headers.
        let sent = try XCTUnwrap(fake.requests.first)
        XCTAssertEqual(sent.headers["x-api-key"], "sk-ant-relay")
        XCTAssertEqual(sent.headers["anthropic-version"], "2023-06-01")
        XCTAssertEqual(sent.json["model"] as? String, "claude-haiku-4-5")
        XCTAssertEqual(sent.json["stream"] as? Bool, true)
        let prompt = try XCTUnwrap(((sent.json["messages"] as? [[String: Any]])?.first)?["content"] as? String)
        for part in [
            "## Product", "## Position", "## Context", "## Task", "(\(product))", "Slot \(slot)", "visibility velocity",
        ] {
            XCTAssertTrue(prompt.contains(part), "prompt lacks \(part):\n\(prompt)")
        }

        // The same question again: replayed from the cache, no request.
        let again = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.merchandiser, sub: "ann"),
            json: ["slot": slot]
        )
        let cached = try collect(editor, try XCTUnwrap(again.json["request_id"] as? String))
        XCTAssertEqual(cached.last?.data["cached"] as? Bool, true)
        XCTAssertEqual(cached.last?.data["text"] as? String, deltas.joined())
        XCTAssertEqual(self.deltas(cached, source: "claude"), deltas.joined())
        XCTAssertEqual(fake.requests.count, 1)
        // …and it is in SQLite for the next 24 hours.
        let store = try Store(path: s.directory + "/test.db")
        XCTAssertEqual(
            try store.read {
                try $0.scalarInt("SELECT count(*) FROM reasoning_cache WHERE text = ?", [.text(deltas.joined())])
            },
            1
        )

        // Metrics (process-wide, so compared with the values before): requests by model and outcome,
        // tokens, cost, time to first token.
        let after = try metrics()
        XCTAssertEqual(
            after["reasoning_requests_total{model=\"claude-haiku-4-5\",outcome=\"ok\"}", default: 0]
                - before["reasoning_requests_total{model=\"claude-haiku-4-5\",outcome=\"ok\"}", default: 0],
            1
        )
        XCTAssertEqual(
            after["reasoning_requests_total{model=\"claude-haiku-4-5\",outcome=\"cached\"}", default: 0]
                - before["reasoning_requests_total{model=\"claude-haiku-4-5\",outcome=\"cached\"}", default: 0],
            1
        )
        let input = after.first { $0.key.hasPrefix("reasoning_tokens_total") && $0.key.contains("input") }
        XCTAssertEqual((input?.value ?? 0) - (before[input?.key ?? "", default: 0]), 412)
        XCTAssertTrue(after.keys.contains { $0.hasPrefix("reasoning_cost_usd_total") })
        XCTAssertTrue(after.keys.contains { $0.hasPrefix("reasoning_time_to_first_token_seconds") })
    }

    /// The /metrics samples by name and labels.
    func metrics() throws -> [String: Double] {
        var out: [String: Double] = [:]
        for line in try s.request("GET", "/metrics").text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else {
                continue
            }
            out[String(line[..<space])] = v
        }
        return out
    }

    /// Opens VM-001~0 with one subscriber, asks to explain its first occupied slot, and collects that request's events.
    func explainFirstSlot() throws -> (
        sid: String, slot: String, stream: SessionStream, events: [(event: String, data: [String: Any])]
    ) {
        let sid = try s.openSession()
        let slot = try XCTUnwrap(try occupiedSlots(sid).first).slot
        let stream = try SessionStream(port: s.port, sid: sid, token: s.token(.merchandiser))
        _ = try stream.until("snapshot")
        let r = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.merchandiser),
            json: ["slot": slot]
        )
        return (sid, slot, stream, try collect(stream, try XCTUnwrap(r.json["request_id"] as? String)))
    }

    func testAFailingAPIFallsBackToTheRulesNarrator() throws {
        try start { $0.reasoning.maxAttempts = 2 }
        fake.setOtherwise(.overloaded)
        let (_, slot, _, events) = try explainFirstSlot()
        XCTAssertEqual(fake.requests.count, 2, "retried once, then gave up")
        let error = try XCTUnwrap(events.first { $0.event == "reasoning_error" })
        XCTAssertEqual(error.data["fallback"] as? String, "rules")
        XCTAssertTrue((error.data["message"] as? String ?? "").contains("529"))
        let done = try XCTUnwrap(events.last?.data)
        XCTAssertEqual(done["source"] as? String, "rules")
        let text = try XCTUnwrap(done["text"] as? String)
        XCTAssertTrue(text.contains(slot) && text.contains("/100"), text)
        XCTAssertEqual(deltas(events, source: "rules"), text)
    }

    func testWithoutAKeyTheRulesNarratorAnswersAndNothingIsCalled() throws {
        try start(key: nil)
        let (sid, _, stream, events) = try explainFirstSlot()
        XCTAssertFalse(events.contains { $0.event == "reasoning_error" })
        XCTAssertEqual(events.last?.data["source"] as? String, "rules")
        XCTAssertEqual(events.last?.data["model"] as? String, "rules-narrator-1")
        XCTAssertGreaterThan(events.filter { $0.event == "reasoning" }.count, 3, "streamed in pieces")
        XCTAssertEqual(fake.requests.count, 0)

        // The whole cabinet (no slot) also works, with slot null.
        let whole = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.manager),
            json: [:] as [String: Any]
        )
        XCTAssertEqual(whole.status, 202)
        XCTAssertTrue(whole.json["slot"] is NSNull)
        let cab = try collect(stream, try XCTUnwrap(whole.json["request_id"] as? String))
        XCTAssertTrue(cab.last?.data["slot"] is NSNull)
        XCTAssertTrue((cab.last?.data["text"] as? String ?? "").contains("facings score 75 or more"))
    }

    func testTheDailySpendCapHoldsAcrossARestart() throws {
        // One call billed at 5,000 input tokens ($0.005 on Haiku) against a $0.006 cap: a second call's
        // reservation (prompt estimate ≤ 1,500 tokens plus 300 out, $0.0015-$0.003) no longer fits, on this
        // server or on one started again on the same database.
        // The database outlives the first server's directory, which stopping it deletes.
        let database = NSTemporaryDirectory() + "spend-\(UUID().uuidString.prefix(8)).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) } }
        try start {
            $0.reasoning.dailySpendCapUSD = 0.006
            $0.databasePath = database
        }
        fake.enqueue(.stream(deltas: ["Cola ", "sells."], inputTokens: 5_000))
        let first = try explainFirstSlot()
        XCTAssertEqual(first.events.last?.data["source"] as? String, "claude")
        s.stop()

        s = try AppTestServer { c in
            c.databasePath = database
            c.reasoning.apiKey = "sk-ant-relay"
            c.reasoning.baseURL = self.fake.baseURL
            c.reasoning.dailySpendCapUSD = 0.006
        }
        let sid = try s.openSession()
        let other = try XCTUnwrap(try occupiedSlots(sid).first { $0.slot != first.slot }).slot
        let stream = try SessionStream(port: s.port, sid: sid, token: s.token(.merchandiser))
        _ = try stream.until("snapshot")
        let r = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.merchandiser),
            json: ["slot": other]
        )
        let events = try collect(stream, try XCTUnwrap(r.json["request_id"] as? String))
        let error = try XCTUnwrap(
            events.first { $0.event == "reasoning_error" },
            "the restarted server knows today's spend"
        )
        XCTAssertTrue((error.data["message"] as? String ?? "").contains("spend cap"), "\(error.data)")
        XCTAssertEqual(events.last?.data["source"] as? String, "rules")
        XCTAssertEqual(fake.requests.count, 1, "Claude was asked once")
        let spent = try Store(path: database).read { try $0.query("SELECT usd FROM ai_spend", []) { $0.double(0) } }
        XCTAssertEqual(spent.count, 1)
        XCTAssertEqual(spent.first ?? 0, 0.005285, accuracy: 1e-9, "5,000 tokens in, 57 out")
    }

    func testASettledPlacementIsExplainedOnceAfterTheDebounce() throws {
        try start { $0.aiSettleMilliseconds = 400 }
        fake.setOtherwise(.stream(deltas: ["Settled ", "placement."]))
        let sid = try s.openSession()
        let slots = try occupiedSlots(sid)
        let token = s.token(.merchandiser, sub: "ann")
        let stream = try SessionStream(port: s.port, sid: sid, token: token)
        _ = try stream.until("snapshot")
        // Three quick placements in the same slot: one explanation, of the last one, after the quiet time.
        let target = slots[0].slot
        var lastAck = Date()
        for (i, p) in [slots[1].product, slots[2].product, slots[3].product].enumerated() {
            let r = try s.op(
                sid,
                token: token,
                client: "p\(i)",
                base: i,
                ["type": "place", "slot": target, "product_id": p]
            )
            XCTAssertEqual(r.status, 200, r.text)
            lastAck = Date()
            Thread.sleep(forTimeInterval: 0.1)
        }
        var firstReasoning: Date?
        var done: [String: Any] = [:]
        for _ in 0..<200 {
            let e = try stream.next()
            if e.event == "reasoning", firstReasoning == nil { firstReasoning = Date() }
            if e.event == "reasoning_done" {
                done = stream.json(e)
                break
            }
        }
        XCTAssertEqual(done["slot"] as? String, target)
        XCTAssertEqual(done["text"] as? String, "Settled placement.")
        XCTAssertGreaterThanOrEqual(
            try XCTUnwrap(firstReasoning).timeIntervalSince(lastAck),
            0.35,
            "not before the debounce"
        )
        // Longer than the debounce again: still one explanation. A resume from 0 replays every kept
        // event, `reasoning_done` included.
        Thread.sleep(forTimeInterval: 1)
        let resumed = try SessionStream(port: s.port, sid: sid, token: token, lastEventID: "0")
        resumed.client.setTimeout(0.5)
        var kept: [String] = []
        while let e = try? resumed.next() {
            if e.event == "reasoning_done" { kept.append(resumed.json(e)["request_id"] as? String ?? "") }
        }
        XCTAssertEqual(kept, [done["request_id"] as? String ?? "?"], "one explanation for the settled slot")
        XCTAssertEqual(fake.requests.count, 1)
        let prompt = ((fake.requests[0].json["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
        XCTAssertTrue(prompt.contains("(\(slots[3].product))"), "explains the last placement")
    }

    func testANewerRequestForTheSameSlotCancelsTheOlderStream() throws {
        try start()
        fake.enqueue(
            .stream(deltas: Array(repeating: "slowly ", count: 60), deltaDelay: 0.05),
            .stream(deltas: ["Second answer."])
        )
        let sid = try s.openSession()
        let slot = try XCTUnwrap(try occupiedSlots(sid).first).slot
        let stream = try SessionStream(port: s.port, sid: sid, token: s.token(.merchandiser))
        _ = try stream.until("snapshot")
        let first =
            try s.request("POST", "/api/sessions/\(sid)/explain", token: s.token(.merchandiser), json: ["slot": slot])
            .json["request_id"] as? String
        Thread.sleep(forTimeInterval: 0.4)
        // A different prompt for the same slot (a capacity change), so the cache cannot answer it.
        let cap = try s.request("GET", "/api/sessions/\(sid)", token: s.token(.merchandiser)).json
        let capacity =
            (((cap["planogram"] as! [String: Any])["slots"] as! [[String: Any]]).first {
                $0["slot"] as? String == slot
            }?["capacity"] as? Int) ?? 5
        XCTAssertEqual(
            try s.op(
                sid,
                token: s.token(.merchandiser),
                client: "c1",
                base: 0,
                ["type": "set_capacity", "slot": slot, "capacity": capacity == 1 ? 2 : capacity - 1]
            ).status,
            200
        )
        let second =
            try s.request("POST", "/api/sessions/\(sid)/explain", token: s.token(.merchandiser), json: ["slot": slot])
            .json["request_id"] as? String
        var dones: [String: [String: Any]] = [:]
        for _ in 0..<2_000 where dones.count < 2 {
            let e = try stream.next()
            if e.event == "reasoning_done" {
                let d = stream.json(e)
                dones[d["request_id"] as! String] = d
            }
        }
        XCTAssertEqual(dones[try XCTUnwrap(first)]?["cancelled"] as? Bool, true)
        XCTAssertEqual(dones[try XCTUnwrap(second)]?["cancelled"] as? Bool, false)
        XCTAssertEqual(dones[try XCTUnwrap(second)]?["text"] as? String, "Second answer.")
    }

    func testExplainChecksRoleSlotAndBody() throws {
        try start(key: nil)
        let sid = try s.openSession()
        let slot = try XCTUnwrap(try occupiedSlots(sid).first).slot
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/explain", token: s.token(.driver), json: ["slot": slot]).status,
            403
        )
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/explain", json: ["slot": slot]).status, 401)
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/explain", token: s.token(.merchandiser), json: ["slot": "Z99"])
                .status,
            422
        )
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/explain", token: s.token(.merchandiser), json: ["slot": 7])
                .status,
            400
        )
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/sessions/\(sid)/explain",
                token: s.token(.merchandiser),
                body: "{not json",
                contentType: "application/json"
            ).status,
            400
        )
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/nope~0/explain", token: s.token(.merchandiser), json: ["slot": slot])
                .status,
            404
        )
        XCTAssertEqual(
            try s.op(sid, token: s.token(.merchandiser), client: "x", base: 0, ["type": "clear", "slot": slot]).status,
            200
        )
        let empty = try s.request(
            "POST",
            "/api/sessions/\(sid)/explain",
            token: s.token(.merchandiser),
            json: ["slot": slot]
        )
        XCTAssertEqual(empty.status, 422)
        XCTAssertEqual((empty.json["error"] as? [String: Any])?["code"] as? String, "empty_slot")
    }
}

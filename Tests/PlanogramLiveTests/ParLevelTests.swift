import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import XCTest

/// Par levels (docs/MODELS.md "Par levels"): set in the editor (`set_par`), never above the capacity, published
/// with the layout, and a pick list that says the model's load, the par's and the rule it follows.
final class ParLevelTests: XCTestCase {
    func testAParSetInTheEditorIsPublishedAndThePickListFollowsTheParRule() throws {
        let s = try AppTestServer { $0.pickRule = .par }
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let sid = try s.openSession(token: ann)
        let snap = try s.request("GET", "/api/sessions/\(sid)", token: ann).json
        let slots = try XCTUnwrap((snap["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        let chosen = Array(slots.prefix(4))
        var base = 0
        // Above the capacity, below 1, or without `par`: refused, nothing changes.
        let first = try XCTUnwrap(chosen.first)
        let slot = try XCTUnwrap(first["slot"] as? String)
        let capacity = try XCTUnwrap(first["capacity"] as? Int)
        let above = try s.op(
            sid,
            token: ann,
            client: "p0",
            base: base,
            ["type": "set_par", "slot": slot, "par": capacity + 1]
        )
        XCTAssertEqual(above.status, 422, above.text)
        XCTAssertEqual(above.errorCode, "par_above_capacity")
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "p1", base: base, ["type": "set_par", "slot": slot, "par": 0]).status,
            422
        )
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "p2", base: base, ["type": "set_par", "slot": slot]).status,
            400
        )
        for (i, f) in chosen.enumerated() {
            let r = try s.op(
                sid,
                token: ann,
                client: "par\(i)",
                base: base,
                ["type": "set_par", "slot": f["slot"] as! String, "par": f["capacity"] as! Int]
            )
            XCTAssertEqual(r.status, 200, r.text)
            base = try XCTUnwrap(r.json["version"] as? Int)
        }
        let after = try s.request("GET", "/api/sessions/\(sid)", token: ann).json
        let shown = try XCTUnwrap((after["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        XCTAssertEqual(shown.first { $0["slot"] as? String == slot }?["par"] as? Int, capacity)
        // Lowering the capacity below the par brings the par down with it.
        let lowered = try s.op(
            sid,
            token: ann,
            client: "cap",
            base: base,
            ["type": "set_capacity", "slot": slot, "capacity": 2]
        )
        XCTAssertEqual(lowered.status, 200, lowered.text)
        let low = try s.request("GET", "/api/sessions/\(sid)", token: ann).json
        let lowSlots = try XCTUnwrap((low["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        XCTAssertEqual(lowSlots.first { $0["slot"] as? String == slot }?["par"] as? Int, 2)
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/publish", token: s.token(.manager)).status, 200)
        // The plan's visits of VM-001: each one's pick list says the rule, and a slot with a par loads to it.
        let plan = try s.request("GET", "/api/service-plan?device_id=VM-001&days=7", token: s.token(.manager))
        XCTAssertEqual(plan.status, 200, plan.text)
        let dates = Set(
            (plan.json["visits"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String }
        ).sorted()
        XCTAssertFalse(dates.isEmpty)
        var parLines = 0
        for date in dates {
            let picks = try s.request("GET", "/api/pick-lists?date=\(date)&device_id=VM-001", token: s.token(.manager))
            XCTAssertEqual(picks.status, 200, picks.text)
            XCTAssertEqual(picks.json["pick_rule"] as? String, "par")
            for visit in picks.json["visits"] as? [[String: Any]] ?? [] {
                for line in visit["lines"] as? [[String: Any]] ?? [] {
                    XCTAssertNotNil(line["model_load"] as? Int)
                    if let par = line["par_load"] as? Int {
                        parLines += 1
                        XCTAssertEqual(line["load_rule"] as? String, "par")
                        XCTAssertEqual(line["load"] as? Int, par)
                    } else {
                        XCTAssertEqual(line["load_rule"] as? String, "model")
                        XCTAssertEqual(line["load"] as? Int, line["model_load"] as? Int)
                    }
                }
            }
        }
        XCTAssertGreaterThan(parLines, 0, "a slot with a par was loaded at a visit")
    }
}

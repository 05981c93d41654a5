import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// docs/MODELS.md: the optimizer as a job on a cabinet, and as proposals in a live session applied as ops.
class OptimizerRoutesTests: XCTestCase {
    func jobEnd(_ s: AppTestServer, _ id: String, token: String) throws -> RawClient.Event {
        try XCTUnwrap(jobEvents(s.port, id, token: token).last)
    }

    func json(_ e: RawClient.Event) -> [String: Any] { eventJSON(e) }

    /// The rules checker over a planogram body, independent of the optimizer.
    func violations(_ slots: [[String: Any]], cabinet: Cabinet, products: [String: Product]) -> [PlacementError] {
        var plan = Planogram(deviceID: cabinet.deviceID, cabinetIndex: cabinet.index, version: 1, effectiveFrom: 0)
        var out: [PlacementError] = []
        for e in slots.sorted(by: { ($0["slot"] as! String) < ($1["slot"] as! String) }) {
            let slot = SlotCode(e["slot"] as! String)!
            let id = e["product_id"] as! String
            out += PlacementRules.violations(
                placing: products[id]!,
                capacity: e["capacity"] as! Int,
                at: slot,
                in: cabinet,
                planogram: plan,
                products: products
            )
            plan.facings[slot] = Facing(productID: id, capacity: e["capacity"] as! Int)
        }
        return out
    }

    func testACabinetIsOptimizedAsAJobWithinTheRulesAndTheChangesLeadThere() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let started = try s.request(
            "POST",
            "/api/planograms/optimize",
            token: ann,
            json: [
                "device_id": "VM-001", "cabinet_index": 0, "objective": "revenue",
                "locked_slots": ["A1"], "time_limit_seconds": 10,
            ]
        )
        XCTAssertEqual(started.status, 202, started.text)
        let end = try jobEnd(s, try XCTUnwrap(started.json["job_id"] as? String), token: ann)
        XCTAssertEqual(end.event, "done", end.data)
        let result = try XCTUnwrap(json(end)["result"] as? [String: Any])
        XCTAssertLessThanOrEqual(result["gap"] as? Double ?? 1, 0.01)
        let slots = try XCTUnwrap((result["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        let cat = s.server.app.catalog.current
        let cabinet = try XCTUnwrap(cat.cabinet("VM-001", 0))
        XCTAssertEqual(violations(slots, cabinet: cabinet, products: cat.products), [])
        let current = try XCTUnwrap(try s.server.app.published.current(CabinetKey("VM-001", 0)))
        XCTAssertEqual(
            slots.first { $0["slot"] as? String == "A1" }?["product_id"] as? String,
            current.facings[SlotCode("A1")!]?.productID,
            "A1 was locked"
        )
        XCTAssertGreaterThanOrEqual(
            result["lift_percentage"] as? Double ?? -100,
            0,
            "the optimum is at least as good as the current layout"
        )
        // The changes, applied in order to the current layout, give the proposal.
        var plan = current
        for c in try XCTUnwrap(result["changes"] as? [[String: Any]]) {
            let slot = SlotCode(c["slot"] as! String)!
            switch c["type"] as? String {
            case "clear": plan.facings[slot] = nil
            case "place":
                plan.facings[slot] = Facing(productID: c["product_id"] as! String, capacity: c["capacity"] as? Int ?? 8)
            case "set_capacity": plan.facings[slot]?.capacity = c["capacity"] as! Int
            default: XCTFail("unexpected change \(c)")
            }
        }
        XCTAssertEqual(
            Dictionary(uniqueKeysWithValues: plan.facings.map { ($0.key.description, $0.value.productID) }),
            Dictionary(uniqueKeysWithValues: slots.map { ($0["slot"] as! String, $0["product_id"] as! String) })
        )
    }

    func testAProposalReachesEverySubscriberAndIsAppliedAsOrdinaryOps() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser, sub: "ann")
        let bob = s.token(.merchandiser, sub: "bob")
        let sid = try s.openSession("VM-002", 0, token: ann)
        let watcher = try SessionStream(port: s.port, sid: sid, token: bob)
        let proposed = try s.request(
            "POST",
            "/api/sessions/\(sid)/propose",
            token: ann,
            json: ["time_limit_seconds": 10]
        )
        XCTAssertEqual(proposed.status, 202, proposed.text)
        let pid = try XCTUnwrap(proposed.json["proposal_id"] as? String)
        let event = try XCTUnwrap(watcher.until("proposal").last)
        let body = watcher.json(event)
        XCTAssertEqual(body["proposal_id"] as? String, pid)
        XCTAssertEqual(body["by"] as? String, "ann")
        let changes = try XCTUnwrap(body["changes"] as? [[String: Any]])
        XCTAssertFalse(changes.isEmpty, "the generated layout is not already the optimum")
        XCTAssertNotNil(body["lift_percentage"] as? Double)
        // Bob applies it: the ops reach everyone like hand edits.
        let applied = try s.request("POST", "/api/sessions/\(sid)/proposals/\(pid)/apply", token: bob)
        XCTAssertEqual(applied.status, 200, applied.text)
        XCTAssertEqual(applied.json["applied"] as? Int, changes.count)
        let ops = try watcher.until("op", limit: 400)
        XCTAssertEqual(watcher.json(try XCTUnwrap(ops.last))["by"] as? String, "bob")
        let snap = try s.request("GET", "/api/sessions/\(sid)", token: ann)
        let draft = try XCTUnwrap((snap.json["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        let proposal = try XCTUnwrap((body["planogram"] as? [String: Any])?["slots"] as? [[String: Any]])
        XCTAssertEqual(
            Set(draft.map { "\($0["slot"]!)=\($0["product_id"]!)" }),
            Set(proposal.map { "\($0["slot"]!)=\($0["product_id"]!)" })
        )
        XCTAssertEqual(snap.json["version"] as? Int, applied.json["version"] as? Int)
        // Applied once; a proposal on an older draft is stale.
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/proposals/\(pid)/apply", token: bob).status, 404)
        let second = try XCTUnwrap(
            s.request("POST", "/api/sessions/\(sid)/propose", token: ann, json: ["time_limit_seconds": 5]).json[
                "proposal_id"
            ] as? String
        )
        _ = try watcher.until("proposal", limit: 400)
        let v = try XCTUnwrap(s.request("GET", "/api/sessions/\(sid)", token: ann).json["version"] as? Int)
        XCTAssertEqual(try s.op(sid, token: ann, client: "hand", base: v, ["type": "clear", "slot": "A1"]).status, 200)
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/proposals/\(second)/apply", token: bob).errorCode,
            "proposal_stale"
        )
    }

    func testBadOptimizerRequestsGetTheContractsErrors() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let ann = s.token(.merchandiser)
        func optimize(_ body: [String: Any]) throws -> APIResponse {
            try s.request(
                "POST",
                "/api/planograms/optimize",
                token: ann,
                json: ["device_id": "VM-001", "cabinet_index": 0].merging(body) { $1 }
            )
        }
        XCTAssertEqual(try optimize(["objective": "smiles"]).status, 400)
        XCTAssertEqual(try optimize(["candidate_products": ["P999"]]).errorCode, "unknown_product")
        XCTAssertEqual(try optimize(["locked_slots": ["Z9"]]).errorCode, "slot_outside_cabinet")
        let cat = s.server.app.catalog.current
        let cabinet = try XCTUnwrap(cat.cabinet("VM-001", 0))
        let current = try XCTUnwrap(try s.server.app.published.current(CabinetKey("VM-001", 0)))
        // A slot emptied in a session draft cannot be locked (the session's propose reads the draft).
        let sid = try s.openSession("VM-001", 0, token: ann)
        let empty = try XCTUnwrap(current.sortedFacings.first?.0)
        let v = try XCTUnwrap(s.request("GET", "/api/sessions/\(sid)", token: ann).json["version"] as? Int)
        XCTAssertEqual(
            try s.op(sid, token: ann, client: "empty-it", base: v, ["type": "clear", "slot": empty.description]).status,
            200
        )
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/sessions/\(sid)/propose",
                token: ann,
                json: ["locked_slots": [empty.description]]
            ).errorCode,
            "locked_empty_slot"
        )
        // A product that fits no slot of this cabinet (another temperature) cannot be required.
        let misfit = try XCTUnwrap(cat.products.values.first(where: { !$0.temperature.fits(in: cabinet.temperature) }))
        XCTAssertEqual(try optimize(["min_facings": [misfit.id: 1]]).errorCode, "no_fit")
        XCTAssertEqual(try optimize(["candidate_products": [misfit.id]]).errorCode, "no_fit")
        // Nothing of the catalogue fits a frozen cabinet that holds only ambient products' catalogue.
        let frozen = Cabinet(
            deviceID: "VM-001",
            index: 9,
            temperature: .frozen,
            rows: 2,
            columns: 2,
            rowHeightsMM: [200, 200]
        )
        let ambient = cat.products.filter { $0.value.temperature == .ambient }
        XCTAssertThrowsError(try LayoutProposal.options(LayoutOptionsRequest(), cabinet: frozen, products: ambient)) {
            e in
            XCTAssertEqual((e as? APIError)?.code, "no_fit")
        }
        XCTAssertEqual(
            try s.request("POST", "/api/planograms/optimize", token: s.token(.driver), json: ["device_id": "VM-001"])
                .status,
            403
        )
        XCTAssertEqual(
            try s.request("POST", "/api/sessions/\(sid)/propose", token: s.token(.manager), json: [:]).status,
            403,
            "managers watch"
        )
        XCTAssertEqual(try s.request("POST", "/api/sessions/\(sid)/proposals/prop_nope/apply", token: ann).status, 404)
    }

    func testRecommendationsRankEveryFittingProductWithItsBasis() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let r = try s.request(
            "GET",
            "/api/devices/VM-001/recommendations?limit=500",
            token: s.token(.driver, devices: ["VM-001"])
        )
        XCTAssertEqual(r.status, 200, r.text)
        let recs = try XCTUnwrap(r.json["recommendations"] as? [[String: Any]])
        let cat = s.server.app.catalog.current
        let cabinets = cat.cabinets(of: "VM-001")
        let fitting = cat.products.values.filter { p in
            cabinets.contains { c in
                p.temperature.fits(in: c.temperature) && c.rowHeightsMM.contains { p.heightMM <= $0 }
            }
        }
        XCTAssertEqual(recs.count, fitting.count, "every product that fits a cabinet is ranked")
        let revenue = recs.map { $0["expected_revenue_per_day"] as! Double }
        XCTAssertEqual(revenue, revenue.sorted(by: >))
        let new = recs.filter { $0["new_to_device"] as? Bool == true }
        XCTAssertFalse(new.isEmpty, "a 3-device fleet leaves products this device never sold")
        XCTAssertTrue(
            new.allSatisfy { ["venue", "fleet"].contains($0["basis"] as? String) },
            "a product it never sold rests on its venue or the fleet"
        )
        XCTAssertTrue(recs.contains { $0["basis"] as? String == "device" })
        XCTAssertTrue(recs.allSatisfy { ($0["expected_units_per_day"] as? Double ?? -1) >= 0 })
        XCTAssertEqual(
            try s.request("GET", "/api/devices/VM-001/recommendations?limit=0", token: s.token(.manager)).status,
            400
        )
        XCTAssertEqual(
            try s.request("GET", "/api/devices/VM-002/recommendations", token: s.token(.driver, devices: ["VM-001"]))
                .status,
            403
        )
        XCTAssertEqual(
            try s.request("GET", "/api/devices/VM-404/recommendations", token: s.token(.manager)).status,
            404
        )
    }

    func testModelsLoadedAfterARestartKeepVenueDemandAndTheOptimizerWorking() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let fresh = try XCTUnwrap(s.server.insights.current)
        // A second engine on the same store, as after a restart: the models come from the store.
        let restarted = InsightsEngine(store: s.server.store, logger: .init(label: "test"))
        XCTAssertTrue(restarted.loadStored())
        let loaded = try XCTUnwrap(restarted.current)
        XCTAssertTrue(loaded.model.history.series.isEmpty, "a stored fit carries no day series")
        let a = VenueDemandCache().demand(fresh)
        let b = VenueDemandCache().demand(loaded)
        for p in fresh.products.keys.sorted().prefix(20) {
            XCTAssertEqual(
                a.rate(productID: p, deviceID: "VM-001")?.rate ?? -1,
                b.rate(productID: p, deviceID: "VM-001")?.rate ?? -2,
                accuracy: 1e-12,
                p
            )
        }
        let cabinet = try XCTUnwrap(s.server.app.catalog.current.cabinet("VM-001", 0))
        let current = try XCTUnwrap(try s.server.app.published.current(CabinetKey("VM-001", 0)))
        let outcome = try LayoutProposal.solve(
            current: current,
            cabinet: cabinet,
            models: loaded,
            venues: b,
            options: .init()
        )
        XCTAssertFalse(outcome.proposal.facings.isEmpty)
        XCTAssertLessThanOrEqual(outcome.solution.gap, 0.01)
    }
}

import Foundation
import HTTPAPI
import PlanogramLive
import XCTest

class InsightRoutesTests: XCTestCase {
    nonisolated(unsafe) static var server: AppTestServer!
    /// Why the class's server could not start (no PostgreSQL for the subclass: a skip); each test reports it.
    nonisolated(unsafe) static var unavailable: Error?
    override class func setUp() {
        super.setUp()
        unavailable = nil
        do { server = try AppTestServer() } catch {
            server = nil
            unavailable = error
        }
    }
    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }
    override func setUpWithError() throws { if let e = Self.unavailable { throw e } }
    var s: AppTestServer { Self.server }

    func firstProduct(of device: String, _ cabinet: Int) throws -> (String, String) {
        let plan = try s.request("GET", "/api/planograms/\(device)/\(cabinet)", token: s.token(.admin)).json
        let slot = try XCTUnwrap((plan["slots"] as? [[String: Any]])?.first)
        return (slot["product_id"] as! String, slot["slot"] as! String)
    }

    func testScoreRouteAnswersTheContractShapeAndEnforcesRoles() throws {
        let (pid, slot) = try firstProduct(of: "VM-001", 0)
        let body: [String: Any] = [
            "product_id": pid, "slot_position": slot.lowercased(), "device_id": "VM-001", "cabinet_index": 0,
        ]
        for role in [Role.merchandiser, .manager, .admin] {
            let r = try s.request("POST", "/api/planograms/realtime/score", token: s.token(role), json: body)
            XCTAssertEqual(r.status, 200, "\(role): \(r.text)")
            let j = r.json
            XCTAssertEqual(j["slot_position"] as? String, slot)
            XCTAssertNotNil(j["score"] as? Int)
            XCTAssertEqual(j["constraints_passed"] as? Bool, true)
            XCTAssertEqual((j["factors"] as? [[String: Any]])?.count, 5)
            XCTAssertLessThanOrEqual((j["suggestions"] as? [Any])?.count ?? 9, 3)
            XCTAssertFalse((j["reasoning"] as? String ?? "").isEmpty)
        }
        XCTAssertEqual(
            try s.request("POST", "/api/planograms/realtime/score", token: s.token(.driver), json: body).status,
            403
        )
        XCTAssertEqual(try s.request("POST", "/api/planograms/realtime/score", json: body).status, 401)
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/planograms/realtime/score",
                token: s.token(.merchandiser, devices: ["VM-002"]),
                json: body
            ).status,
            403
        )
        var outside = body
        outside["slot_position"] = "Z99"
        let r = try s.request("POST", "/api/planograms/realtime/score", token: s.token(.merchandiser), json: outside)
        XCTAssertEqual(r.status, 422)
        XCTAssertEqual(r.errorCode, "slot_outside_cabinet")
        var unknown = body
        unknown["product_id"] = "NOPE"
        XCTAssertEqual(
            try s.request("POST", "/api/planograms/realtime/score", token: s.token(.merchandiser), json: unknown)
                .status,
            422
        )
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/planograms/realtime/score",
                token: s.token(.merchandiser),
                body: "{",
                contentType: "application/json"
            ).status,
            400
        )
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/planograms/realtime/score",
                token: s.token(.merchandiser),
                json: ["device_id": "VM-001"]
            ).status,
            400
        )
    }

    func testChilledProductInAmbientCabinetFailsOverHTTP() throws {
        let products =
            try s.request("GET", "/api/products", token: s.token(.admin)).json["products"] as! [[String: Any]]
        let chilled = products.first { $0["temperature"] as? String == "chilled" }!["product_id"] as! String
        let r = try s.request(
            "POST",
            "/api/planograms/realtime/score",
            token: s.token(.merchandiser),
            json: ["product_id": chilled, "slot_position": "A1", "device_id": "VM-001", "cabinet_index": 0]
        )
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json["constraints_passed"] as? Bool, false)
        XCTAssertEqual(r.json["score"] as? Int, 0)
        XCTAssertEqual((r.json["violations"] as? [[String: Any]])?.first?["rule"] as? String, "temperature")
    }

    func testRevenuePredictionIsStoredAndUnchangedPlanHasZeroLift() throws {
        let current = try s.request("GET", "/api/planograms/VM-001/0", token: s.token(.admin)).json
        let r = try s.request(
            "POST",
            "/api/planograms/predict/revenue",
            token: s.token(.manager),
            json: ["device_id": "VM-001", "cabinet_index": 0, "proposed_planogram": current, "forecast_days": 14]
        )
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json["lift_percentage"] as? Double, 0)
        XCTAssertEqual(r.json["baseline_revenue"] as? Double, r.json["predicted_revenue"] as? Double)
        // docs/API.md: a two-number array [lower, upper] and the level beside it.
        let ci = try XCTUnwrap(r.json["confidence_interval"] as? [Double])
        XCTAssertEqual(ci.count, 2)
        XCTAssertLessThan(ci[0], r.json["predicted_revenue"] as! Double)
        XCTAssertGreaterThan(ci[1], r.json["predicted_revenue"] as! Double)
        XCTAssertEqual(r.json["confidence_level"] as? Double, 0.95)
        let id = try XCTUnwrap(r.json["prediction_id"] as? Int)
        let stored = try s.server.store.read { db in
            try db.query(
                "SELECT kind, model_version, expires_at > created_at FROM ai_predictions WHERE id = ?",
                [.of(id)]
            ) {
                "\($0.text(0)) \($0.text(1)) \($0.int(2))"
            }
        }
        // The version of the forecaster that made it: the demand model's, with the count model's terms on top
        // (the revenue prediction rides on the count model), in the reply and in the stored row alike.
        XCTAssertEqual(stored, ["revenue loglinear-ipf-1+nb-intervals-1 1"])
        XCTAssertEqual(r.json["model_version"] as? String, "loglinear-ipf-1+nb-intervals-1")
        let heat = try s.request("GET", "/api/planograms/VM-001/0/heatmap", token: s.token(.manager))
        XCTAssertEqual(heat.json["model_version"] as? String, "loglinear-ipf-1+nb-intervals-1")
        // The same request again is the same stored prediction, not another row.
        let again = try s.request(
            "POST",
            "/api/planograms/predict/revenue",
            token: s.token(.manager),
            json: ["device_id": "VM-001", "cabinet_index": 0, "proposed_planogram": current, "forecast_days": 14]
        )
        XCTAssertEqual(again.json["prediction_id"] as? Int, id)
        XCTAssertEqual(try s.server.store.read { try $0.scalarInt("SELECT count(*) FROM ai_predictions") }, 1)
        // A proposal that breaks a rule is a 422 naming it.
        let bad = try s.request(
            "POST",
            "/api/planograms/predict/revenue",
            token: s.token(.manager),
            json: ["device_id": "VM-001", "cabinet_index": 0, "proposed_planogram": ["Z1": "P001"]]
        )
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(
            try s.request(
                "POST",
                "/api/planograms/predict/revenue",
                token: s.token(.driver),
                json: ["device_id": "VM-001", "cabinet_index": 0, "proposed_planogram": current]
            ).status,
            403
        )
    }

    func testHeatmapCoversEverySlotWithValuesFrom0To100() throws {
        let dev = try s.request("GET", "/api/devices/VM-001", token: s.token(.driver)).json
        let cab = (dev["cabinets"] as! [[String: Any]])[0]
        let r = try s.request("GET", "/api/planograms/VM-001/0/heatmap", token: s.token(.driver))
        XCTAssertEqual(r.status, 200)
        let cells = try XCTUnwrap(r.json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, (cab["rows"] as! Int) * (cab["columns"] as! Int))
        let values = cells.map { $0["value"] as! Int }
        XCTAssertEqual(values.max(), 100)
        XCTAssertTrue(values.allSatisfy { (0...100).contains($0) })
        // zone_performance holds the fitted values.
        let rows = try s.server.store.read {
            try $0.scalarInt("SELECT count(*) FROM zone_performance WHERE device_id = 'VM-001' AND cabinet_index = 0")
        }
        XCTAssertEqual(rows, Int64(cells.count))
    }
}

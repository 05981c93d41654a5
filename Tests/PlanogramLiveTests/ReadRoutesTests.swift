import Foundation
import HTTPAPI
import PlanogramLive
import XCTest

class ReadRoutesTests: XCTestCase {
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

    func testFixturesRoundTripThroughImportAndReadAPI() throws {
        let devices = try s.request("GET", "/api/devices", token: s.token(.driver))
        XCTAssertEqual(devices.status, 200)
        let list = try XCTUnwrap(devices.json["devices"] as? [[String: Any]])
        let csvDevices = TestFleet.file("devices.csv").split(separator: "\n").dropFirst()
        XCTAssertEqual(list.map { $0["device_id"] as? String }, csvDevices.map { String($0.split(separator: ",")[0]) })
        XCTAssertFalse((list[0]["cabinets"] as? [[String: Any]] ?? []).isEmpty)

        let products = try s.request("GET", "/api/products", token: s.token(.driver))
        XCTAssertEqual(
            (products.json["products"] as? [Any])?.count,
            TestFleet.file("products.csv").split(separator: "\n").count - 1
        )

        // The newest version of VM-001/0 equals the last block of planograms.csv for that cabinet.
        let rows = TestFleet.file("planograms.csv").split(separator: "\n").dropFirst().map {
            $0.split(separator: ",").map(String.init)
        }
        .filter { $0[0] == "VM-001" && $0[1] == "0" }
        let newest = rows.map { $0[2] }.max()!
        let expected = Set(rows.filter { $0[2] == newest }.map { "\($0[3]) \($0[4]) \($0[5])" })
        let versions = Set(rows.map { $0[2] }).count
        let plan = try s.request("GET", "/api/planograms/VM-001/0", token: s.token(.merchandiser))
        XCTAssertEqual(plan.status, 200, plan.text)
        XCTAssertEqual(plan.json["version"] as? Int, versions)
        XCTAssertEqual(plan.json["effective_from"] as? String, newest)
        let slots = try XCTUnwrap(plan.json["slots"] as? [[String: Any]])
        XCTAssertEqual(Set(slots.map { "\($0["slot"]!) \($0["product_id"]!) \($0["capacity"]!)" }), expected)

        let first = try s.request("GET", "/api/planograms/VM-001/0?version=1", token: s.token(.merchandiser))
        XCTAssertEqual(first.json["version"] as? Int, 1)
        XCTAssertEqual(try s.request("GET", "/api/planograms/VM-001/0?version=999", token: s.token(.admin)).status, 404)
        XCTAssertEqual(try s.request("GET", "/api/planograms/VM-001/0?version=x", token: s.token(.admin)).status, 400)
        XCTAssertEqual(try s.request("GET", "/api/planograms/VM-001/9", token: s.token(.admin)).status, 404)
        XCTAssertEqual(try s.request("GET", "/api/devices/NOPE", token: s.token(.admin)).errorCode, "not_found")
    }

    func testEachRoleAgainstEachRoute() throws {
        let reads = ["/api/devices", "/api/devices/VM-001", "/api/products", "/api/planograms/VM-001/0"]
        for path in reads {
            let anonymous = try s.request("GET", path)
            XCTAssertEqual(anonymous.status, 401, path)
            XCTAssertEqual(anonymous.errorCode, "unauthorized")
            XCTAssertEqual(try s.request("GET", path, token: "garbage").status, 401, path)
            XCTAssertEqual(try s.request("GET", path, token: s.token(.admin, ttl: -5)).status, 401, path)
            for role in Role.allCases {
                XCTAssertEqual(try s.request("GET", path, token: s.token(role)).status, 200, "\(role) \(path)")
            }
            // The token in the query works too (EventSource cannot set headers).
            XCTAssertEqual(
                try s.request("GET", path + (path.contains("?") ? "&" : "?") + "access_token=" + s.token(.driver))
                    .status,
                200
            )
        }
        // Import: admin only.
        let body: [String: Any] = [
            "files": ["devices.csv": "device_id,name,venue_type,latitude,longitude,device_type\n"]
        ]
        XCTAssertEqual(try s.request("POST", "/api/import", json: body).status, 401)
        for role in [Role.merchandiser, .manager, .driver] {
            XCTAssertEqual(
                try s.request("POST", "/api/import", token: s.token(role), json: body).status,
                403,
                "\(role)"
            )
        }
        XCTAssertEqual(try s.request("POST", "/api/import", token: s.token(.admin), json: body).status, 200)
    }

    func testDevicesClaimScopesEveryDeviceRoute() throws {
        let t = s.token(.merchandiser, devices: ["VM-002"])
        let list = try s.request("GET", "/api/devices", token: t).json["devices"] as? [[String: Any]]
        XCTAssertEqual(list?.compactMap { $0["device_id"] as? String }, ["VM-002"])
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001", token: t).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/planograms/VM-001/0", token: t).status, 403)
        XCTAssertEqual(try s.request("GET", "/api/planograms/VM-002/0", token: t).status, 200)
    }

    func testImportOverHTTPRefusesBadFilesWith422AndAcceptsGoodOnes() throws {
        let admin = s.token(.admin)
        let before = try s.request("GET", "/api/products", token: admin).json["products"] as? [Any]
        let bad = try s.request(
            "POST",
            "/api/import",
            token: admin,
            json: [
                "files": [
                    "products.csv":
                        "product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days\nPX,New,chips,1.00,0.40,ambient,100,1,90\nPY,Bad,chips,x,0.40,ambient,100,1,90"
                ]
            ]
        )
        XCTAssertEqual(bad.status, 422, bad.text)
        let details = (bad.json["error"] as? [String: Any])?["details"] as? [String: Any]
        let first = (details?["errors"] as? [[String: Any]])?.first
        XCTAssertEqual(first?["line"] as? Int, 3)
        XCTAssertEqual(first?["column"] as? String, "price")
        XCTAssertEqual(
            (try s.request("GET", "/api/products", token: admin).json["products"] as? [Any])?.count,
            before?.count
        )

        let good = try s.request(
            "POST",
            "/api/import?file=products.csv",
            token: admin,
            body:
                "product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days\nPX,New,chips,1.00,0.40,ambient,100,1,90\n",
            contentType: "text/csv"
        )
        XCTAssertEqual(good.status, 200, good.text)
        XCTAssertEqual(
            (try s.request("GET", "/api/products", token: admin).json["products"] as? [Any])?.count,
            (before?.count ?? 0) + 1
        )
        // The new product is known to every route at once, before the background refit has seen it.
        let score = try s.request(
            "POST",
            "/api/planograms/realtime/score",
            token: admin,
            json: ["device_id": "VM-001", "cabinet_index": 0, "product_id": "PX", "slot_position": "A1"]
        )
        XCTAssertEqual(score.status, 200, score.text)
        XCTAssertEqual(
            try s.request("POST", "/api/import", token: admin, body: "x", contentType: "text/plain").status,
            415
        )
        XCTAssertEqual(
            try s.request("POST", "/api/import", token: admin, body: "{nope", contentType: "application/json").status,
            400
        )
    }
}

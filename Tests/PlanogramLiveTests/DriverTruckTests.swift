import Foundation
import HTTPAPI
import HTTPTestClient
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// A driver's token that names their truck (the `vehicle` claim): their routes and pick lists are that
/// truck's stops in route order, and nothing else (docs/API.md, "Tokens, roles and the devices claim").
final class DriverTruckTests: XCTestCase {
    func testADriverBoundToATruckSeesThatTrucksStopsOnly() throws {
        let s = try AppTestServer { $0.visitCost = 60 }
        defer { s.stop() }
        let boss = s.token(.manager, sub: "max")
        let plan = try s.request("GET", "/api/service-plan?days=7", token: boss)
        let date = try XCTUnwrap((plan.json["visits"] as? [[String: Any]])?.first?["date"] as? String)
        let accepted = try s.request(
            "POST",
            "/api/routes/plan",
            token: boss,
            json: [
                "date": date, "device_ids": ["VM-001", "VM-002", "VM-003"], "time_limit_seconds": 1,
            ]
        )
        XCTAssertEqual(accepted.status, 202, accepted.text)
        XCTAssertEqual(
            try jobEvents(s.port, try XCTUnwrap(accepted.json["job_id"] as? String), token: boss).last?.event,
            "done"
        )
        let day = try s.request("GET", "/api/routes?date=\(date)", token: boss)
        let routes = try XCTUnwrap(day.json["routes"] as? [[String: Any]])
        let used = try XCTUnwrap(routes.first { !($0["stops"] as? [Any] ?? []).isEmpty })
        let truck = try XCTUnwrap(used["vehicle_id"] as? String)
        let stops = (used["stops"] as? [[String: Any]] ?? []).compactMap { $0["device_id"] as? String }
        let other = try XCTUnwrap(s.server.app.catalog.current.vehicles.keys.first { $0 != truck })
        let dan = TokenAuthority(secret: AppTestServer.secret).mint(
            subject: "dan",
            name: "Dan",
            role: .driver,
            ttlSeconds: 600,
            vehicle: truck
        )
        // Routes: only the truck's, whatever is asked; another truck is 403.
        let mine = try s.request("GET", "/api/routes?date=\(date)", token: dan)
        XCTAssertEqual(mine.status, 200, mine.text)
        XCTAssertEqual((mine.json["routes"] as? [[String: Any]])?.compactMap { $0["vehicle_id"] as? String }, [truck])
        XCTAssertEqual((mine.json["unassigned"] as? [Any])?.count, 0)
        XCTAssertEqual(try s.request("GET", "/api/routes?date=\(date)&vehicle_id=\(other)", token: dan).status, 403)
        // Pick lists: the truck's stops in driving order; by depot, or another truck: 403.
        let picks = try s.request("GET", "/api/pick-lists?date=\(date)", token: dan)
        XCTAssertEqual(picks.status, 200, picks.text)
        XCTAssertEqual((picks.json["visits"] as? [[String: Any]])?.compactMap { $0["device_id"] as? String }, stops)
        XCTAssertEqual(try s.request("GET", "/api/pick-lists?date=\(date)&vehicle_id=\(other)", token: dan).status, 403)
        let depot = try XCTUnwrap(s.server.app.catalog.current.depots.keys.first)
        XCTAssertEqual(try s.request("GET", "/api/pick-lists?date=\(date)&depot_id=\(depot)", token: dan).status, 403)
        // An admin assigns the truck to a driver whose token carries no claim: the same view follows.
        let dee = s.token(.driver, sub: "dee")
        XCTAssertEqual(
            try s.request("PUT", "/api/drivers/dee/vehicle", token: boss, json: ["vehicle_id": truck]).status,
            403
        )
        let admin = s.token(.admin)
        XCTAssertEqual(
            try s.request("PUT", "/api/drivers/dee/vehicle", token: admin, json: ["vehicle_id": "no-such-truck"])
                .status,
            404
        )
        XCTAssertEqual(
            try s.request("PUT", "/api/drivers/dee/vehicle", token: admin, json: ["vehicle_id": truck]).status,
            200
        )
        let assigned = try s.request("GET", "/api/routes?date=\(date)", token: dee)
        XCTAssertEqual(
            (assigned.json["routes"] as? [[String: Any]])?.compactMap { $0["vehicle_id"] as? String },
            [truck]
        )
        XCTAssertEqual(try s.request("GET", "/api/routes?date=\(date)&vehicle_id=\(other)", token: dee).status, 403)
        let drivers = try s.request("GET", "/api/drivers", token: boss).json["drivers"] as? [[String: Any]]
        XCTAssertEqual(drivers?.first?["driver"] as? String, "dee")
        XCTAssertEqual(drivers?.first?["vehicle_id"] as? String, truck)
        // Cleared: the driver sees every truck again (a driver without a truck sees the day's routes).
        XCTAssertEqual(
            try s.request("PUT", "/api/drivers/dee/vehicle", token: admin, json: ["vehicle_id": NSNull()]).status,
            200
        )
        XCTAssertEqual(try s.request("GET", "/api/routes?date=\(date)&vehicle_id=\(other)", token: dee).status, 200)
        // The claim survives the token's round trip; a token without it is unchanged.
        XCTAssertEqual(try TokenAuthority(secret: AppTestServer.secret).verify(dan).vehicle, truck)
        XCTAssertNil(try TokenAuthority(secret: AppTestServer.secret).verify(s.token(.driver)).vehicle)
    }
}

import Foundation
import HTTPAPI
import XCTest

/// A fleet too large to ship is described by its generator's parameters and made on first start.
final class GeneratedFleetTests: XCTestCase {
    func testAFleetRecipeIsGeneratedAndImportedOnFirstStart() throws {
        let dir = try TestFleet.metroRecipe(seed: 3, devices: 5, days: 21)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try AppTestServer(fixtures: dir)
        defer { s.stop() }
        let devices =
            try s.request("GET", "/api/devices", token: s.token(.admin)).json["devices"] as? [[String: Any]] ?? []
        XCTAssertEqual(devices.count, 5)
        // Around one metro: every device within about 20 km of the centre.
        for d in devices {
            XCTAssertLessThan(abs((d["latitude"] as? Double ?? 0) - 52.52), 0.2)
            XCTAssertLessThan(abs((d["longitude"] as? Double ?? 0) - 13.40), 0.3)
        }
        let depots =
            try s.request("GET", "/api/depots", token: s.token(.manager)).json["depots"] as? [[String: Any]] ?? []
        XCTAssertEqual(depots.compactMap { $0["depot_id"] as? String }, ["DEP-N", "DEP-S"])
        let vehicles = try s.request("GET", "/api/vehicles", token: s.token(.manager)).json["vehicles"] as? [Any] ?? []
        XCTAssertGreaterThanOrEqual(vehicles.count, 2)
        // Perishables of 3–7 days.
        let lives =
            (try s.request("GET", "/api/products", token: s.token(.admin)).json["products"] as? [[String: Any]] ?? [])
            .filter { ["sandwich", "salad", "dairy"].contains($0["category"] as? String ?? "") }.compactMap {
                $0["shelf_life_days"] as? Int
            }
        XCTAssertFalse(lives.isEmpty)
        XCTAssertTrue(lives.allSatisfy { (3...7).contains($0) }, "\(Set(lives))")
    }
}

import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// The nightly routes (docs/OPERATIONS.md, "The nightly plan"): due at its hour on the fleet's clock, run once
/// a night however many nodes share the store, and the day's routes are there for the drivers.
final class NightlyPlanTests: XCTestCase {
    func testTheNightsRoutesArePlannedOnceAtTheirHourAcrossNodes() throws {
        let shared = NSTemporaryDirectory() + "nightly-\(UUID().uuidString).db"
        defer { try? FileManager.default.removeItem(atPath: shared) }
        // 23:59 on the fleet's clock: the timer of each server sees nothing due while the test runs; the test
        // asks at the hour itself.
        let a = try AppTestServer {
            $0.databasePath = shared
            $0.nightlyPlanAt = 23 * 60 + 59
            $0.visitCost = 60
        }
        defer { a.stop() }
        let b = try AppTestServer(fixtures: nil) {
            $0.databasePath = shared
            $0.nightlyPlanAt = 23 * 60 + 59
            $0.visitCost = 60
        }
        defer { b.stop() }
        let nightlyA = try XCTUnwrap(a.server.nightly)
        let nightlyB = try XCTUnwrap(b.server.nightly)
        let clock = FleetClock.utc
        let now = Int64(Date().timeIntervalSince1970)
        let night = clock.day(of: now)
        let hour = clock.instant(day: night, minute: 23 * 60 + 59)
        XCTAssertNil(try nightlyA.runIfDue(now: hour - 60), "not before its hour")
        let job = try XCTUnwrap(try nightlyA.runIfDue(now: hour + 5), "due at its hour")
        XCTAssertNil(try nightlyA.runIfDue(now: hour + 40), "once a night")
        XCTAssertNil(try nightlyB.runIfDue(now: hour + 10), "the other node finds the night claimed")
        let admin = a.token(.admin)
        XCTAssertEqual(try jobEvents(a.port, job, token: admin).last?.event, "done")
        let claimed = try a.server.store.read { db in
            try db.query("SELECT night, day, job_id FROM nightly_plans") {
                ($0.text(0), $0.text(1), $0.optionalText(2))
            }
        }
        XCTAssertEqual(claimed.count, 1)
        XCTAssertEqual(claimed.first?.0, FleetClock.dateText(night))
        XCTAssertEqual(claimed.first?.2, job)
        // The day planned: the test fleet's data ended long before tonight, so the day after its newest data.
        let day = try XCTUnwrap(claimed.first?.1)
        let routes = try a.request("GET", "/api/routes?date=\(day)", token: a.token(.manager))
        XCTAssertEqual(routes.status, 200, routes.text)
        XCTAssertEqual(routes.json["job_id"] as? String, job)
        // The next night is a new claim.
        XCTAssertNotNil(try nightlyB.runIfDue(now: hour + 86_400))
    }

    func testTheHourIsASettingAndOffDisablesIt() throws {
        XCTAssertEqual(try AppConfiguration.fromEnvironment([:]).nightlyPlanAt, 120)
        XCTAssertNil(try AppConfiguration.fromEnvironment(["PLANOGRAM_NIGHTLY_PLAN_AT": "off"]).nightlyPlanAt)
        XCTAssertEqual(try AppConfiguration.fromEnvironment(["PLANOGRAM_NIGHTLY_PLAN_AT": "03:30"]).nightlyPlanAt, 210)
        XCTAssertThrowsError(try AppConfiguration.fromEnvironment(["PLANOGRAM_NIGHTLY_PLAN_AT": "25:00"]))
    }
}

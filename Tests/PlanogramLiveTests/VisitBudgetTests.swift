import Forecasting
import Foundation
import HTTPAPI
import HTTPTestClient
import XCTest

/// The route manager's budget (docs/MODELS.md, "The visit budget"): `visits_per_day` / `visits_per_week` on the
/// service plan give the plan at the lowest price of a visit that keeps to the budget, found by search.
final class VisitBudgetTests: XCTestCase {
    func visitsPerDay(_ r: APIResponse) -> [String: Int] {
        var out: [String: Int] = [:]
        for v in r.json["visits"] as? [[String: Any]] ?? [] { out[v["date"] as? String ?? "", default: 0] += 1 }
        return out
    }

    func testABudgetKeepsThePlansVisitsWithinItAndSaysThePriceItFound() throws {
        let s = try AppTestServer { $0.visitCost = 5 }
        defer { s.stop() }
        let boss = s.token(.manager)
        let free = try s.request("GET", "/api/service-plan?days=14", token: boss)
        XCTAssertEqual(free.status, 200, free.text)
        let busiest = visitsPerDay(free).values.max() ?? 0
        XCTAssertGreaterThan(busiest, 1, "at a visit cost of 5 some day has more than one visit")
        XCTAssertNil(free.json["budget"], "no budget, no budget object")
        let capped = try s.request("GET", "/api/service-plan?days=14&visits_per_day=1", token: boss)
        XCTAssertEqual(capped.status, 200, capped.text)
        let budget = try XCTUnwrap(capped.json["budget"] as? [String: Any])
        XCTAssertEqual(budget["visits_per_day"] as? Int, 1)
        // Three devices due at least weekly over 14 days: their six forced visits fit one a day on average.
        XCTAssertEqual(budget["met"] as? Bool, true)
        XCTAssertLessThanOrEqual((capped.json["visits"] as? [Any])?.count ?? 99, 14)
        XCTAssertEqual(budget["busiest_day"] as? Int, visitsPerDay(capped).values.max())
        let found = try XCTUnwrap(capped.json["visit_cost"] as? Double)
        XCTAssertGreaterThan(found, 5, "the price that keeps to the budget is above the setting")
        XCTAssertEqual(budget["visit_cost_found"] as? Double, found)
        XCTAssertGreaterThan(budget["plans_tried"] as? Int ?? 0, 1)
        XCTAssertLessThan((capped.json["visits"] as? [Any])?.count ?? 0, (free.json["visits"] as? [Any])?.count ?? 0)
        // A budget the setting already keeps to changes nothing.
        let loose = try s.request("GET", "/api/service-plan?days=14&visits_per_day=3", token: boss)
        XCTAssertEqual(loose.json["visit_cost"] as? Double, 5)
        XCTAssertEqual((loose.json["visits"] as? [Any])?.count, (free.json["visits"] as? [Any])?.count)
        // Per week: one visit fewer than the week's plan at the set price.
        let freeWeek = try XCTUnwrap(s.request("GET", "/api/service-plan?days=7", token: boss).json["visits"] as? [Any])
            .count
        XCTAssertGreaterThan(freeWeek, 3)
        let week = try s.request("GET", "/api/service-plan?days=7&visits_per_week=\(freeWeek - 1)", token: boss)
        XCTAssertEqual(week.status, 200, week.text)
        XCTAssertEqual((week.json["budget"] as? [String: Any])?["met"] as? Bool, true, week.text)
        XCTAssertLessThanOrEqual((week.json["visits"] as? [Any])?.count ?? 99, freeWeek - 1)
        // Bad budgets: 0, beyond the fleet, both at once, not a number.
        for q in [
            "visits_per_day=0", "visits_per_day=4", "visits_per_week=22", "visits_per_day=1&visits_per_week=2",
            "visits_per_day=x",
        ] {
            let r = try s.request("GET", "/api/service-plan?\(q)", token: boss)
            XCTAssertEqual(r.status, 400, "\(q): \(r.text)")
            XCTAssertEqual(r.errorCode, "bad_request")
        }
    }

    func testTheFleetPlanJobTakesTheBudgetToo() throws {
        let s = try AppTestServer { $0.visitCost = 5 }
        defer { s.stop() }
        let boss = s.token(.manager)
        func result(_ body: [String: Any]) throws -> [String: Any] {
            let r = try s.request("POST", "/api/fleet/plan", token: boss, json: body)
            XCTAssertEqual(r.status, 202, r.text)
            let events = try jobEvents(s.port, try XCTUnwrap(r.json["job_id"] as? String), token: boss)
            XCTAssertEqual(events.last?.event, "done")
            return try XCTUnwrap(eventJSON(try XCTUnwrap(events.last))["result"] as? [String: Any])
        }
        let free = try result(["days": 14])
        let capped = try result(["days": 14, "visits_per_day": 1])
        XCTAssertEqual((capped["budget"] as? [String: Any])?["met"] as? Bool, true)
        XCTAssertLessThanOrEqual(capped["visits"] as? Int ?? 99, 14)
        XCTAssertLessThan(capped["visits"] as? Int ?? 99, free["visits"] as? Int ?? 0)
        XCTAssertGreaterThan(capped["visit_cost"] as? Double ?? 0, 5)
        XCTAssertEqual(try s.request("POST", "/api/fleet/plan", token: boss, json: ["visits_per_day": 0]).status, 400)
    }

    func testABudgetIsAnAverageOverThePlan() {
        let b = VisitBudget.perDay(1)
        let v = { (day: Int64, device: String) in
            PlannedVisit(
                deviceID: device,
                day: day,
                at: day * 86_400,
                reasons: [],
                expectedLostRevenueAvoided: 0,
                expectedSpoiledUnitsAvoided: 0,
                picks: []
            )
        }
        XCTAssertTrue(b.admits([v(1, "a"), v(1, "b")], days: 2), "an average: two visits on one day of two")
        XCTAssertFalse(b.admits([v(1, "a"), v(1, "b"), v(2, "c")], days: 2))
        XCTAssertTrue(VisitBudget.perWeek(2).admits([v(1, "a"), v(5, "b"), v(9, "c"), v(10, "d")], days: 14))
        XCTAssertFalse(
            VisitBudget.perWeek(2).admits([v(1, "a"), v(5, "b"), v(6, "c"), v(9, "d"), v(10, "e")], days: 14)
        )
        XCTAssertEqual(VisitBudget.busiestDay([v(1, "a"), v(1, "b"), v(2, "c")]), 2)
    }
}

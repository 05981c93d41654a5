import Foundation
import Routing
import XCTest

/// The operational problem (docs/API.md): depots, trucks with shifts, access windows, values of optional
/// visits; solved by the real PyVRP child and checked by the independent validator.
final class RoutingProblemTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Two depots on a line, 1 km apart each step at 36 km/h (100 s a km). Visits 0–3 near depot A, 4–5 near B.
    static func line(values: [Double] = [50, 50, 50, 50, 50, 50], capacity: Int = 150) -> RoutingProblem {
        // Positions in km: depot A 0, depot B 10; visits at 1, 2, 3, 4 and 9, 11.
        let positions: [Double] = [0, 10, 1, 2, 3, 4, 9, 11]
        let sec = positions.map { a in positions.map { b in Int(abs(a - b) * 100) } }
        let met = positions.map { a in positions.map { b in Int(abs(a - b) * 1000) } }
        let hour = 3600
        let visits = (0..<6).map { i in
            RoutingProblem.Visit(
                id: "V\(i)",
                load: 30,
                service: 600,
                windowStart: 7 * hour,
                windowEnd: 17 * hour,
                value: values[i]
            )
        }
        return RoutingProblem(
            depots: [
                .init(id: "A", opens: 5 * hour, closes: 21 * hour), .init(id: "B", opens: 5 * hour, closes: 21 * hour),
            ],
            vehicles: [
                .init(id: "A1", depot: 0, capacity: capacity, shiftStart: 6 * hour, shiftEnd: 14 * hour),
                .init(id: "B1", depot: 1, capacity: capacity, shiftStart: 6 * hour, shiftEnd: 14 * hour),
            ],
            visits: visits,
            seconds: sec,
            meters: met,
            costPerKm: 0.5,
            costPerHour: 30
        )
    }

    func testTheScheduleLeavesLateEnoughNotToWaitAndServesInsideWindows() {
        let p = Self.line()
        let s = p.schedule(vehicle: 0, visits: [0, 1])
        XCTAssertEqual(s.leave, 7 * 3600 - 100, "leaves so as to arrive when the first window opens")
        XCTAssertEqual(s.stops.map(\.start), [7 * 3600, 7 * 3600 + 600 + 100])
        XCTAssertEqual(s.back, 7 * 3600 + 1200 + 100 + 200)
        XCTAssertEqual(s.meters, 4000)
        XCTAssertEqual(s.load, 60)
    }

    func testTheValidatorFindsEveryKindOfViolation() {
        var p = Self.line(capacity: 50)
        XCTAssertEqual(RoutingValidator.violations(p, [(0, [0]), (1, [4])]), [])
        XCTAssertTrue(RoutingValidator.violations(p, [(0, [0, 1])]).contains { $0.contains("over capacity") })
        XCTAssertTrue(RoutingValidator.violations(p, [(0, [0]), (0, [1])]).contains { $0.contains("two routes") })
        XCTAssertTrue(RoutingValidator.violations(p, [(0, [0]), (1, [0])]).contains { $0.contains("visited twice") })
        p.visits[2].windowEnd = 7 * 3600 + 300  // closes before the service can end
        XCTAssertTrue(RoutingValidator.violations(p, [(0, [2])]).contains { $0.contains("outside") })
        p = Self.line()
        p.vehicles[0].shiftEnd = 7 * 3600 + 500
        XCTAssertTrue(RoutingValidator.violations(p, [(0, [0])]).contains { $0.contains("back at") })
        XCTAssertFalse(p.reachable(visit: 0, by: p.vehicles[0]))
        XCTAssertTrue(p.reachable(visit: 0, by: p.vehicles[1]))
    }

    func testTheSolverServesEveryValuableVisitFromTheNearestDepotWithoutViolations() throws {
        let p = Self.line()
        let s = try RouteSolver.pyvrp(root: Self.root).solve(p, timeLimit: 1)
        XCTAssertEqual(RoutingValidator.violations(p, s.routes), [])
        let served = s.routes.flatMap(\.visits).sorted()
        XCTAssertEqual(served, [0, 1, 2, 3, 4, 5])
        for r in s.routes {
            // A serves the visits at 1–4 km, B those at 9 and 11 km: any other split drives further.
            XCTAssertEqual(Set(r.visits), r.vehicle == 0 ? [0, 1, 2, 3] : [4, 5], "\(s.routes)")
        }
    }

    func testAVisitWorthLessThanItsDetourIsLeftOutAndExcludedVisitsAreNeverRouted() throws {
        // The visit at 4 km is worth 0.10 while its detour costs more; the one at 11 km is excluded.
        let p = Self.line(values: [50, 50, 50, 0.1, 50, 50])
        let s = try RouteSolver.pyvrp(root: Self.root).solve(p, timeLimit: 1, exclude: [5])
        XCTAssertEqual(RoutingValidator.violations(p, s.routes), [])
        XCTAssertEqual(s.routes.flatMap(\.visits).sorted(), [0, 1, 2, 4])
    }

    func testProgressIsReportedAndACancelledSolveStopsAtOnce() throws {
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var fractions: [Double] = []
        }
        let seen = Seen()
        let p = Self.line()
        _ = try RouteSolver.pyvrp(root: Self.root).solve(
            p,
            timeLimit: 1.2,
            progress: { f, _ in
                seen.lock.lock()
                seen.fractions.append(f)
                seen.lock.unlock()
            }
        )
        XCTAssertGreaterThanOrEqual(seen.fractions.count, 2, "\(seen.fractions)")
        XCTAssertEqual(seen.fractions, seen.fractions.sorted())
        let started = Date()
        XCTAssertThrowsError(
            try RouteSolver.pyvrp(root: Self.root).solve(
                p,
                timeLimit: 30,
                cancelled: { Date().timeIntervalSince(started) > 0.5 }
            )
        ) { e in
            XCTAssertEqual(e as? RouteSolverError, .cancelled)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "cancelled, not run to its 30 s limit")
    }
}

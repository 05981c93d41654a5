import Foundation
import Routing
import XCTest

final class RoutingTests: XCTestCase {
    static let small = """
        TINY

        VEHICLE
        NUMBER     CAPACITY
          2         30

        CUSTOMER
        CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

            0      0          0          0          0        200          0
            1      10         0         10          0         30          5
            2      20         0         10          0        100          5
            3      0          10        10          0         50          5
            4      0          20        10         20        100          5
        """

    func testSolomonsFormatIsReadWithItsFleetAndWindows() throws {
        let p = try SolomonInstance.parse(Self.small)
        XCTAssertEqual(p.name, "TINY")
        XCTAssertEqual(p.vehicles, 2)
        XCTAssertEqual(p.capacity, 30)
        XCTAssertEqual(p.stops.count, 4)
        XCTAssertEqual(p.stops[3].ready, 20)
        XCTAssertEqual(p.distance(1, 3), 200.0.squareRoot(), accuracy: 1e-12)
        XCTAssertThrowsError(try SolomonInstance.parse("X\nVEHICLE\nNUMBER CAPACITY\n2 30\nCUSTOMER\n1 2 3\n"))
        XCTAssertThrowsError(try SolomonInstance.parse(""))
    }

    func testTheValidatorFindsEveryKindOfViolation() throws {
        let p = try SolomonInstance.parse(Self.small)
        XCTAssertEqual(RouteValidator.violations(p, [[1, 2], [3, 4]]), [])
        XCTAssertEqual(p.distance(of: [[1, 2], [3, 4]]), 80, accuracy: 1e-9)
        XCTAssertTrue(RouteValidator.violations(p, [[1, 2, 3, 4]]).contains { $0.contains("over capacity") })
        XCTAssertTrue(
            RouteValidator.violations(p, [[2, 1], [3, 4]]).contains { $0.contains("after its window") },
            "\(RouteValidator.violations(p, [[2, 1], [3, 4]]))"
        )
        XCTAssertTrue(
            RouteValidator.violations(p, [[1], [2], [3, 4]]).contains { $0.contains("3 routes for 2 vehicles") }
        )
        XCTAssertTrue(RouteValidator.violations(p, [[1, 2], [3]]).contains { $0.contains("stop 4 not served") })
        XCTAssertTrue(RouteValidator.violations(p, [[1, 2], [3, 4, 1]]).contains { $0.contains("served twice") })
    }

    func testAMissingSolverIsAClearErrorNotAHang() throws {
        let p = try SolomonInstance.parse(Self.small)
        XCTAssertThrowsError(try RouteSolver(command: ["/nonexistent/python"]).solve(p, timeLimit: 1)) { e in
            XCTAssertTrue("\(e)".contains("not installed"), "\(e)")
        }
        // A solver that dies.
        XCTAssertThrowsError(
            try RouteSolver(command: ["/bin/sh", "-c", "echo broken >&2; exit 3"]).solve(p, timeLimit: 1)
        ) { e in
            XCTAssertTrue("\(e)".contains("exit 3"), "\(e)")
        }
        // A solver that hangs is stopped after its time limit and grace.
        var hanging = RouteSolver(command: ["/bin/sh", "-c", "sleep 30"])
        hanging.grace = 0.5
        let started = Date()
        XCTAssertThrowsError(try hanging.solve(p, timeLimit: 0.5))
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// The real solver (PyVRP from the project's Python environment, installed by Ops/test).
    func testTheSolverReturnsRoutesTheValidatorAccepts() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let solver = RouteSolver.pyvrp(root: root)
        let p = try SolomonInstance.parse(Self.small)
        let s = try solver.solve(p, timeLimit: 1)
        XCTAssertTrue(s.feasible)
        XCTAssertEqual(RouteValidator.violations(p, s.routes), [])
        XCTAssertEqual(s.distance, 80, accuracy: 1e-6, "the optimum of the tiny instance")
        // A Solomon instance, cut to its first 25 customers.
        let c101 = try String(contentsOfFile: root + "/Fixtures/solomon/C101.txt", encoding: .utf8)
        var big = try SolomonInstance.parse(c101)
        big.stops = Array(big.stops.prefix(25))
        big.vehicles = 3
        let r = try solver.solve(big, timeLimit: 2)
        XCTAssertTrue(r.feasible)
        XCTAssertEqual(RouteValidator.violations(big, r.routes), [])
        XCTAssertLessThan(r.distance, 191.82, "within 0.3 % of the best known 191.3 for C101 with 25 customers")
    }
}

import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import HTTPAPI
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct SolveVRPTW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve-vrptw",
        abstract: "Solve a VRPTW instance in Solomon's text format with the route solver and print one JSON object.",
        discussion:
            "Prints {instance, distance, vehicles, seconds, routes: [[customer numbers in visiting order], …], feasible, violations}. Distances are Euclidean, not rounded; violations are found by an independent validator."
    )

    @Argument(help: "The instance file.") var file: String
    @Option(help: "Seconds the solver may search.") var timeLimit: Double = 10
    @Option(help: "Most vehicles to use (default: the instance's fleet).") var maxVehicles: Int?
    @Option(
        help: "The solver command (default: PLANOGRAM_VRP_SOLVER, else the project's PyVRP adapter in .build-venv)."
    ) var solver: String?
    @Option(help: "Random seed of the solver.") var seed: Int = 1

    func run() throws {
        guard timeLimit > 0, timeLimit <= 3600 else { throw ValidationError("--time-limit must be 0…3600 seconds") }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        var problem: VRPTW
        do { problem = try SolomonInstance.parse(text) } catch { throw ValidationError("\(file): \(error)") }
        if let m = maxVehicles {
            guard m >= 1 else { throw ValidationError("--max-vehicles must be at least 1") }
            problem.vehicles = m
        }
        let engine =
            solver.map { RouteSolver(command: $0.split(separator: " ").map(String.init)) } ?? RouteSolver.configured()
        let solution = try engine.solve(problem, timeLimit: timeLimit, seed: seed)
        let out = Report(
            instance: problem.name,
            distance: (solution.distance * 100).rounded() / 100,
            vehicles: solution.routes.count,
            seconds: (solution.seconds * 100).rounded() / 100,
            routes: solution.routes,
            feasible: solution.feasible,
            violations: RouteValidator.violations(problem, solution.routes)
        )
        print(String(decoding: try APIJSON.encode(out), as: UTF8.self))
    }

    /// One line of JSON per instance (read by Ops/bench.d/route_solvers.py).
    struct Report: Encodable {
        let instance: String
        let distance: Double
        let vehicles: Int
        let seconds: Double
        let routes: [[Int]]
        let feasible: Bool
        let violations: [String]
    }
}

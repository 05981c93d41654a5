import Foundation

/// A vehicle routing problem with time windows (docs/API.md): location 0 is the depot, locations 1…n the
/// stops. Times and distances are in the problem's own units (Solomon: distance = travel time); the solver
/// sees them scaled to integers (`scale`), and everything reported is computed back in the original units.
package struct VRPTW: Sendable {
    package struct Stop: Sendable {
        package var x: Double
        package var y: Double
        package var demand: Int
        package var ready: Double
        package var due: Double
        package var service: Double
        /// Optional stops may be left out (prize-collecting); `prize` is what serving one is worth.
        package var required = true
        package var prize = 0.0
        package init(x: Double, y: Double, demand: Int, ready: Double, due: Double, service: Double) {
            self.x = x
            self.y = y
            self.demand = demand
            self.ready = ready
            self.due = due
            self.service = service
        }
    }

    package var name: String
    package var depot: Stop
    package var stops: [Stop]
    package var vehicles: Int
    package var capacity: Int
    /// Integer units per problem unit handed to the solver.
    package var scale = 1000.0

    package init(name: String, depot: Stop, stops: [Stop], vehicles: Int, capacity: Int) {
        self.name = name
        self.depot = depot
        self.stops = stops
        self.vehicles = vehicles
        self.capacity = capacity
    }

    func location(_ i: Int) -> Stop { i == 0 ? depot : stops[i - 1] }

    /// Euclidean distance (= travel time in the Solomon instances), not rounded.
    package func distance(_ a: Int, _ b: Int) -> Double {
        let p = location(a)
        let q = location(b)
        return ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
    }

    /// The total distance of routes (each a list of stop numbers 1…n, the depot implied at both ends).
    package func distance(of routes: [[Int]]) -> Double {
        routes.reduce(0.0) { total, r in
            guard !r.isEmpty else { return total }
            var d = distance(0, r[0]) + distance(r[r.count - 1], 0)
            for i in 1..<r.count { d += distance(r[i - 1], r[i]) }
            return total + d
        }
    }

    /// The solver's input (see Ops/solver/pyvrp_solve.py).
    func solverInput(timeLimit: Double, seed: Int) -> SolverInput {
        let n = stops.count + 1
        let s = scale
        // Travel and service rounded up, windows narrowed to whole units: a schedule the solver finds
        // feasible is feasible in real numbers too (the validator has the last word).
        let matrix = (0..<n).map { i in (0..<n).map { j in Int((distance(i, j) * s).rounded(.up)) } }
        let depotWindow = [Int((depot.ready * s).rounded(.up)), Int((depot.due * s).rounded(.down))]
        return SolverInput(
            depots: [SolverInput.Depot(tw: depotWindow, service: Int((depot.service * s).rounded(.up)))],
            vehicles: [SolverInput.VehicleType(count: vehicles, capacity: capacity, tw: depotWindow, depot: 0)],
            clients: stops.map { c in
                SolverInput.Client(
                    demand: c.demand,
                    service: Int((c.service * s).rounded(.up)),
                    tw: [Int((c.ready * s).rounded(.up)), Int((c.due * s).rounded(.down))],
                    required: c.required,
                    prize: Int((c.prize * s).rounded())
                )
            },
            distance: matrix,
            duration: matrix,
            timeLimit: timeLimit,
            seed: seed
        )
    }
}

/// An independent check of routes against the problem (used by the tests and the benchmark, never by the
/// solver): every required stop served exactly once, no stop twice, no route over capacity, every arrival
/// within its window (waiting allowed), back at the depot before it closes, and at most the vehicles there are.
package enum RouteValidator {
    package static func violations(_ p: VRPTW, _ routes: [[Int]]) -> [String] {
        var out: [String] = []
        let used = routes.filter { !$0.isEmpty }
        if used.count > p.vehicles { out.append("\(used.count) routes for \(p.vehicles) vehicles") }
        var seen = Set<Int>()
        for (k, r) in used.enumerated() {
            var load = 0
            var t = p.depot.ready
            var prev = 0
            for stop in r {
                guard stop >= 1 && stop <= p.stops.count else {
                    out.append("route \(k): no stop \(stop)")
                    continue
                }
                if !seen.insert(stop).inserted { out.append("stop \(stop) served twice") }
                let c = p.stops[stop - 1]
                load += c.demand
                t = max(t + p.distance(prev, stop), c.ready)
                if t > c.due + 1e-6 {
                    out.append("route \(k): stop \(stop) reached at \(t), after its window closes at \(c.due)")
                }
                t += c.service
                prev = stop
            }
            if load > p.capacity { out.append("route \(k): load \(load) over capacity \(p.capacity)") }
            let back = t + p.distance(prev, 0)
            if back > p.depot.due + 1e-6 {
                out.append("route \(k): back at the depot at \(back), after it closes at \(p.depot.due)")
            }
        }
        for (i, c) in p.stops.enumerated() where c.required && !seen.contains(i + 1) {
            out.append("stop \(i + 1) not served")
        }
        return out
    }
}

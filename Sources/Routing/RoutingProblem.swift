import Foundation

/// A day on the road (docs/API.md): trucks that start and end at their depots within their shift and the
/// depot's hours, visits with an access window, a service time and a load, and a value for the optional
/// ones. Times are seconds after midnight of the day; travel is given between all locations, which are
/// the depots first, then the visits, in order.
package struct RoutingProblem: Sendable {
    package struct Depot: Sendable {
        package var id: String
        package var opens: Int
        package var closes: Int
        package init(id: String, opens: Int, closes: Int) {
            self.id = id
            self.opens = opens
            self.closes = closes
        }
    }

    package struct Vehicle: Sendable {
        package var id: String
        /// Index into `depots`.
        package var depot: Int
        package var capacity: Int
        package var shiftStart: Int
        package var shiftEnd: Int
        package init(id: String, depot: Int, capacity: Int, shiftStart: Int, shiftEnd: Int) {
            self.id = id
            self.depot = depot
            self.capacity = capacity
            self.shiftStart = shiftStart
            self.shiftEnd = shiftEnd
        }
    }

    package struct Visit: Sendable {
        package var id: String
        package var load: Int
        /// Seconds on site.
        package var service: Int
        /// The service starts at or after `windowStart` and ends at or before `windowEnd`.
        package var windowStart: Int
        package var windowEnd: Int
        /// What serving the visit is worth (currency); a visit worth less than its detour may be left out.
        package var value: Double
        package init(id: String, load: Int, service: Int, windowStart: Int, windowEnd: Int, value: Double) {
            self.id = id
            self.load = load
            self.service = service
            self.windowStart = windowStart
            self.windowEnd = windowEnd
            self.value = value
        }
    }

    package var depots: [Depot]
    package var vehicles: [Vehicle]
    package var visits: [Visit]
    /// Travel between locations (depots, then visits): seconds and metres.
    package var seconds: [[Int]]
    package var meters: [[Int]]
    /// What a kilometre and an hour of a truck's day cost (currency): the objective is the cost of the
    /// routes minus the value of the visits served.
    package var costPerKm: Double
    package var costPerHour: Double

    package init(
        depots: [Depot],
        vehicles: [Vehicle],
        visits: [Visit],
        seconds: [[Int]],
        meters: [[Int]],
        costPerKm: Double,
        costPerHour: Double
    ) {
        self.depots = depots
        self.vehicles = vehicles
        self.visits = visits
        self.seconds = seconds
        self.meters = meters
        self.costPerKm = costPerKm
        self.costPerHour = costPerHour
    }

    /// The location index of visit `i` (0-based) and of depot `d`.
    package func location(visit i: Int) -> Int { depots.count + i }

    /// When a vehicle may leave and must be back: its shift within its depot's hours.
    package func window(of v: Vehicle) -> (start: Int, end: Int) {
        (max(v.shiftStart, depots[v.depot].opens), min(v.shiftEnd, depots[v.depot].closes))
    }

    /// Whether vehicle `v` alone could serve visit `i` (drive out, serve within the window, drive back).
    package func reachable(visit i: Int, by v: Vehicle) -> Bool {
        let w = window(of: v)
        let visit = visits[i]
        let loc = location(visit: i)
        let start = max(w.start + seconds[v.depot][loc], visit.windowStart)
        return visit.load <= v.capacity && start + visit.service <= visit.windowEnd
            && start + visit.service + seconds[loc][v.depot] <= w.end
    }

    /// One vehicle's stops with their times, as planned: the truck leaves as late as it can without
    /// waiting at its first stop, serves each visit as early as its window allows.
    package struct Stop: Sendable, Equatable {
        package var visit: Int
        package var arrive: Int
        package var start: Int
        package var depart: Int
    }

    package struct Schedule: Sendable {
        package var vehicle: Int
        package var leave: Int
        package var stops: [Stop]
        package var back: Int
        package var meters: Int
        package var drivingSeconds: Int
        package var load: Int
        package var duration: Int { back - leave }
    }

    package func schedule(vehicle k: Int, visits route: [Int]) -> Schedule {
        let v = vehicles[k]
        let w = window(of: v)
        var leave = w.start
        if let first = route.first {
            leave = max(w.start, visits[first].windowStart - seconds[v.depot][location(visit: first)])
        }
        var t = leave
        var prev = v.depot
        var stops: [Stop] = []
        var meters = 0
        var driving = 0
        var load = 0
        for i in route {
            let loc = location(visit: i)
            t += seconds[prev][loc]
            meters += self.meters[prev][loc]
            driving += seconds[prev][loc]
            let start = max(t, visits[i].windowStart)
            stops.append(Stop(visit: i, arrive: t, start: start, depart: start + visits[i].service))
            t = start + visits[i].service
            load += visits[i].load
            prev = loc
        }
        if !route.isEmpty {
            t += seconds[prev][v.depot]
            meters += self.meters[prev][v.depot]
            driving += seconds[prev][v.depot]
        }
        return Schedule(
            vehicle: k,
            leave: leave,
            stops: stops,
            back: route.isEmpty ? leave : t,
            meters: meters,
            drivingSeconds: driving,
            load: load
        )
    }

    /// The solver's input (see Ops/solver/pyvrp_solve.py): costs in thousandths of the currency, so
    /// a metre's cost is the distance "length" and a second's cost the vehicle's unit duration cost.
    func solverInput(timeLimit: Double, seed: Int, exclude: Set<Int> = []) -> (input: SolverInput, visits: [Int]) {
        let included = visits.indices.filter { !exclude.contains($0) }
        let locations = Array(0..<depots.count) + included.map(location(visit:))
        let perMetre = costPerKm  // thousandths per metre = currency per kilometre
        let perSecond = Int((costPerHour * 1000 / 3600).rounded())
        let input = SolverInput(
            depots: depots.map { SolverInput.Depot(tw: [$0.opens, $0.closes], service: 0) },
            vehicles: vehicles.map { v in
                let w = window(of: v)
                return SolverInput.VehicleType(
                    count: 1,
                    capacity: v.capacity,
                    tw: [w.start, max(w.start, w.end)],
                    depot: v.depot,
                    unitDistanceCost: 1,
                    unitDurationCost: perSecond
                )
            },
            clients: included.map { i in
                let c = visits[i]
                return SolverInput.Client(
                    demand: c.load,
                    service: c.service,
                    tw: [c.windowStart, max(c.windowStart, c.windowEnd - c.service)],
                    required: false,
                    prize: Int((c.value * 1000).rounded())
                )
            },
            distance: locations.map { a in locations.map { b in Int((Double(meters[a][b]) * perMetre).rounded()) } },
            duration: locations.map { a in locations.map { b in seconds[a][b] } },
            timeLimit: timeLimit,
            seed: seed
        )
        return (input, included)
    }
}

/// An independent check of planned routes (the tests and the benchmark use it; the solver never does):
/// each vehicle used once, each visit at most once, load within capacity, every service inside its
/// window, the truck out no earlier than its shift and back no later than its shift and depot allow.
package enum RoutingValidator {
    package static func violations(_ p: RoutingProblem, _ routes: [(vehicle: Int, visits: [Int])]) -> [String] {
        var out: [String] = []
        var usedVehicles = Set<Int>()
        var seen = Set<Int>()
        for r in routes where !r.visits.isEmpty {
            guard p.vehicles.indices.contains(r.vehicle) else {
                out.append("no vehicle \(r.vehicle)")
                continue
            }
            let v = p.vehicles[r.vehicle]
            let name = v.id
            if !usedVehicles.insert(r.vehicle).inserted { out.append("\(name) drives two routes") }
            guard r.visits.allSatisfy({ p.visits.indices.contains($0) }) else {
                out.append("\(name): a visit that does not exist")
                continue
            }
            for i in r.visits where !seen.insert(i).inserted { out.append("\(p.visits[i].id) visited twice") }
            let s = p.schedule(vehicle: r.vehicle, visits: r.visits)
            let w = p.window(of: v)
            if s.load > v.capacity { out.append("\(name): load \(s.load) over capacity \(v.capacity)") }
            if s.leave < w.start { out.append("\(name): leaves at \(s.leave), before \(w.start)") }
            for st in s.stops {
                let visit = p.visits[st.visit]
                if st.start < visit.windowStart || st.depart > visit.windowEnd {
                    out.append(
                        "\(name): \(visit.id) served \(st.start)–\(st.depart), outside \(visit.windowStart)–\(visit.windowEnd)"
                    )
                }
            }
            if s.back > w.end { out.append("\(name): back at \(s.back), after \(w.end)") }
        }
        return out
    }
}

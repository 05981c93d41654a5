import Forecasting
import Foundation
import PlanogramDomain
import Routing
import Sessions
import Store

/// A day's routes (docs/API.md): the visits of the service plan become a routing problem (the trucks chosen,
/// their depots' hours and shifts, each device's access window and service time, travel from the
/// operator's matrix or great-circle distance × detour at an urban speed, each visit's value), visits
/// that no truck could make are set aside with their reason, the rest go to the route solver, and what it
/// leaves out is listed as `day_full`. Every answer is checked by the independent validator before it is
/// kept.
enum RoutePlanning {
    /// One visit to route: where, when it may happen, what it carries and what it is worth.
    struct Candidate {
        var deviceID: String
        var name: String
        var latitude: Double
        var longitude: Double
        var access: TimeWindow?
        var serviceMinutes: Int
        var load: Int
        var value: Double
        var reasons: [String]
        var pick: [PickLineBody]
    }

    /// A visit set aside before solving.
    struct SetAside {
        var code: String
        var message: String
    }

    struct Built {
        var problem: RoutingProblem
        var candidates: [Candidate]
        var setAside: [Int: SetAside]
        var depots: [Depot]
        var vehicles: [Vehicle]
    }

    /// What a planned visit is worth to the route: the visit cost the service plan judged it worth (it is
    /// planned because waiting would lose more), plus the margin a visit today saves and the cost of the
    /// units it keeps from spoiling; when the longest allowed interval is reached, ten visits' cost more
    /// (the operator's promise to the venue: such a visit is left out only when no truck can make it).
    static func value(_ v: PlannedVisit, catalog: Catalog, visitCost: Double) -> Double {
        let costs = v.picks.compactMap { catalog.products[$0.productID]?.unitCost }
        let unitCost = costs.isEmpty ? 0 : costs.reduce(0, +) / Double(costs.count)
        return visitCost + v.expectedLostRevenueAvoided + v.expectedSpoiledUnitsAvoided * unitCost
            + (v.reasons.contains("max_interval") ? 10 * visitCost : 0)
    }

    static func candidate(_ v: PlannedVisit, catalog: Catalog, visitCost: Double) -> Candidate? {
        guard let d = catalog.devices[v.deviceID] else { return nil }
        return Candidate(
            deviceID: d.id,
            name: d.name,
            latitude: d.latitude,
            longitude: d.longitude,
            access: d.access,
            serviceMinutes: d.serviceMinutes,
            load: v.picks.reduce(0) { $0 + $1.load },
            value: value(v, catalog: catalog, visitCost: visitCost),
            reasons: v.reasons,
            pick: v.picks.map { PickLineBody($0, products: catalog.products) }
        )
    }

    /// Great-circle distance in metres (mean Earth radius 6,371 km).
    static func greatCircleMeters(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = 6_371_000.0
        let p1 = lat1 * .pi / 180
        let p2 = lat2 * .pi / 180
        let dp = p2 - p1
        let dl = (lon2 - lon1) * .pi / 180
        let a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
        return 2 * r * asin(min(1, a.squareRoot()))
    }

    static func hasCoordinates(_ c: Candidate) -> Bool { hasCoordinates(latitude: c.latitude, longitude: c.longitude) }

    /// Finite, on the globe, and not the 0,0 an export writes for "unknown".
    static func hasCoordinates(latitude: Double, longitude: Double) -> Bool {
        latitude.isFinite && longitude.isFinite && abs(latitude) <= 90 && abs(longitude) <= 180
            && !(latitude == 0 && longitude == 0)
    }

    /// The drive from one place to another: the operator's travel matrix where it has the pair, else
    /// great-circle distance × detour at the configured urban speed (seconds rounded up).
    static func leg(
        from a: (id: String, lat: Double, lon: Double),
        to b: (id: String, lat: Double, lon: Double),
        travel: [String: [String: (seconds: Int, meters: Int)]],
        configuration c: AppConfiguration
    ) -> (seconds: Int, meters: Int) {
        if let t = travel[a.id]?[b.id] { return t }
        let m = greatCircleMeters(a.lat, a.lon, b.lat, b.lon) * c.routeDetour
        return (Int((m / (c.routeSpeedKmh / 3.6)).rounded(.up)), Int(m.rounded()))
    }

    static func build(
        date: Int64,
        candidates: [Candidate],
        depots: [Depot],
        vehicles: [Vehicle],
        travel: [String: [String: (seconds: Int, meters: Int)]],
        configuration c: AppConfiguration
    ) -> Built {
        let depotIndex = Dictionary(uniqueKeysWithValues: depots.enumerated().map { ($1.id, $0) })
        // Places: the depots, then every candidate (one without coordinates gets a dummy place and is set aside).
        let places: [(id: String, lat: Double, lon: Double)] =
            depots.map { ($0.id, $0.latitude, $0.longitude) }
            + candidates.map {
                ($0.deviceID, hasCoordinates($0) ? $0.latitude : 0, hasCoordinates($0) ? $0.longitude : 0)
            }
        var seconds = [[Int]](repeating: [Int](repeating: 0, count: places.count), count: places.count)
        var meters = seconds
        for (i, a) in places.enumerated() {
            for (j, b) in places.enumerated() where i != j {
                let t = leg(from: a, to: b, travel: travel, configuration: c)
                seconds[i][j] = t.seconds
                meters[i][j] = t.meters
            }
        }
        // Times in the problem are seconds from the date's local midnight; a window's wall times are read on
        // the fleet's clock (on the days the clocks change, 07:00 is 6 or 8 hours after midnight).
        let clock = c.clock
        func wall(_ minute: Int) -> Int { clock.secondsIntoDay(day: date, minute: minute) }
        let visits = candidates.map { v in
            RoutingProblem.Visit(
                id: v.deviceID,
                load: v.load,
                service: v.serviceMinutes * 60 + Int((Double(v.load) * c.loadSecondsPerUnit).rounded(.up)),
                windowStart: wall(v.access?.from ?? 0),
                windowEnd: wall(v.access?.until ?? 1_440),
                value: v.value
            )
        }
        let problem = RoutingProblem(
            depots: depots.map {
                RoutingProblem.Depot(id: $0.id, opens: wall($0.hours.from), closes: wall($0.hours.until))
            },
            vehicles: vehicles.map {
                RoutingProblem.Vehicle(
                    id: $0.id,
                    depot: depotIndex[$0.depotID] ?? 0,
                    capacity: $0.capacityUnits,
                    shiftStart: wall($0.shift.from),
                    shiftEnd: wall($0.shift.until)
                )
            },
            visits: visits,
            seconds: seconds,
            meters: meters,
            costPerKm: c.routeCostPerKm,
            costPerHour: c.routeCostPerHour
        )
        var setAside: [Int: SetAside] = [:]
        let most = vehicles.map(\.capacityUnits).max() ?? 0
        for (i, v) in candidates.enumerated() {
            let visit = visits[i]
            if !hasCoordinates(v) {
                setAside[i] = SetAside(
                    code: "no_coordinates",
                    message: "\(v.deviceID) has no usable latitude and longitude"
                )
            } else if v.load > most {
                setAside[i] = SetAside(
                    code: "over_capacity",
                    message: "\(v.load) units to load; the largest truck carries \(most)"
                )
            } else if !problem.vehicles.contains(where: { k in
                let w = problem.window(of: k)
                return min(w.end, visit.windowEnd) - max(w.start, visit.windowStart) >= visit.service
            }) {
                let shifts = Set(vehicles.map { $0.shift.description }).sorted().joined(separator: ", ")
                setAside[i] = SetAside(
                    code: "no_shift_covers_window",
                    message:
                        "open \(v.access?.description ?? "all day"); no shift (\(shifts)) covers \(visit.service / 60) minutes of it"
                )
            } else if !problem.vehicles.contains(where: { problem.reachable(visit: i, by: $0) }) {
                setAside[i] = SetAside(
                    code: "out_of_reach",
                    message: "no truck can drive there, serve it within its window and be back within its shift"
                )
            }
        }
        return Built(problem: problem, candidates: candidates, setAside: setAside, depots: depots, vehicles: vehicles)
    }

    /// Solves a built day and writes its body (the job's result and what the store keeps).
    static func solve(
        _ b: Built,
        date: Int64,
        clock: FleetClock,
        jobID: String,
        solver: RouteSolver,
        timeLimit: Double,
        now: Int64,
        progress: (@Sendable (Double, Int) -> Void)?,
        cancelled: (@Sendable () -> Bool)?
    ) throws -> DayRoutesBody {
        let p = b.problem
        let solution = try solver.solve(
            p,
            timeLimit: timeLimit,
            exclude: Set(b.setAside.keys),
            progress: progress,
            cancelled: cancelled
        )
        let violations = RoutingValidator.violations(p, solution.routes)
        guard violations.isEmpty else {
            throw RouteSolverError(
                description: "the route solver returned routes that break a rule: "
                    + violations.prefix(3).joined(separator: "; ")
            )
        }
        let midnight = clock.midnight(date)
        func time(_ s: Int) -> String { FieldParse.iso8601(midnight + Int64(s)) }
        var served = Set<Int>()
        var routes: [PlannedRouteBody] = []
        var cost = 0.0
        for r in solution.routes.sorted(by: { p.vehicles[$0.vehicle].id < p.vehicles[$1.vehicle].id }) {
            let s = p.schedule(vehicle: r.vehicle, visits: r.visits)
            let v = p.vehicles[r.vehicle]
            let routeCost = Double(s.meters) / 1000 * p.costPerKm + Double(s.duration) / 3600 * p.costPerHour
            cost += routeCost
            routes.append(
                PlannedRouteBody(
                    vehicleID: v.id,
                    depotID: p.depots[v.depot].id,
                    leave: time(s.leave),
                    back: time(s.back),
                    stops: s.stops.map { st in
                        served.insert(st.visit)
                        let c = b.candidates[st.visit]
                        return RouteStopBody(
                            deviceID: c.deviceID,
                            name: c.name,
                            latitude: c.latitude,
                            longitude: c.longitude,
                            arrive: time(st.start),
                            depart: time(st.depart),
                            loadUnits: c.load,
                            value: Rounding.round2(c.value),
                            reasons: c.reasons,
                            pick: c.pick
                        )
                    },
                    distanceKm: (Double(s.meters) / 100).rounded() / 10,
                    durationMinutes: (Double(s.duration) / 6).rounded() / 10,
                    drivingMinutes: (Double(s.drivingSeconds) / 6).rounded() / 10,
                    loadUnits: s.load,
                    capacityUnits: v.capacity,
                    cost: Rounding.round2(routeCost)
                )
            )
        }
        var unassigned: [UnassignedVisitBody] = []
        for (i, c) in b.candidates.enumerated() where !served.contains(i) {
            let why =
                b.setAside[i]
                ?? SetAside(
                    code: "day_full",
                    message: String(
                        format: "the trucks' day is full: worth %.2f, less than the other visits or than its detour",
                        c.value
                    )
                )
            let mapped = RoutePlanning.hasCoordinates(c)
            unassigned.append(
                UnassignedVisitBody(
                    deviceID: c.deviceID,
                    reason: why.code,
                    message: why.message,
                    value: Rounding.round2(c.value),
                    latitude: mapped ? c.latitude : nil,
                    longitude: mapped ? c.longitude : nil
                )
            )
        }
        let valueServed = served.reduce(0.0) { $0 + b.candidates[$1].value }
        let valueLeft = b.candidates.indices.filter { !served.contains($0) }.reduce(0.0) { $0 + b.candidates[$1].value }
        return DayRoutesBody(
            date: FleetClock.dateText(date),
            plannedAt: FieldParse.iso8601(now),
            jobID: jobID,
            routes: routes,
            unassigned: unassigned.sorted { $0.deviceID < $1.deviceID },
            cost: Rounding.round2(cost),
            valueServed: Rounding.round2(valueServed),
            valueUnassigned: Rounding.round2(valueLeft),
            depots: b.depots.map {
                RouteDepotBody(depotID: $0.id, name: $0.name, latitude: $0.latitude, longitude: $0.longitude)
            },
            solver: RouteSolverRunBody(
                name: "pyvrp",
                seconds: (solution.seconds * 100).rounded() / 100,
                timeLimitSeconds: timeLimit,
                feasible: solution.feasible
            ),
            timeZone: clock.identifier
        )
    }
}

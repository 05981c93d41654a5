import Foundation
import HTTPAPI
import PlanogramDomain
import Routing
import Store

/// Planned routes against the order the visits of the history were made in (docs/BENCHMARKS.md, issue figures): for
/// each day of the history, the devices that were serviced become one routing problem with the fleet's
/// trucks, every visit kept (worth far more than any detour); the history's own order is the visits in
/// time order, each given to its nearest depot by drive (`DepotAssignment`'s rule) and cut into equal runs, one per truck of that depot. A
/// second baseline is an order a careful dispatcher could make by hand: per depot, nearest neighbour from
/// the depot through all its visits, cut into the same equal runs.
/// Only driving is compared (service time is the same in every order).
package enum RouteHistory {
    package struct Day: Codable, Sendable {
        package var date: String
        package var visits: Int
        package var historicalMinutes: Double
        package var historicalKm: Double
        package var nearestNeighbourMinutes: Double
        package var nearestNeighbourKm: Double
        package var plannedMinutes: Double
        package var plannedKm: Double
        /// Visits the planner could not fit in the trucks' shifts and windows (kept in neither total's favour:
        /// the days with any are reported and left out of the sums).
        package var plannedUnserved: Int
        package var violations: Int
        package var seconds: Double

        enum CodingKeys: String, CodingKey {
            case date
            case visits
            case historicalMinutes = "historical_minutes"
            case historicalKm = "historical_km"
            case nearestNeighbourMinutes = "nearest_neighbour_minutes"
            case nearestNeighbourKm = "nearest_neighbour_km"
            case plannedMinutes = "planned_minutes"
            case plannedKm = "planned_km"
            case plannedUnserved = "planned_unserved"
            case violations
            case seconds
        }
    }

    /// The last `days` days of the history that have services.
    package static func compare(
        store: Store,
        configuration: AppConfiguration,
        solver: RouteSolver,
        days: Int,
        timeLimit: Double,
        progress: (String) -> Void
    ) throws -> [Day] {
        let cat = try store.loadCatalog()
        let travel = try store.travelMatrix()
        let rows = try store.read { db in
            try db.query("SELECT ts, device_id, units_added FROM services ORDER BY ts", []) {
                (Int64($0.int(0)), $0.text(1), $0.int(2))
            }
        }
        // device-day → (first service time, units).
        var byDay: [Int64: [String: (at: Int64, units: Int)]] = [:]
        for (ts, device, units) in rows {
            let day = configuration.clock.day(of: ts)
            let old = byDay[day]?[device]
            byDay[day, default: [:]][device] = (min(old?.at ?? ts, ts), (old?.units ?? 0) + units)
        }
        let depots = cat.depots.values.sorted { $0.id < $1.id }
        let vehicles = cat.vehicles.values.sorted { $0.id < $1.id }
        guard !depots.isEmpty, !vehicles.isEmpty else {
            throw APIError.unprocessable("no_vehicles", "the fleet has no depots or vehicles")
        }
        var out: [Day] = []
        for day in byDay.keys.sorted().suffix(days) {
            let visits = byDay[day]!.sorted { ($0.value.at, $0.key) < ($1.value.at, $1.key) }
            let candidates = visits.compactMap { id, v -> RoutePlanning.Candidate? in
                guard let d = cat.devices[id] else { return nil }
                return .init(
                    deviceID: id,
                    name: d.name,
                    latitude: d.latitude,
                    longitude: d.longitude,
                    access: d.access,
                    serviceMinutes: d.serviceMinutes,
                    load: v.units,
                    value: 100_000,
                    reasons: ["history"],
                    pick: []
                )
            }
            let built = RoutePlanning.build(
                date: day,
                candidates: candidates,
                depots: depots,
                vehicles: vehicles,
                travel: travel,
                configuration: configuration
            )
            let p = built.problem
            // The history's order: nearest depot, time order, equal runs per truck of the depot.
            func drive(_ depot: Int, _ route: [Int]) -> (seconds: Int, meters: Int) {
                var s = 0
                var m = 0
                var prev = depot
                for i in route {
                    let loc = p.location(visit: i)
                    s += p.seconds[prev][loc]
                    m += p.meters[prev][loc]
                    prev = loc
                }
                if !route.isEmpty {
                    s += p.seconds[prev][depot]
                    m += p.meters[prev][depot]
                }
                return (s, m)
            }
            var historical = (seconds: 0, meters: 0)
            var nearest = (seconds: 0, meters: 0)
            for (d, _) in depots.enumerated() {
                let mine = p.visits.indices.filter { i in
                    let loc = p.location(visit: i)
                    return depots.indices.min { p.seconds[$0][loc] < p.seconds[$1][loc] } == d
                }
                let trucks = max(1, p.vehicles.filter { $0.depot == d }.count)
                let run = (mine.count + trucks - 1) / trucks
                // Nearest neighbour over all of the depot's visits, then cut into the same number of runs.
                var left = Set(mine)
                var tour: [Int] = []
                var at = d
                while let next = left.min(by: {
                    (p.seconds[at][p.location(visit: $0)], $0) < (p.seconds[at][p.location(visit: $1)], $1)
                }) {
                    tour.append(next)
                    left.remove(next)
                    at = p.location(visit: next)
                }
                for k in 0..<trucks {
                    let h = drive(d, Array(mine.dropFirst(k * run).prefix(run)))
                    historical.seconds += h.seconds
                    historical.meters += h.meters
                    let n = drive(d, Array(tour.dropFirst(k * run).prefix(run)))
                    nearest.seconds += n.seconds
                    nearest.meters += n.meters
                }
            }
            let started = Date()
            let solution = try solver.solve(p, timeLimit: timeLimit, exclude: Set(built.setAside.keys))
            var planned = (seconds: 0, meters: 0)
            for r in solution.routes {
                let s = p.schedule(vehicle: r.vehicle, visits: r.visits)
                planned.seconds += s.drivingSeconds
                planned.meters += s.meters
            }
            let served = solution.routes.reduce(0) { $0 + $1.visits.count }
            let row = Day(
                date: FleetClock.dateText(day),
                visits: p.visits.count,
                historicalMinutes: Double(historical.seconds) / 60,
                historicalKm: Double(historical.meters) / 1000,
                nearestNeighbourMinutes: Double(nearest.seconds) / 60,
                nearestNeighbourKm: Double(nearest.meters) / 1000,
                plannedMinutes: Double(planned.seconds) / 60,
                plannedKm: Double(planned.meters) / 1000,
                plannedUnserved: p.visits.count - served,
                violations: RoutingValidator.violations(p, solution.routes).count,
                seconds: Date().timeIntervalSince(started)
            )
            progress(
                String(
                    format:
                        "%@: %d visits, driving %.0f min in the history's order, %.0f nearest neighbour, %.0f planned (%d unserved)",
                    row.date,
                    row.visits,
                    row.historicalMinutes,
                    row.nearestNeighbourMinutes,
                    row.plannedMinutes,
                    row.plannedUnserved
                )
            )
            out.append(row)
        }
        return out
    }
}

import PlanogramDomain

/// Which depot serves a device when no planned route says so: the one nearest it by driving time, from
/// the depot to the device, on the route planner's legs (the operator's travel matrix where it has the
/// pair, else great-circle distance × detour at the urban speed). A tie goes to the depot first by id.
/// This is the rule the history's order in `RouteHistory` gives visits to depots by, and what
/// `GET /api/pick-lists?depot_id=` narrows a day to. A device with neither usable coordinates nor a
/// matrix leg from every depot is nearest none.
enum DepotAssignment {
    /// Device id → depot id, for the devices given.
    static func nearest(
        devices: [Device],
        depots: [Depot],
        travel: [String: [String: (seconds: Int, meters: Int)]],
        configuration: AppConfiguration
    ) -> [String: String] {
        let depots = depots.sorted { $0.id < $1.id }
        var out: [String: String] = [:]
        for d in devices {
            let located = RoutePlanning.hasCoordinates(latitude: d.latitude, longitude: d.longitude)
            guard located || depots.allSatisfy({ travel[$0.id]?[d.id] != nil }) else { continue }
            var best: (seconds: Int, id: String)?
            for depot in depots {
                let s = RoutePlanning.leg(
                    from: (depot.id, depot.latitude, depot.longitude),
                    to: (d.id, d.latitude, d.longitude),
                    travel: travel,
                    configuration: configuration
                ).seconds
                if best == nil || s < best!.seconds { best = (s, depot.id) }
            }
            if let best { out[d.id] = best.id }
        }
        return out
    }
}

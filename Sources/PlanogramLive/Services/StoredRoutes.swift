import Foundation
import HTTPAPI
import PlanogramDomain
import Store

/// A day's planned routes as the store keeps them, and what a token may see of them.
enum StoredRoutes {
    static func stored(_ app: AppContext, date: Int64) throws -> DayRoutesBody? {
        guard let row = try app.store.routePlan(date: FleetClock.dateText(date)) else { return nil }
        return try JSONDecoder().decode(DayRoutesBody.self, from: row.body)
    }

    /// What a principal may see of a day: a token with a `devices` claim sees only those stops (and
    /// routes with any of them); `vehicle` narrows to one truck.
    static func visible(_ day: DayRoutesBody, to p: Principal, vehicle: String?) -> DayRoutesBody {
        var out = day
        out.routes = day.routes.compactMap { route in
            guard vehicle == nil || route.vehicleID == vehicle else { return nil }
            var r = route
            r.stops = route.stops.filter { p.mayTouch(device: $0.deviceID) }
            return r.stops.isEmpty && !route.stops.isEmpty ? nil : r
        }
        out.unassigned = vehicle == nil ? day.unassigned.filter { p.mayTouch(device: $0.deviceID) } : []
        return out
    }
}

import Foundation
import PlanogramDomain
import Store

/// Dates of the API on the fleet's clock (`PLANOGRAM_TIMEZONE`, `FleetClock`): a day is a local date, counted in
/// days since 1970-01-01; `YYYY-MM-DD` names one.
extension FleetClock {
    /// `YYYY-MM-DD` of a day index.
    static func dateText(_ day: Int64) -> String { String(FieldParse.iso8601(day * 86_400).prefix(10)) }

    /// The day index of a UTC instant (days since 1970): the date of a `YYYY-MM-DD` read as UTC midnight.
    static func dayIndex(ofUTC t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }
}

extension AppContext {
    /// The fleet's clock.
    var clock: FleetClock { configuration.clock }

    /// Now, or the end of the history when it ends earlier (a demo fleet's last day): what plans, pick lists
    /// and experiments are "as of".
    func asOf() throws -> Int64 {
        let wall = Int64(Date().timeIntervalSince1970)
        let newest = try store.read { db in
            let vend = try db.scalarInt("SELECT ts FROM sales ORDER BY ts DESC LIMIT 1")
            // Day-only sales (an export with dates only): their last day ends at its last second.
            let day = try db.scalarInt("SELECT max(day) FROM sales_days").map { clock.midnight($0 + 1) - 1 }
            return [vend, day].compactMap { $0 }.max()
        }
        return min(wall, newest.map { $0 + 1 } ?? wall)
    }
}

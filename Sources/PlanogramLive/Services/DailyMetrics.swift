import Foundation
import PlanogramDomain
import Store

/// A device's metric per day (docs/MODELS.md: `revenue` or `units`), for the experiments and the fleet KPIs, read
/// from `sales_daily` (kept by the importer). Days are the fleet's local dates (`SalesDaily`; UTC: `ts / 86400`);
/// a day without sales is 0.
package enum DailyMetrics {
    package enum Metric: String, Codable, Sendable {
        case revenue, units
        /// Out-of-stock slot-days (`stockouts_daily`, written with each fit of the models); lower is better.
        case stockouts

        package var lowerIsBetter: Bool { self == .stockouts }
    }

    /// `devices` (nil: every device with sales in the range) × days `from..<to`.
    package static func read(
        _ store: Store,
        metric: Metric,
        devices: Set<String>?,
        fromDay: Int64,
        toDay: Int64
    ) throws -> [String: [Double]] {
        guard toDay > fromDay else { return [:] }
        let width = Int(toDay - fromDay)
        let (table, value) =
            metric == .stockouts
            ? ("stockouts_daily", "slot_days_out") : ("sales_daily", metric == .revenue ? "revenue" : "units")
        var out: [String: [Double]] = [:]
        if let devices { for d in devices { out[d] = [Double](repeating: 0, count: width) } }
        try store.read { db in
            func add(_ device: String, _ day: Int64, _ v: Double) {
                if out[device] == nil { out[device] = [Double](repeating: 0, count: width) }
                out[device]![Int(day - fromDay)] = v
            }
            if let devices, devices.count <= 2_000 {
                // One range per device on the table's key.
                for d in devices.sorted() {
                    for (day, v) in try db.query(
                        "SELECT day, \(value) FROM \(table) WHERE device_id = ? AND day >= ? AND day < ?",
                        [.text(d), .of(Int(fromDay)), .of(Int(toDay))],
                        { (Int64($0.int(0)), $0.double(1)) }
                    ) {
                        add(d, day, v)
                    }
                }
            } else {
                for (device, day, v) in try db.query(
                    "SELECT device_id, day, \(value) FROM \(table) WHERE day >= ? AND day < ?",
                    [.of(Int(fromDay)), .of(Int(toDay))],
                    { ($0.text(0), Int64($0.int(1)), $0.double(2)) }
                ) {
                    if let devices, !devices.contains(device) { continue }
                    add(device, day, v)
                }
            }
        }
        return out
    }

    /// The first and last day with sales, local dates of `clock` (nil without sales).
    package static func span(_ store: Store, clock: FleetClock = .utc) throws -> (first: Int64, last: Int64)? {
        try store.read { db in
            guard let a = try db.scalarInt("SELECT MIN(ts) FROM sales"),
                let b = try db.scalarInt("SELECT MAX(ts) FROM sales")
            else { return nil }
            return (clock.day(of: a), clock.day(of: b))
        }
    }
}

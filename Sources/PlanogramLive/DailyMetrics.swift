import Foundation
import Store

/// A device's metric per day, read from the sales (SPEC §14: `revenue` or `units`), for the experiments
/// and the fleet KPIs. Days are UTC days (`ts / 86400`); a day without sales is 0.
public enum DailyMetrics {
    public enum Metric: String, Codable, Sendable {
        case revenue, units
    }

    /// `devices` (nil: every device with sales in the range) × days `from..<to`.
    public static func read(_ store: Store, metric: Metric, devices: Set<String>?, fromDay: Int64, toDay: Int64) throws -> [String: [Double]] {
        guard toDay > fromDay else { return [:] }
        let width = Int(toDay - fromDay)
        let value = metric == .revenue ? "SUM(price)" : "COUNT(*)"
        var out: [String: [Double]] = [:]
        if let devices { for d in devices { out[d] = [Double](repeating: 0, count: width) } }
        try store.read { db in
            for (device, day, v) in try db.query("""
                SELECT device_id, ts / 86400 AS day, \(value) FROM sales WHERE ts >= ? AND ts < ? GROUP BY device_id, day
                """, [.of(Int(fromDay * 86_400)), .of(Int(toDay * 86_400))], { ($0.text(0), Int64($0.int(1)), $0.double(2)) }) {
                if let devices, !devices.contains(device) { continue }
                if out[device] == nil { out[device] = [Double](repeating: 0, count: width) }
                out[device]![Int(day - fromDay)] = v
            }
        }
        return out
    }

    /// The first and last day with sales (nil without sales).
    public static func span(_ store: Store) throws -> (first: Int64, last: Int64)? {
        try store.read { db in
            guard let a = try db.scalarInt("SELECT MIN(ts) FROM sales"), let b = try db.scalarInt("SELECT MAX(ts) FROM sales") else { return nil }
            return (a / 86_400, b / 86_400)
        }
    }
}

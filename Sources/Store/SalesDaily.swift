import PlanogramDomain

/// The days of `sales_daily` (a device's revenue and units per day, which the fleet KPIs and experiments
/// read) are local dates of the fleet's clock (docs/MODELS.md `PLANOGRAM_TIMEZONE`): a sale at 23:30 in New York
/// counts on that evening's date, not on the next UTC day. The zone the table was written in is kept
/// (`store_settings.sales_daily_zone`; a table from before zones is in UTC), and a store opened on another
/// zone's clock has every day recomputed before anything reads or adds to it.
package enum SalesDaily {
    static let settingKey = "sales_daily_zone"

    /// The name a clock's days are recorded under: "UTC" for every spelling of it.
    static func zoneName(_ clock: FleetClock) -> String { clock.isUTC ? "UTC" : clock.identifier }

    /// The zone the table's days are in.
    package static func zone(_ db: any SQLConnection) throws -> String {
        try db.query("SELECT value FROM store_settings WHERE key = ?", [.text(settingKey)]) { $0.text(0) }.first
            ?? "UTC"
    }

    /// Makes the table's days those of `clock`: when they are another zone's, every day is recomputed from
    /// the sales (call it inside the write transaction of what follows). Returns whether it recomputed.
    /// On PostgreSQL, nodes that start together take turns (a lock held to the end of the transaction), so
    /// the second finds the zone recorded and recomputes nothing; SQLite's write transactions already do.
    @discardableResult
    package static func align(_ db: any SQLConnection, clock: FleetClock) throws -> Bool {
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_xact_lock(74202)") }
        let name = zoneName(clock)
        guard try zone(db) != name else { return false }
        try db.run("DELETE FROM sales_daily", [])
        var days: [ClosedRange<Int64>] = []
        if let first = try db.scalarInt("SELECT MIN(ts) FROM sales"),
            let last = try db.scalarInt("SELECT MAX(ts) FROM sales")
        {
            days.append(clock.day(of: first)...clock.day(of: last))
        }
        // Days of day-only sales are dates already: the same in every zone.
        if let first = try db.scalarInt("SELECT MIN(day) FROM sales_days"),
            let last = try db.scalarInt("SELECT MAX(day) FROM sales_days")
        {
            days.append(first...last)
        }
        if let lo = days.map(\.lowerBound).min(), let hi = days.map(\.upperBound).max() {
            try recompute(db, days: Array(lo...hi), clock: clock)
        }
        try db.run(
            """
            INSERT INTO store_settings(key, value) VALUES (?, ?)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """,
            [.text(settingKey), .text(name)]
        )
        return true
    }

    /// Adds sales just written to their days' totals: `rows` are (device, day, revenue, units) of sales none
    /// of which was in the store before (a day holding any of them already is `recompute`d instead).
    /// `rows` hold each device and day once (a statement may not update one row twice on PostgreSQL).
    package static func add(_ db: any SQLConnection, _ rows: [(String, Int64, Double, Int)]) throws {
        var values: [SQLValue] = []
        values.reserveCapacity(rows.count * 4)
        for (device, day, revenue, units) in rows {
            values += [.text(device), .int(day), .double(revenue), .of(units)]
        }
        _ = try db.insertRows(
            "sales_daily(device_id, day, revenue, units)",
            width: 4,
            values,
            suffix: """
                ON CONFLICT (device_id, day) DO UPDATE
                  SET revenue = sales_daily.revenue + excluded.revenue, units = sales_daily.units + excluded.units
                """
        )
    }

    /// The totals of `days` computed again from every sale of those days. One day at a time: each groups a
    /// day's few thousand sales by device, where one statement over the whole range sorted every sale of it
    /// by device and day (metro fleet, 2.0 M sales: 5.6 s, BENCHMARKS §4).
    package static func recompute(_ db: any SQLConnection, days: [Int64], clock: FleetClock) throws {
        for day in days {
            try db.run("DELETE FROM sales_daily WHERE day = ?", [.int(day)])
            try db.run(
                """
                INSERT INTO sales_daily(device_id, day, revenue, units)
                SELECT device_id, ?, SUM(revenue), SUM(units) FROM (
                  SELECT device_id, price AS revenue, 1 AS units FROM sales WHERE ts >= ? AND ts < ?
                  UNION ALL SELECT device_id, revenue, units FROM sales_days WHERE day = ?) AS sold
                GROUP BY device_id
                """,
                [.int(day), .int(clock.midnight(day)), .int(clock.midnight(day + 1)), .int(day)]
            )
        }
    }
}

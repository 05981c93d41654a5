import PlanogramDomain

/// Streams the stored history (sales and restocks merged in time order) to a consumer, with the
/// planogram versions of every cabinet. Used to build the insights' `SalesHistory` without holding
/// raw rows in memory.
package enum HistoryReader {
    package struct Event {
        package let isSale: Bool
        package let ts: Int64
        package let deviceID: String
        package let cabinetIndex: Int
        package let slot: SlotCode
        package let productID: String
        package let price: Double
        package let transactionID: String?
        package let unitsAdded: Int
    }

    /// Units one slot sold on one local date, with no time of day (`sales_days`).
    package struct DayCount {
        package let day: Int64
        package let deviceID: String
        package let cabinetIndex: Int
        package let slot: SlotCode
        package let productID: String
        package let units: Int
        package let revenue: Double
    }

    /// Calls `body` for every day-only sale line, by day.
    package static func forEachDayCount(_ store: Store, _ body: (DayCount) -> Void) throws {
        try store.read { db in
            try db.forEachRow(
                "SELECT day, device_id, cabinet_index, slot, product_id, units, revenue FROM sales_days ORDER BY day, device_id",
                []
            ) { st in
                guard let code = SlotCode(st.text(3)) else { return }
                body(
                    DayCount(
                        day: st.int64(0),
                        deviceID: st.text(1),
                        cabinetIndex: st.int(2),
                        slot: code,
                        productID: st.text(4),
                        units: st.int(5),
                        revenue: st.double(6)
                    )
                )
            }
        }
    }

    /// Units each slot sold between two DEX reads of its device (the selection map turns a selection into its
    /// slots; a selection feeding several slots shares its units among them). Intervals whose units are unknown
    /// (a counter went down) are left out.
    package static func forEachDEXInterval(
        _ store: Store,
        _ body: (
            _ deviceID: String, _ cabinetIndex: Int, _ slot: SlotCode, _ fromTs: Int64, _ toTs: Int64, _ units: Double
        ) -> Void
    ) throws {
        try store.read { db in
            var feeds: [String: Int] = [:]  // device|selection → slots fed
            try db.forEachRow(
                "SELECT device_id, selection, count(*) FROM device_selections GROUP BY device_id, selection",
                []
            ) {
                feeds["\($0.text(0))|\($0.text(1))"] = $0.int(2)
            }
            try db.forEachRow(
                """
                SELECT i.device_id, i.selection, i.from_ts, i.to_ts, i.units, s.cabinet_index, s.slot
                FROM dex_intervals i JOIN device_selections s ON s.device_id = i.device_id AND s.selection = i.selection
                WHERE i.units IS NOT NULL ORDER BY i.to_ts
                """,
                []
            ) { st in
                guard let code = SlotCode(st.text(6)) else { return }
                let share = Double(max(1, feeds["\(st.text(0))|\(st.text(1))"] ?? 1))
                body(st.text(0), st.int(5), code, st.int64(2), st.int64(3), Double(st.int(4)) / share)
            }
        }
    }

    /// All planogram versions by cabinet, oldest first.
    package static func planograms(_ store: Store) throws -> [CabinetKey: [Planogram]] {
        let cabinets = try store.read { db in
            try db.query("SELECT DISTINCT device_id, cabinet_index FROM planogram_versions") {
                CabinetKey($0.text(0), $0.int(1))
            }
        }
        var out: [CabinetKey: [Planogram]] = [:]
        for c in cabinets { out[c] = try store.planogramHistory(deviceID: c.deviceID, cabinetIndex: c.index) }
        return out
    }

    /// Calls `body` for every sale and restock in time order (restocks first within a second).
    ///
    /// Both tables are stored in time order (their primary keys start with `ts`), so each is read in that
    /// order for free and the two are merged here, a week at a time: the week's restocks are held, its
    /// sales streamed past them. Sorting their union in the database instead cost about 3 s of the metro
    /// fleet's history load (BENCHMARKS §8, "Loading the metro fleet's history").
    package static func forEachEvent(_ store: Store, _ body: (Event) -> Void) throws {
        try store.read { db in
            let spans = try db.query(
                """
                SELECT MIN(ts), MAX(ts) FROM services UNION ALL SELECT MIN(ts), MAX(ts) FROM sales
                """,
                []
            ) { $0.isNull(0) ? nil : ($0.int64(0), $0.int64(1)) }.compactMap { $0 }
            guard let first = spans.map(\.0).min(), let last = spans.map(\.1).max() else { return }
            var slots: [String: SlotCode] = [:]
            func slot(_ text: String) -> SlotCode? {
                if let s = slots[text] { return s }
                guard let s = SlotCode(text) else { return nil }
                slots[text] = s
                return s
            }
            let week: Int64 = 7 * 86_400
            var start = first
            while start <= last {
                let end = start + week
                var restocks: [Event] = []
                try db.forEachRow(
                    """
                    SELECT ts, device_id, cabinet_index, slot, units_added FROM services WHERE ts >= ? AND ts < ? ORDER BY ts
                    """,
                    [.int(start), .int(end)]
                ) { st in
                    guard let code = slot(st.text(3)) else { return }
                    restocks.append(
                        Event(
                            isSale: false,
                            ts: st.int64(0),
                            deviceID: st.text(1),
                            cabinetIndex: st.int(2),
                            slot: code,
                            productID: "",
                            price: 0,
                            transactionID: nil,
                            unitsAdded: st.int(4)
                        )
                    )
                }
                var next = 0
                try db.forEachRow(
                    """
                    SELECT ts, device_id, cabinet_index, slot, product_id, price, transaction_id FROM sales WHERE ts >= ? AND ts < ? ORDER BY ts
                    """,
                    [.int(start), .int(end)]
                ) { st in
                    let ts = st.int64(0)
                    while next < restocks.count && restocks[next].ts <= ts {
                        body(restocks[next])
                        next += 1
                    }
                    guard let code = slot(st.text(3)) else { return }
                    body(
                        Event(
                            isSale: true,
                            ts: ts,
                            deviceID: st.text(1),
                            cabinetIndex: st.int(2),
                            slot: code,
                            productID: st.text(4),
                            price: st.double(5),
                            transactionID: st.optionalText(6),
                            unitsAdded: 0
                        )
                    )
                }
                while next < restocks.count {
                    body(restocks[next])
                    next += 1
                }
                start = end
            }
        }
    }
}

import PlanogramDomain

/// Streams the stored history (sales and restocks merged in time order) to a consumer, with the
/// planogram versions of every cabinet. Used to build the insights' `SalesHistory` without holding
/// raw rows in memory.
public enum HistoryReader {
    public struct Event {
        public let isSale: Bool
        public let ts: Int64
        public let deviceID: String
        public let cabinetIndex: Int
        public let slot: SlotCode
        public let productID: String
        public let price: Double
        public let transactionID: String?
        public let unitsAdded: Int
    }

    /// All planogram versions by cabinet, oldest first.
    public static func planograms(_ store: Store) throws -> [CabinetKey: [Planogram]] {
        let cabinets = try store.read { db in
            try db.query("SELECT DISTINCT device_id, cabinet_index FROM planogram_versions") { CabinetKey($0.text(0), $0.int(1)) }
        }
        var out: [CabinetKey: [Planogram]] = [:]
        for c in cabinets { out[c] = try store.planogramHistory(deviceID: c.deviceID, cabinetIndex: c.index) }
        return out
    }

    /// Calls `body` for every sale and restock in time order (restocks first within a second).
    public static func forEachEvent(_ store: Store, _ body: (Event) -> Void) throws {
        try store.read { db in
            var slots: [String: SlotCode] = [:]
            try db.forEachRow("""
                SELECT ts, 0 AS kind, device_id, cabinet_index, slot, '' AS product_id, 0.0 AS price, NULL AS transaction_id, units_added FROM services
                UNION ALL
                SELECT ts, 1, device_id, cabinet_index, slot, product_id, price, transaction_id, 0 FROM sales
                ORDER BY 1, 2
                """, []) { st in
                let slotText = st.text(4)
                let slot: SlotCode
                if let s = slots[slotText] { slot = s } else { guard let s = SlotCode(slotText) else { return }; slots[slotText] = s; slot = s }
                body(Event(isSale: st.int(1) == 1, ts: st.int64(0), deviceID: st.text(2), cabinetIndex: st.int(3), slot: slot,
                           productID: st.text(5), price: st.double(6), transactionID: st.optionalText(7), unitsAdded: st.int(8)))
            }
        }
    }
}

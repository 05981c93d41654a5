import Foundation
import PlanogramDomain

/// One line of a driver's visit: what was loaded into and taken out of a slot.
package struct VisitLine: Sendable, Equatable, Codable {
    package var cabinetIndex: Int
    package var slot: SlotCode
    package var unitsAdded: Int
    package var unitsPulled: Int

    package init(cabinetIndex: Int, slot: SlotCode, unitsAdded: Int, unitsPulled: Int) {
        self.cabinetIndex = cabinetIndex
        self.slot = slot
        self.unitsAdded = unitsAdded
        self.unitsPulled = unitsPulled
    }
}

/// A recorded visit (docs/MODELS.md).
package struct Visit: Sendable, Equatable, Codable {
    package var visitID: String
    package var deviceID: String
    package var at: Int64
    package var lines: [VisitLine]

    package init(visitID: String, deviceID: String, at: Int64, lines: [VisitLine]) {
        self.visitID = visitID
        self.deviceID = deviceID
        self.at = at
        self.lines = lines
    }
}

/// A stock event of one device, in time order: a sale, a restock or a pull.
package struct StockEvent: Sendable, Equatable {
    package enum Kind: Int, Sendable {
        case restock = 0
        case sale = 1
        case pull = 2
    }
    package let kind: Kind
    package let ts: Int64
    package let deviceID: String
    package let cabinetIndex: Int
    package let slot: SlotCode
    /// The product of a sale ("" for restocks and pulls: the planogram in effect says).
    package let productID: String
    package let units: Int
}

/// What `record` did.
package enum VisitOutcome: Sendable, Equatable {
    /// Written now.
    case recorded
    /// The same visit was already recorded (a retry): nothing written.
    case repeated
    /// The visit id is taken by a different visit.
    case conflicting(Visit)
    /// A restock of one of its slots at the same second is already on record (from an import or another visit).
    case clashes(slot: SlotCode, cabinetIndex: Int)
}

/// Visits, restocks and pulls: written in one transaction, idempotent by visit id.
package enum VisitRepository {
    package static func record(_ store: Store, _ visit: Visit, by user: String, at now: Int64) throws -> VisitOutcome {
        let body = String(decoding: try JSONEncoder.sorted.encode(visit), as: UTF8.self)
        return try store.write { db in
            if let existing = try db.query(
                "SELECT body FROM visits WHERE visit_id = ?",
                [.text(visit.visitID)],
                { $0.text(0) }
            ).first {
                if existing == body { return .repeated }
                let old = (try? JSONDecoder().decode(Visit.self, from: Data(existing.utf8))) ?? visit
                return .conflicting(old)
            }
            for line in visit.lines where line.unitsAdded > 0 {
                let taken =
                    try db.scalarInt(
                        "SELECT count(*) FROM services WHERE ts = ? AND device_id = ? AND cabinet_index = ? AND slot = ?",
                        [.int(visit.at), .text(visit.deviceID), .of(line.cabinetIndex), .text(line.slot.description)]
                    ) ?? 0
                if taken > 0 { return .clashes(slot: line.slot, cabinetIndex: line.cabinetIndex) }
            }
            try db.run(
                "INSERT INTO visits(visit_id, device_id, at, recorded_by, recorded_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(visit.visitID), .text(visit.deviceID), .int(visit.at), .text(user), .int(now), .text(body)]
            )
            for line in visit.lines {
                if line.unitsAdded > 0 {
                    try db.run(
                        "INSERT INTO services(ts, device_id, cabinet_index, slot, units_added) VALUES (?, ?, ?, ?, ?)",
                        [
                            .int(visit.at), .text(visit.deviceID), .of(line.cabinetIndex), .text(line.slot.description),
                            .of(line.unitsAdded),
                        ]
                    )
                }
                if line.unitsPulled > 0 {
                    try db.run(
                        """
                        INSERT INTO pulls(ts, device_id, cabinet_index, slot, units, visit_id) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(ts, device_id, cabinet_index, slot) DO UPDATE SET units = pulls.units + excluded.units
                        """,
                        [
                            .int(visit.at), .text(visit.deviceID), .of(line.cabinetIndex), .text(line.slot.description),
                            .of(line.unitsPulled), .text(visit.visitID),
                        ]
                    )
                }
            }
            return .recorded
        }
    }

    /// Sales, restocks and pulls from `since` on — of one device, or of every device with `deviceID` nil —
    /// in time order (restocks and pulls before sales within a second). One read of each table.
    package static func events(_ store: Store, deviceID: String?, since: Int64) throws -> [StockEvent] {
        try store.read { db in
            let filter = deviceID == nil ? "" : " AND device_id = ?"
            var bind: [SQLValue] = []
            for _ in 0..<3 {
                bind.append(.int(since))
                if let deviceID { bind.append(.text(deviceID)) }
            }
            var out: [StockEvent] = []
            var slots: [String: SlotCode] = [:]
            var devices: [String: String] = [:]  // one String per device id, shared by its events
            try db.forEachRow(
                """
                SELECT ts, 0, cabinet_index, slot, '', units_added, device_id FROM services WHERE ts >= ?\(filter)
                UNION ALL SELECT ts, 2, cabinet_index, slot, '', units, device_id FROM pulls WHERE ts >= ?\(filter)
                UNION ALL SELECT ts, 1, cabinet_index, slot, product_id, 1, device_id FROM sales WHERE ts >= ?\(filter)
                ORDER BY 1, 2
                """,
                bind
            ) { st in
                let text = st.text(3)
                let slot: SlotCode
                if let s = slots[text] {
                    slot = s
                } else {
                    guard let s = SlotCode(text) else { return }
                    slots[text] = s
                    slot = s
                }
                guard let kind = StockEvent.Kind(rawValue: st.int(1)) else { return }
                let d = st.text(6)
                let device = devices[d] ?? d
                devices[d] = device
                out.append(
                    StockEvent(
                        kind: kind,
                        ts: st.int64(0),
                        deviceID: device,
                        cabinetIndex: st.int(2),
                        slot: slot,
                        productID: kind == .sale ? st.text(4) : "",
                        units: st.int(5)
                    )
                )
            }
            return out
        }
    }

    /// The newest event time of a device (nil with no history); a day of day-only sales ends at the last second
    /// of that local date on `clock`.
    package static func lastEventTime(_ store: Store, deviceID: String, clock: FleetClock = .utc) throws -> Int64? {
        try store.read { db in
            // Both tables are keyed by time first: reading backwards stops at the device's newest row.
            let a = try db.scalarInt(
                "SELECT ts FROM services WHERE device_id = ? ORDER BY ts DESC LIMIT 1",
                [.text(deviceID)]
            )
            let b = try db.scalarInt(
                "SELECT ts FROM sales WHERE device_id = ? ORDER BY ts DESC LIMIT 1",
                [.text(deviceID)]
            )
            // Day-only sales are keyed by date first: the device's own dates (its daily totals, newest first) are
            // each looked up there, which stays a walk over one device's dates however large the table is.
            let c = try db.scalarInt(
                """
                SELECT d.day FROM sales_daily d
                WHERE d.device_id = ? AND EXISTS (SELECT 1 FROM sales_days s WHERE s.day = d.day AND s.device_id = d.device_id)
                ORDER BY d.day DESC LIMIT 1
                """,
                [.text(deviceID)]
            ).map { clock.midnight($0 + 1) - 1 }
            return [a, b, c].compactMap { $0 }.max()
        }
    }
}

extension JSONEncoder {
    /// Keys sorted: equal values give equal text (visit bodies are compared as text).
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

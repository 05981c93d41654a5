import Foundation

/// DEX reads as the store keeps them (docs/formats/DEX.md): the read's text, its counters per selection, the
/// interval sales between consecutive reads of a device, the serial a device's reads carry, and the device's
/// selection map. Recording a read is one transaction; the same read again (same device, same fingerprint)
/// writes nothing.
package struct DEXReadRecord: Sendable, Equatable {
    package var readID: String
    package var deviceID: String
    package var fingerprint: String
    package var serial: String?
    /// When the read was taken (Unix seconds), and what says so: `machine` (the controller's clock read on the
    /// fleet's clock) or `received` (the time it reached the server; the read's own time was missing or wrong).
    package var readAt: Int64
    package var readAtBasis: String
    package var receivedAt: Int64
    package var recordedBy: String
    package var body: String
    package var selections: [Selection]

    package struct Selection: Sendable, Equatable {
        package var selection: String
        package var price: Double?
        package var vendsTotal: Int?
        package var valueTotal: Double?
        package var vendsSinceReset: Int?
        package var valueSinceReset: Double?

        package init(
            selection: String,
            price: Double?,
            vendsTotal: Int?,
            valueTotal: Double?,
            vendsSinceReset: Int?,
            valueSinceReset: Double?
        ) {
            self.selection = selection
            self.price = price
            self.vendsTotal = vendsTotal
            self.valueTotal = valueTotal
            self.vendsSinceReset = vendsSinceReset
            self.valueSinceReset = valueSinceReset
        }
    }

    package init(
        readID: String,
        deviceID: String,
        fingerprint: String,
        serial: String?,
        readAt: Int64,
        readAtBasis: String,
        receivedAt: Int64,
        recordedBy: String,
        body: String,
        selections: [Selection]
    ) {
        self.readID = readID
        self.deviceID = deviceID
        self.fingerprint = fingerprint
        self.serial = serial
        self.readAt = readAt
        self.readAtBasis = readAtBasis
        self.receivedAt = receivedAt
        self.recordedBy = recordedBy
        self.body = body
        self.selections = selections
    }
}

/// The units one selection sold between two reads (nil: unknown, the counters do not say).
package struct DEXIntervalRecord: Sendable, Equatable {
    package var deviceID: String
    package var selection: String
    package var fromTs: Int64
    package var toTs: Int64
    package var units: Int?
    package var basis: String
    package var readID: String

    package init(
        deviceID: String,
        selection: String,
        fromTs: Int64,
        toTs: Int64,
        units: Int?,
        basis: String,
        readID: String
    ) {
        self.deviceID = deviceID
        self.selection = selection
        self.fromTs = fromTs
        self.toTs = toTs
        self.units = units
        self.basis = basis
        self.readID = readID
    }
}

/// One entry of a device's selection map: the selection feeds this slot of this cabinet.
package struct SelectionSlot: Sendable, Hashable {
    package var cabinetIndex: Int
    package var selection: String
    package var slot: String

    package init(cabinetIndex: Int, selection: String, slot: String) {
        self.cabinetIndex = cabinetIndex
        self.selection = selection
        self.slot = slot
    }
}

extension Store {
    /// Records `read` unless the device has a read with the same fingerprint (then that read is returned and
    /// nothing is written). `intervals` is called inside the transaction with the device's previous read
    /// before this one (nil for the first) and returns the interval sales to write.
    package func recordDEXRead(
        _ read: DEXReadRecord,
        intervals: (DEXReadRecord?) -> [DEXIntervalRecord]
    ) throws -> (read: DEXReadRecord, recorded: Bool, intervals: [DEXIntervalRecord]) {
        try write { db in
            if let existing = try Self.dexRead(db, deviceID: read.deviceID, fingerprint: read.fingerprint) {
                let written = try Self.dexIntervals(db, readID: existing.readID)
                return (existing, false, written)
            }
            let previousID = try db.query(
                "SELECT read_id FROM dex_reads WHERE device_id = ? AND read_at < ? ORDER BY read_at DESC LIMIT 1",
                [.text(read.deviceID), .int(read.readAt)]
            ) { $0.text(0) }.first
            let previous = try previousID.flatMap { try Self.dexRead(db, readID: $0) }
            try db.run(
                """
                INSERT INTO dex_reads(read_id, device_id, fingerprint, machine_serial, read_at, read_at_basis, received_at,
                  recorded_by, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(read.readID), .text(read.deviceID), .text(read.fingerprint), .of(read.serial),
                    .int(read.readAt),
                    .text(read.readAtBasis), .int(read.receivedAt), .text(read.recordedBy), .text(read.body),
                ]
            )
            for (position, s) in read.selections.enumerated() {
                try db.run(
                    """
                    INSERT INTO dex_read_selections(read_id, position, selection, price, vends_total, value_total,
                      vends_since_reset, value_since_reset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(read.readID), .of(position), .text(s.selection), .of(s.price), .of(s.vendsTotal),
                        .of(s.valueTotal),
                        .of(s.vendsSinceReset), .of(s.valueSinceReset),
                    ]
                )
            }
            let made = intervals(previous)
            for iv in made {
                try db.run(
                    """
                    INSERT INTO dex_intervals(device_id, selection, from_ts, to_ts, units, basis, read_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device_id, selection, to_ts) DO NOTHING
                    """,
                    [
                        .text(iv.deviceID), .text(iv.selection), .int(iv.fromTs), .int(iv.toTs), .of(iv.units),
                        .text(iv.basis),
                        .text(iv.readID),
                    ]
                )
            }
            if let serial = read.serial {
                try db.run(
                    "INSERT INTO dex_serials(serial, device_id) VALUES (?, ?) ON CONFLICT (serial) DO NOTHING",
                    [.text(serial), .text(read.deviceID)]
                )
            }
            return (read, true, made)
        }
    }

    /// Records that the machine whose reads carry `serial` is `deviceID` (an admin who knows it, before reads
    /// that name no device are migrated again). Returns the device that owns the serial already, when it is
    /// another one: then nothing is written.
    package func linkDEXSerial(_ serial: String, to deviceID: String) throws -> String? {
        try write { db in
            if let owner = try db.query(
                "SELECT device_id FROM dex_serials WHERE serial = ?",
                [.text(serial)],
                {
                    $0.text(0)
                }
            ).first {
                return owner == deviceID ? nil : owner
            }
            try db.run("INSERT INTO dex_serials(serial, device_id) VALUES (?, ?)", [.text(serial), .text(deviceID)])
            return nil
        }
    }

    /// The device whose reads carry `serial` (learnt from its first read), if any.
    package func device(forDEXSerial serial: String) throws -> String? {
        try read { db in
            try db.query("SELECT device_id FROM dex_serials WHERE serial = ?", [.text(serial)]) { $0.text(0) }.first
        }
    }

    /// A device's reads, newest first (without their text).
    package func dexReads(deviceID: String, limit: Int = 100) throws -> [DEXReadRecord] {
        try read { db in
            let ids = try db.query(
                "SELECT read_id FROM dex_reads WHERE device_id = ? ORDER BY read_at DESC LIMIT ?",
                [.text(deviceID), .of(limit)]
            ) { $0.text(0) }
            return try ids.compactMap { try Self.dexRead(db, readID: $0) }
        }
    }

    /// A device's interval sales, oldest first.
    package func dexIntervals(deviceID: String) throws -> [DEXIntervalRecord] {
        try read { db in
            try db.query(
                "SELECT device_id, selection, from_ts, to_ts, units, basis, read_id FROM dex_intervals WHERE device_id = ? ORDER BY to_ts, selection",
                [.text(deviceID)],
                Self.intervalRow
            )
        }
    }

    /// A device's selection map (empty when none was detected or set).
    package func selectionMap(deviceID: String) throws -> [SelectionSlot] {
        try read { db in
            try db.query(
                "SELECT cabinet_index, selection, slot FROM device_selections WHERE device_id = ? ORDER BY cabinet_index, selection, slot",
                [.text(deviceID)]
            ) { SelectionSlot(cabinetIndex: $0.int(0), selection: $0.text(1), slot: $0.text(2)) }
        }
    }

    /// Replaces a device's selection map whole.
    package func saveSelectionMap(deviceID: String, _ map: [SelectionSlot]) throws {
        try write { db in
            try db.run("DELETE FROM device_selections WHERE device_id = ?", [.text(deviceID)])
            for e in Set(map) {
                try db.run(
                    "INSERT INTO device_selections(device_id, cabinet_index, selection, slot) VALUES (?, ?, ?, ?)",
                    [.text(deviceID), .of(e.cabinetIndex), .text(e.selection), .text(e.slot)]
                )
            }
        }
    }

    static func intervalRow(_ r: any SQLRow) -> DEXIntervalRecord {
        DEXIntervalRecord(
            deviceID: r.text(0),
            selection: r.text(1),
            fromTs: r.int64(2),
            toTs: r.int64(3),
            units: r.optionalInt(4),
            basis: r.text(5),
            readID: r.text(6)
        )
    }

    static func dexIntervals(_ db: any SQLConnection, readID: String) throws -> [DEXIntervalRecord] {
        try db.query(
            "SELECT device_id, selection, from_ts, to_ts, units, basis, read_id FROM dex_intervals WHERE read_id = ? ORDER BY selection",
            [.text(readID)],
            intervalRow
        )
    }

    static func dexRead(_ db: any SQLConnection, deviceID: String, fingerprint: String) throws -> DEXReadRecord? {
        let id = try db.query(
            "SELECT read_id FROM dex_reads WHERE device_id = ? AND fingerprint = ?",
            [.text(deviceID), .text(fingerprint)]
        ) { $0.text(0) }.first
        return try id.flatMap { try dexRead(db, readID: $0) }
    }

    static func dexRead(_ db: any SQLConnection, readID: String) throws -> DEXReadRecord? {
        let selections = try db.query(
            """
            SELECT selection, price, vends_total, value_total, vends_since_reset, value_since_reset
            FROM dex_read_selections WHERE read_id = ? ORDER BY position
            """,
            [.text(readID)]
        ) {
            DEXReadRecord.Selection(
                selection: $0.text(0),
                price: $0.optionalDouble(1),
                vendsTotal: $0.optionalInt(2),
                valueTotal: $0.optionalDouble(3),
                vendsSinceReset: $0.optionalInt(4),
                valueSinceReset: $0.optionalDouble(5)
            )
        }
        return try db.query(
            """
            SELECT read_id, device_id, fingerprint, machine_serial, read_at, read_at_basis, received_at, recorded_by, body
            FROM dex_reads WHERE read_id = ?
            """,
            [.text(readID)]
        ) {
            DEXReadRecord(
                readID: $0.text(0),
                deviceID: $0.text(1),
                fingerprint: $0.text(2),
                serial: $0.optionalText(3),
                readAt: $0.int64(4),
                readAtBasis: $0.text(5),
                receivedAt: $0.int64(6),
                recordedBy: $0.text(7),
                body: $0.text(8),
                selections: selections
            )
        }.first
    }
}

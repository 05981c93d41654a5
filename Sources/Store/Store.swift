import Dispatch
import Foundation
import PlanogramDomain

/// Where the store lives: an SQLite file (the embedded default) or a PostgreSQL database (docs/OPERATIONS.md).
package enum StoreLocation: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// `PLANOGRAM_DATABASE_URL` (postgresql://… or postgres://…) when given, else the SQLite file.
    package static func configured(databaseURL: String?, sqlitePath: String) throws -> StoreLocation {
        guard let url = databaseURL?.trimmingCharacters(in: .whitespaces), !url.isEmpty else {
            return .sqlite(path: sqlitePath)
        }
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            throw SQLUsageError(
                message: "PLANOGRAM_DATABASE_URL must start with postgresql:// (got \(PostgresDatabase.redact(url)))"
            )
        }
        return .postgres(url: url)
    }

    /// For logs: the file, or the URL without its password.
    package var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return PostgresDatabase.redact(url)
        }
    }

    /// A new connection to the same database.
    package func connect() throws -> any SQLConnection {
        switch self {
        case .sqlite(let path): return try SQLiteDatabase(path: path)
        case .postgres(let url): return try PostgresDatabase(url: url)
        }
    }
}

/// The server's database, migrated on open. Every use of the connection runs on the store's serial
/// queue (`read`/`write` are synchronous hops), so the connection is confined to it. Blocking database
/// work therefore never runs on an event loop or a session queue as long as callers hop here from their
/// own work queues. The op log has a connection of its own (`OpLogWriter`), made by `location.connect()`.
package final class Store: @unchecked Sendable {
    package let location: StoreLocation
    private let db: any SQLConnection
    private let queue = DispatchQueue(label: "planogram.store")

    /// The SQLite file at `path`.
    package convenience init(path: String) throws {
        try self.init(location: .sqlite(path: path))
    }

    package init(location: StoreLocation) throws {
        self.location = location
        db = try location.connect()
        try Migrations.migrate(db)
    }

    /// The SQLite file's path, or nil on PostgreSQL.
    package var path: String? {
        if case .sqlite(let p) = location { return p }
        return nil
    }

    package var dialect: SQLDialect { db.dialect }

    /// Runs `body` with the connection on the store's queue.
    package func read<T>(_ body: (any SQLConnection) throws -> T) rethrows -> T {
        try queue.sync { try body(db) }
    }

    /// Runs `body` in one transaction on the store's queue.
    package func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try queue.sync { try db.transaction { try body(db) } }
    }

    /// Whether nothing has been imported yet.
    package func isEmpty() throws -> Bool {
        try read { try ($0.scalarInt("SELECT count(*) FROM products") ?? 0) == 0 }
    }

    package func schemaVersion() throws -> Int {
        try read { Int(try $0.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0) }
    }

    /// Devices, cabinets and products, read whole (the catalogue is small).
    package func loadCatalog() throws -> Catalog {
        try read { db in try Catalog.load(db) }
    }

    /// The planogram of a cabinet: the newest published version, or version `version`.
    package func planogram(deviceID: String, cabinetIndex: Int, version: Int? = nil) throws -> Planogram? {
        try read { db in
            try PlanogramRepository.load(db, deviceID: deviceID, cabinetIndex: cabinetIndex, version: version)
        }
    }

    /// Road travel between two places (device or depot ids) from `travel_matrix.csv`, if the operator gave it;
    /// with `origins`, only the legs that start at those places.
    package func travelMatrix(from origins: [String]? = nil) throws -> [String: [String: (seconds: Int, meters: Int)]] {
        try read { db in
            var m: [String: [String: (seconds: Int, meters: Int)]] = [:]
            let read: (any SQLRow) throws -> (String, String, Int, Int) = {
                ($0.text(0), $0.text(1), $0.int(2), $0.int(3))
            }
            let rows =
                try origins.map { ids in
                    try ids.flatMap {
                        try db.query(
                            "SELECT from_id, to_id, seconds, meters FROM travel_matrix WHERE from_id = ?",
                            [.text($0)],
                            read
                        )
                    }
                } ?? db.query("SELECT from_id, to_id, seconds, meters FROM travel_matrix", [], read)
            for (a, b, s, d) in rows { m[a, default: [:]][b] = (s, d) }
            return m
        }
    }

    /// Every version of a cabinet's planogram, oldest first.
    package func planogramHistory(deviceID: String, cabinetIndex: Int) throws -> [Planogram] {
        try read { db in try PlanogramRepository.history(db, deviceID: deviceID, cabinetIndex: cabinetIndex) }
    }

    /// Adds a published version (from a live session) and returns it with its number.
    package func publish(_ planogram: Planogram, by user: String, at time: Int64) throws -> Planogram {
        try write { db in try PlanogramRepository.insertPublished(db, planogram, by: user, at: time) }
    }
}

/// The catalogue in memory: devices, their cabinets, products.
package struct Catalog: Sendable {
    package var devices: [String: Device] = [:]
    package var cabinets: [CabinetKey: Cabinet] = [:]
    package var products: [String: Product] = [:]
    package var depots: [String: Depot] = [:]
    package var vehicles: [String: Vehicle] = [:]

    package init() {}

    package func cabinets(of deviceID: String) -> [Cabinet] {
        cabinets.values.filter { $0.deviceID == deviceID }.sorted { $0.index < $1.index }
    }

    package func cabinet(_ deviceID: String, _ index: Int) -> Cabinet? { cabinets[CabinetKey(deviceID, index)] }

    static func load(_ db: any SQLConnection) throws -> Catalog {
        var c = Catalog()
        for d in try db.query(
            "SELECT device_id, name, venue_type, latitude, longitude, device_type, access_from, access_until, service_minutes FROM devices",
            [],
            {
                Device(
                    id: $0.text(0),
                    name: $0.text(1),
                    venueType: VenueType(rawValue: $0.text(2)) ?? .other,
                    latitude: $0.double(3),
                    longitude: $0.double(4),
                    deviceType: DeviceType(rawValue: $0.text(5)) ?? .snack,
                    access: $0.isNull(6) || $0.isNull(7) ? nil : TimeWindow(from: $0.int(6), until: $0.int(7)),
                    serviceMinutes: $0.int(8)
                )
            }
        ) { c.devices[d.id] = d }
        for d in try db.query(
            "SELECT depot_id, name, latitude, longitude, opens, closes FROM depots",
            [],
            {
                Depot(
                    id: $0.text(0),
                    name: $0.text(1),
                    latitude: $0.double(2),
                    longitude: $0.double(3),
                    hours: TimeWindow(from: $0.int(4), until: $0.int(5))
                )
            }
        ) { c.depots[d.id] = d }
        for v in try db.query(
            "SELECT vehicle_id, depot_id, capacity_units, shift_start, shift_end FROM vehicles",
            [],
            {
                Vehicle(
                    id: $0.text(0),
                    depotID: $0.text(1),
                    capacityUnits: $0.int(2),
                    shift: TimeWindow(from: $0.int(3), until: $0.int(4))
                )
            }
        ) { c.vehicles[v.id] = v }
        for cab in try db.query(
            "SELECT device_id, cabinet_index, temperature, rows, columns, row_heights_mm FROM cabinets",
            [],
            {
                Cabinet(
                    deviceID: $0.text(0),
                    index: $0.int(1),
                    temperature: Temperature(rawValue: $0.text(2)) ?? .ambient,
                    rows: $0.int(3),
                    columns: $0.int(4),
                    rowHeightsMM: $0.text(5).split(separator: ";").compactMap { Int($0) }
                )
            }
        ) { c.cabinets[CabinetKey(cab.deviceID, cab.index)] = cab }
        for p in try db.query(
            "SELECT product_id, name, category, price, unit_cost, temperature, height_mm, width_cols, shelf_life_days, case_size FROM products",
            [],
            {
                Product(
                    id: $0.text(0),
                    name: $0.text(1),
                    category: $0.text(2),
                    price: $0.double(3),
                    unitCost: $0.double(4),
                    temperature: Temperature(rawValue: $0.text(5)) ?? .ambient,
                    heightMM: $0.int(6),
                    widthColumns: $0.int(7),
                    shelfLifeDays: $0.int(8),
                    caseSize: $0.int(9)
                )
            }
        ) { c.products[p.id] = p }
        return c
    }
}

/// Reads and writes planogram versions on a connection the caller owns.
///
/// A version's slots are stored whole, or — for versions an export's sales imply, which change a slot or two
/// at a time — as the slots that differ from the version it names (`base_id`), a chain of at most `maxChain`
/// differences back to a version stored whole (docs/ARCHITECTURE.md "Planogram versions"). Either way a
/// version is read in one query.
package enum PlanogramRepository {
    /// The longest chain of versions stored as differences.
    package static let maxChain = 16

    package static func load(
        _ db: any SQLConnection,
        deviceID: String,
        cabinetIndex: Int,
        version: Int?
    ) throws -> Planogram? {
        let head: [(Int64, Int, Int64, Int64?)]
        if let version {
            head = try db.query(
                "SELECT id, version, effective_from, base_id FROM planogram_versions WHERE device_id = ? AND cabinet_index = ? AND version = ?",
                [.text(deviceID), .of(cabinetIndex), .of(version)]
            ) { ($0.int64(0), $0.int(1), $0.int64(2), $0.optionalInt64(3)) }
        } else {
            head = try db.query(
                "SELECT id, version, effective_from, base_id FROM planogram_versions WHERE device_id = ? AND cabinet_index = ? ORDER BY version DESC LIMIT 1",
                [.text(deviceID), .of(cabinetIndex)]
            ) { ($0.int64(0), $0.int(1), $0.int64(2), $0.optionalInt64(3)) }
        }
        guard let (id, v, from, base) = head.first else { return nil }
        var p = Planogram(deviceID: deviceID, cabinetIndex: cabinetIndex, version: v, effectiveFrom: from)
        for (slot, facing) in try facings(db, versionID: id, stored: base != nil) {
            if let s = SlotCode(slot) { p.facings[s] = facing }
        }
        return p
    }

    /// The slots of version `versionID` by slot text, whole. `stored`: the version is stored as differences (its
    /// chain's slots are read, oldest first, each over the one before); otherwise its own rows are all.
    package static func facings(
        _ db: any SQLConnection,
        versionID: Int64,
        stored asDifferences: Bool
    ) throws -> [String: Facing] {
        let read: (any SQLRow) throws -> (String, Facing) = {
            ($0.text(0), Facing(productID: $0.text(1), capacity: $0.int(2), par: $0.optionalInt(3)))
        }
        let rows =
            asDifferences
            ? try db.query(
                """
                WITH RECURSIVE chain(id, base_id, depth) AS (
                  SELECT id, base_id, 0 FROM planogram_versions WHERE id = ?
                  UNION ALL
                  SELECT v.id, v.base_id, c.depth + 1 FROM planogram_versions v JOIN chain c ON v.id = c.base_id)
                SELECT s.slot, s.product_id, s.capacity, s.par FROM chain c JOIN planogram_slots s ON s.version_id = c.id
                ORDER BY c.depth DESC
                """,
                [.int(versionID)],
                read
            )
            : try db.query(
                "SELECT slot, product_id, capacity, par FROM planogram_slots WHERE version_id = ?",
                [.int(versionID)],
                read
            )
        var out: [String: Facing] = [:]
        for (slot, facing) in rows { out[slot] = facing }
        return out
    }

    /// Replaces the slots of version `versionID` with `facings`, stored whole. Versions stored as differences
    /// from it are stored whole first, so none of them changes.
    package static func replaceSlots(
        _ db: any SQLConnection,
        versionID: Int64,
        with facings: [String: Facing]
    ) throws {
        let dependents = try db.query("SELECT id FROM planogram_versions WHERE base_id = ?", [.int(versionID)]) {
            $0.int64(0)
        }
        for d in dependents {
            let whole = try self.facings(db, versionID: d, stored: true)
            try writeWhole(db, versionID: d, whole)
        }
        try writeWhole(db, versionID: versionID, facings)
    }

    private static func writeWhole(_ db: any SQLConnection, versionID: Int64, _ facings: [String: Facing]) throws {
        try db.run("DELETE FROM planogram_slots WHERE version_id = ?", [.int(versionID)])
        try db.run("UPDATE planogram_versions SET base_id = NULL WHERE id = ?", [.int(versionID)])
        for (slot, f) in facings.sorted(by: { $0.key < $1.key }) {
            try db.run(
                "INSERT INTO planogram_slots(version_id, slot, product_id, capacity, par) VALUES (?, ?, ?, ?, ?)",
                [.int(versionID), .text(slot), .text(f.productID), .of(f.capacity), .of(f.par)]
            )
        }
    }

    package static func history(_ db: any SQLConnection, deviceID: String, cabinetIndex: Int) throws -> [Planogram] {
        let versions = try db.query(
            "SELECT version FROM planogram_versions WHERE device_id = ? AND cabinet_index = ? ORDER BY version",
            [.text(deviceID), .of(cabinetIndex)]
        ) { $0.int(0) }
        return try versions.compactMap { try load(db, deviceID: deviceID, cabinetIndex: cabinetIndex, version: $0) }
    }

    /// Adds a published version (the next number, effective now or just after the newest) and returns it.
    package static func insertPublished(
        _ db: any SQLConnection,
        _ p: Planogram,
        by user: String,
        at time: Int64
    ) throws -> Planogram {
        let next = Int(
            try db.scalarInt(
                "SELECT coalesce(max(version), 0) + 1 FROM planogram_versions WHERE device_id = ? AND cabinet_index = ?",
                [.text(p.deviceID), .of(p.cabinetIndex)]
            ) ?? 1
        )
        let lastFrom =
            try db.scalarInt(
                "SELECT max(effective_from) FROM planogram_versions WHERE device_id = ? AND cabinet_index = ?",
                [.text(p.deviceID), .of(p.cabinetIndex)]
            ) ?? 0
        let from = max(time, lastFrom + 1)
        let id = try db.insertReturningID(
            "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source, published_by) VALUES (?, ?, ?, ?, 'session', ?)",
            [.text(p.deviceID), .of(p.cabinetIndex), .of(next), .int(from), .text(user)]
        )
        for (slot, f) in p.sortedFacings {
            try db.run(
                "INSERT INTO planogram_slots(version_id, slot, product_id, capacity, par) VALUES (?, ?, ?, ?, ?)",
                [.int(id), .text(slot.description), .text(f.productID), .of(f.capacity), .of(f.par)]
            )
        }
        var out = p
        out.version = next
        out.effectiveFrom = from
        return out
    }
}

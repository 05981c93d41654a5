import Foundation

/// A CVD database as it is (docs/formats/CVD.md), read whole and read-only: the tables a migration needs. The
/// mapping onto Planogram Live's store is `CVDMigration` (Sources/PlanogramLive/Services).
package struct CVDSource: Sendable {
    package struct Device: Sendable {
        package var id: Int64
        package var asset: String
        package var cooler: String
        package var latitude: Double?
        package var longitude: Double?
        package var locationName: String?
        package var routeID: Int64?
        package var deleted: Bool
    }

    package struct Cabinet: Sendable {
        package var id: Int64
        package var deviceID: Int64
        package var index: Int
        package var typeName: String
        package var rows: Int
        package var columns: Int
    }

    package struct Slot: Sendable {
        package var cabinetID: Int64
        package var position: String
        package var productID: Int64?
        package var quantity: Int
        package var capacity: Int
        package var par: Int
        package var price: Double?
        package var planogramUpdatedAt: String?
    }

    package struct Product: Sendable {
        package var id: Int64
        package var name: String
        package var category: String
        package var price: Double
        package var isSystem: Bool
    }

    package struct Sale: Sendable {
        package var id: Int64
        package var deviceID: Int64
        package var productID: Int64
        package var units: Int
        package var cash: Double
        package var at: String
    }

    package struct Fill: Sendable {
        package var id: Int64
        package var deviceID: Int64
        package var productID: Int64
        package var units: Int
        package var at: String
    }

    package struct DEXText: Sendable {
        package var id: Int64
        package var filename: String
        package var serial: String?
        package var uploadedAt: String
        package var text: String
    }

    package var devices: [Device] = []
    package var cabinets: [Cabinet] = []
    package var slots: [Slot] = []
    package var products: [Product] = []
    package var sales: [Sale] = []
    package var fills: [Fill] = []
    package var dexReads: [DEXText] = []
    /// device → routes in `device_routes` (CVD also keeps one in `devices.route_id`).
    package var deviceRoutes: [Int64: Set<Int64>] = [:]

    /// The tables (and columns) a CVD database has; a file without them is not one.
    static let required: [String: [String]] = [
        "devices": ["id", "asset", "cooler", "location_id", "deleted_at"],
        "locations": ["id", "name"],
        "cabinet_configurations": ["id", "device_id", "cabinet_type_id", "cabinet_index", "rows", "columns"],
        "cabinet_types": ["id", "name"],
        "planograms": ["id", "cabinet_id"],
        "planogram_slots": [
            "planogram_id", "slot_position", "product_id", "quantity", "capacity", "par_level", "price",
        ],
        "products": ["id", "name", "category", "price"],
        "sales": ["id", "device_id", "product_id", "sale_units", "sale_cash", "created_at"],
    ]

    /// Reads the CVD database at `path`. Throws `ExportRefusal` (`not_cvd`) when the file is not an SQLite
    /// database with CVD's tables.
    package static func read(path: String) throws -> CVDSource {
        let db: SQLiteDatabase
        do {
            db = try SQLiteDatabase(path: path, readOnly: true)
        } catch {
            throw ExportRefusal(code: "not_cvd", message: "\(path) is not an SQLite database")
        }
        var tables: [String: Set<String>] = [:]
        do {
            for name in try db.query("SELECT name FROM sqlite_master WHERE type = 'table'", [], { $0.text(0) }) {
                let escaped = name.replacingOccurrences(of: "\"", with: "\"\"")
                tables[name] = Set(try db.query("PRAGMA table_info(\"\(escaped)\")", [], { $0.text(1) }))
            }
        } catch {
            throw ExportRefusal(code: "not_cvd", message: "\(path) is not an SQLite database")
        }
        var missing: [String] = []
        for (table, columns) in required.sorted(by: { $0.key < $1.key }) {
            guard let have = tables[table] else {
                missing.append(table)
                continue
            }
            missing += columns.filter { !have.contains($0) }.map { "\(table).\($0)" }
        }
        guard missing.isEmpty else {
            throw ExportRefusal(
                code: "not_cvd",
                message: "not a CVD database: missing \(missing.joined(separator: ", "))",
                missingColumns: missing
            )
        }
        var out = CVDSource()
        let hasCoordinates = tables["locations"]!.isSuperset(of: ["latitude", "longitude"])
        out.devices = try db.query(
            """
            SELECT d.id, d.asset, d.cooler, \(hasCoordinates ? "l.latitude, l.longitude" : "NULL, NULL"), l.name,
                   \(tables["devices"]!.contains("route_id") ? "d.route_id" : "NULL"), d.deleted_at IS NOT NULL
            FROM devices d LEFT JOIN locations l ON l.id = d.location_id ORDER BY d.id
            """,
            []
        ) {
            Device(
                id: $0.int64(0),
                asset: $0.text(1),
                cooler: $0.text(2),
                latitude: $0.optionalDouble(3),
                longitude: $0.optionalDouble(4),
                locationName: $0.optionalText(5),
                routeID: $0.isNull(6) ? nil : $0.int64(6),
                deleted: $0.int(7) != 0
            )
        }
        out.cabinets = try db.query(
            """
            SELECT c.id, c.device_id, c.cabinet_index, coalesce(t.name, ''), c.rows, c.columns
            FROM cabinet_configurations c LEFT JOIN cabinet_types t ON t.id = c.cabinet_type_id ORDER BY c.id
            """,
            []
        ) {
            Cabinet(
                id: $0.int64(0),
                deviceID: $0.int64(1),
                index: $0.int(2),
                typeName: $0.text(3),
                rows: $0.int(4),
                columns: $0.int(5)
            )
        }
        let hasUpdated = tables["planograms"]!.contains("updated_at")
        out.slots = try db.query(
            """
            SELECT p.cabinet_id, s.slot_position, s.product_id, coalesce(s.quantity, 0), coalesce(s.capacity, 0),
                   coalesce(s.par_level, 0), s.price, \(hasUpdated ? "p.updated_at" : "NULL")
            FROM planogram_slots s JOIN planograms p ON p.id = s.planogram_id ORDER BY p.cabinet_id, s.id
            """,
            []
        ) {
            Slot(
                cabinetID: $0.int64(0),
                position: $0.text(1),
                productID: $0.isNull(2) ? nil : $0.int64(2),
                quantity: $0.int(3),
                capacity: $0.int(4),
                par: $0.int(5),
                price: $0.optionalDouble(6),
                planogramUpdatedAt: $0.optionalText(7)
            )
        }
        let hasSystem = tables["products"]!.contains("is_system")
        out.products = try db.query(
            "SELECT id, name, category, price, \(hasSystem ? "coalesce(is_system, 0)" : "0") FROM products ORDER BY id",
            []
        ) {
            Product(
                id: $0.int64(0),
                name: $0.text(1),
                category: $0.text(2),
                price: $0.double(3),
                isSystem: $0.int(4) != 0
            )
        }
        out.sales = try db.query(
            "SELECT id, device_id, product_id, sale_units, sale_cash, coalesce(created_at, '') FROM sales ORDER BY id",
            []
        ) {
            Sale(
                id: $0.int64(0),
                deviceID: $0.int64(1),
                productID: $0.int64(2),
                units: $0.int(3),
                cash: $0.double(4),
                at: $0.text(5)
            )
        }
        if let visits = tables["service_visits"], let items = tables["service_visit_items"],
            visits.isSuperset(of: ["id", "device_id", "service_date"]),
            items.isSuperset(of: ["id", "service_visit_id", "product_id", "quantity_filled"])
        {
            out.fills = try db.query(
                """
                SELECT i.id, v.device_id, i.product_id, i.quantity_filled, coalesce(v.service_date, '')
                FROM service_visit_items i JOIN service_visits v ON v.id = i.service_visit_id ORDER BY i.id
                """,
                []
            ) {
                Fill(id: $0.int64(0), deviceID: $0.int64(1), productID: $0.int64(2), units: $0.int(3), at: $0.text(4))
            }
        }
        if let dex = tables["dex_reads"], dex.isSuperset(of: ["id", "raw_content"]) {
            out.dexReads = try db.query(
                """
                SELECT id, \(dex.contains("filename") ? "filename" : "''"), \(dex.contains("machine_serial") ? "machine_serial" : "NULL"),
                       \(dex.contains("upload_timestamp") ? "coalesce(upload_timestamp, '')" : "''"), raw_content
                FROM dex_reads ORDER BY id
                """,
                []
            ) {
                DEXText(
                    id: $0.int64(0),
                    filename: $0.text(1),
                    serial: $0.optionalText(2),
                    uploadedAt: $0.text(3),
                    text: $0.text(4)
                )
            }
        }
        if let routes = tables["device_routes"], routes.isSuperset(of: ["device_id", "route_id"]) {
            for (d, r) in try db.query(
                "SELECT device_id, route_id FROM device_routes",
                [],
                { ($0.int64(0), $0.int64(1)) }
            ) {
                out.deviceRoutes[d, default: []].insert(r)
            }
        }
        return out
    }
}

import Foundation
import Store
import XCTest

/// A step applied to a store written before it: what it finds there is carried over.
final class MigrationsTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "migrations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// `cabinets-inferred` on a store an export wrote to before it: a cabinet all of whose layouts were inferred
    /// was sized by an export and may grow; one with a layout from anywhere else, or none, was not.
    func testACabinetAllOfWhoseLayoutsWereInferredIsMarkedSizedByAnExport() throws {
        let db = try SQLiteDatabase(path: dir + "/m.db")
        let step = try XCTUnwrap(Migrations.steps.firstIndex { $0.name == "cabinets-inferred" })
        try db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for (i, s) in Migrations.steps.prefix(step).enumerated() {
            try db.execute(Migrations.sql(s, for: .sqlite))
            try db.run("INSERT INTO schema_migrations VALUES (?, ?, 0)", [.of(i + 1), .text(s.name)])
        }
        for (device, sources) in [("A", ["inferred", "inferred"]), ("B", ["import", "inferred"]), ("C", [])] {
            try db.run(
                "INSERT INTO devices(device_id, name, venue_type, latitude, longitude, device_type) VALUES (?, ?, 'other', 0, 0, 'snack')",
                [.text(device), .text(device)]
            )
            try db.run(
                "INSERT INTO cabinets(device_id, cabinet_index, temperature, rows, columns, row_heights_mm) VALUES (?, 0, 'ambient', 1, 2, '200')",
                [.text(device)]
            )
            for (v, source) in sources.enumerated() {
                try db.run(
                    "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source) VALUES (?, 0, ?, ?, ?)",
                    [.text(device), .of(v + 1), .of(v * 86_400), .text(source)]
                )
            }
        }
        let applied = try Migrations.migrate(db)
        XCTAssertEqual(applied.first, "cabinets-inferred")
        let marked = try db.query("SELECT device_id, inferred FROM cabinets ORDER BY device_id", []) {
            "\($0.text(0))=\($0.int(1))"
        }
        XCTAssertEqual(marked, ["A=1", "B=0", "C=0"])
    }

    /// `sales-days-date-first` on a store with day-only sales: every row is carried over, now keyed by date first
    /// (the by-date index it replaces is gone), and a line already there is still refused as a repeat.
    func testDayOnlySalesAreCarriedOverKeyedByDateFirst() throws {
        let db = try SQLiteDatabase(path: dir + "/d.db")
        let step = try XCTUnwrap(Migrations.steps.firstIndex { $0.name == "sales-days-date-first" })
        try db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for (i, s) in Migrations.steps.prefix(step).enumerated() {
            try db.execute(Migrations.sql(s, for: .sqlite))
            try db.run("INSERT INTO schema_migrations VALUES (?, ?, 0)", [.of(i + 1), .text(s.name)])
        }
        let rows: [(String, Int64, String, Int)] = [
            ("B", 19_000, "k1", 2), ("A", 19_001, "k2", 1), ("A", 19_000, "k3", 4),
        ]
        for (device, day, key, units) in rows {
            try db.run(
                "INSERT INTO sales_days(device_id, day, cabinet_index, slot, product_id, units, revenue, line_key) VALUES (?, ?, 0, 'A1', 'cola', ?, 1.5, ?)",
                [.text(device), .int(day), .of(units), .text(key)]
            )
        }
        let applied = try Migrations.migrate(db)
        XCTAssertEqual(applied.first, "sales-days-date-first")
        XCTAssertEqual(
            try db.query("SELECT device_id, day, line_key, units FROM sales_days ORDER BY day, device_id", []) {
                "\($0.text(0)) \($0.int64(1)) \($0.text(2)) \($0.int(3))"
            },
            ["A 19000 k3 4", "B 19000 k1 2", "A 19001 k2 1"]
        )
        XCTAssertEqual(
            try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'sales_days_by_day'"),
            0
        )
        let key = try db.query("PRAGMA index_info(sqlite_autoindex_sales_days_1)", []) { $0.text(2) }
        XCTAssertEqual(key, ["day", "device_id", "line_key"])
        XCTAssertEqual(
            try db.run(
                "INSERT INTO sales_days(device_id, day, cabinet_index, slot, product_id, units, revenue, line_key) VALUES ('A', 19000, 0, 'B2', 'tea', 9, 9, 'k3') ON CONFLICT DO NOTHING",
                []
            ),
            0
        )
    }
}

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
}

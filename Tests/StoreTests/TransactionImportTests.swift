import Foundation
import PlanogramDomain
import Store
import XCTest

/// A telemetry export into a real SQLite file (docs/formats/EXPORTS.md): what is created, days kept as days,
/// the same export twice, `--strict`, timed exports, and an export that adds to a device already known.
final class TransactionImportTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "transaction-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func importEPort(_ store: Store, strict: Bool = false) throws -> TransactionImportReport {
        let export = try TransactionExport.read(try TransactionExportTests.eportBytes(), mapping: .eport, clock: .utc)
        return try TransactionImport.run(export, source: "eport.csv", into: store, clock: .utc, strict: strict, at: 1)
    }

    func testTheRealExportCreatesItsMachinesProductsAndLayoutsAndKeepsItsSalesAsDays() throws {
        let store = try Store(path: dir + "/a.db")
        let report = try importEPort(store)
        XCTAssertEqual(report.rowsRead, 2473)
        XCTAssertEqual(report.skipped, 3)
        XCTAssertEqual(report.resolution, "day")
        XCTAssertEqual(report.firstDay, "2022-01-01")
        XCTAssertEqual(report.lastDay, "2022-04-30")
        XCTAssertEqual(
            report.devicesCreated,
            ["VJ300205292", "VJ300320609", "VJ300320611", "VJ300320686", "VJ300320692"]
        )
        XCTAssertEqual(report.productsCreated, 134)
        XCTAssertFalse(report.assumptions.isEmpty)
        let catalog = try store.loadCatalog()
        XCTAssertEqual(catalog.devices["VJ300320611"]?.name, "BSQ Mall x1366 - ATT")
        // The cabinet is as large as the highest tray and column sold from: coils up to 5x (row E), x9.
        let library = try XCTUnwrap(catalog.cabinet("VJ300320692", 0))
        XCTAssertEqual(library.rows, 5)
        XCTAssertEqual(library.columns, 10)
        try store.read { db in
            // No sale is given an hour: none is in `sales`, all are days.
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales"), 0)
            XCTAssertEqual(try db.scalarInt("SELECT sum(units) FROM sales_days"), 2507)
            XCTAssertEqual(try db.scalarInt("SELECT sum(units) FROM sales_daily"), 2507)
            // The library machine's first day is its first sale (2022-03-14 = day 19,065).
            XCTAssertEqual(
                try db.scalarInt("SELECT min(day) FROM sales_daily WHERE device_id = 'VJ300320692'"),
                19_065
            )
            // Its first layout holds each coil's first product from that day; coil 148 of the mall's
            // machine first sold the sugar-free Red Bull.
            XCTAssertEqual(
                try db.scalarInt(
                    "SELECT min(effective_from) FROM planogram_versions WHERE device_id = 'VJ300320692'"
                ),
                19_065 * 86_400
            )
        }
        let first = try XCTUnwrap(store.planogramHistory(deviceID: "VJ300320611", cabinetIndex: 0).first)
        XCTAssertEqual(first.facings[SlotCode(row: 3, column: 8)]?.productID, "red-bull-energy-drink-sugar-free")
        XCTAssertEqual(first.facings[SlotCode(row: 3, column: 8)]?.capacity, TransactionImport.assumedCapacity)
    }

    func testTheSameExportTwiceWritesNothingTheSecondTime() throws {
        let store = try Store(path: dir + "/b.db")
        let once = try importEPort(store)
        func counts() throws -> [Int64] {
            try store.read { db in
                try [
                    "SELECT count(*) FROM devices", "SELECT count(*) FROM products",
                    "SELECT count(*) FROM planogram_versions", "SELECT count(*) FROM planogram_slots",
                    "SELECT count(*) FROM sales_days", "SELECT sum(units) FROM sales_daily",
                ].map { try db.scalarInt($0) ?? -1 }
            }
        }
        let before = try counts()
        let twice = try importEPort(store)
        XCTAssertEqual(try counts(), before)
        XCTAssertEqual(twice.imported, 0)
        XCTAssertEqual(twice.alreadyRecorded, once.imported)
        XCTAssertEqual(twice.devicesCreated, [])
        XCTAssertEqual(twice.productsCreated, 0)
        XCTAssertEqual(twice.planogramVersionsCreated, 0)
    }

    func testStrictRefusesTheWholeFileWhenARowCannotBeUsedAndWritesNothing() throws {
        let store = try Store(path: dir + "/c.db")
        XCTAssertThrowsError(try importEPort(store, strict: true)) { error in
            XCTAssertEqual((error as? ExportRefusal)?.code, "export_rows_refused")
        }
        XCTAssertTrue(try store.isEmpty())
        try store.read { db in XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales_days"), 0) }
    }

    func testATimedExportWritesOneVendPerUnitAndAProductChangeMakesANewLayout() throws {
        let store = try Store(path: dir + "/d.db")
        let mapping = ExportMapping(
            device: .column("machine"),
            time: "time",
            timeFormat: "yyyy-MM-dd HH:mm:ss",
            selection: "coil",
            selectionNumbering: .trayColumn,
            product: "item",
            price: "price",
            quantity: "qty",
            transaction: "txn"
        )
        let csv = """
            machine,time,coil,item,price,qty,txn
            M1,2024-05-01 08:00:00,10,Chips,1.50,2,T1
            M1,2024-05-01 09:30:00,11,Cola,2.00,1,T2
            M1,2024-05-03 12:00:00,10,Pretzels,1.75,1,T3

            """
        let export = try TransactionExport.read(Array(csv.utf8), mapping: mapping, clock: .utc)
        let report = try TransactionImport.run(export, source: "m.csv", into: store, clock: .utc, strict: true, at: 1)
        XCTAssertEqual(report.resolution, "time")
        XCTAssertEqual(report.imported, 3)
        XCTAssertEqual(report.planogramVersionsCreated, 2)
        try store.read { db in
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales"), 4)
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales_days"), 0)
            XCTAssertEqual(try db.scalarInt("SELECT units FROM sales_daily WHERE day = 19844"), 3)
        }
        let versions = try store.planogramHistory(deviceID: "M1", cabinetIndex: 0)
        XCTAssertEqual(versions.map(\.effectiveFrom), [1_714_550_400, 1_714_737_600])
        XCTAssertEqual(versions.last?.facings[SlotCode(row: 0, column: 0)]?.productID, "pretzels")
        XCTAssertEqual(versions.last?.facings[SlotCode(row: 0, column: 1)]?.productID, "cola")
        // Again: nothing.
        let again = try TransactionImport.run(export, source: "m.csv", into: store, clock: .utc, strict: true, at: 2)
        XCTAssertEqual(again.imported, 0)
        try store.read { db in XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales"), 4) }
    }

    func testANewProductTakesThePriceOfItsNewestLineAcrossDevices() throws {
        let store = try Store(path: dir + "/p.db")
        let mapping = ExportMapping(
            device: .column("machine"),
            time: "day",
            timeFormat: "yyyy-MM-dd",
            product: "item",
            price: "price"
        )
        // Device A (sorted first) sold it last at 3.00; device B sold it earlier at 2.00.
        let csv =
            "machine,day,item,price\nB,2024-05-01,Tea,2.00\nA,2024-05-01,Tea,2.50\nA,2024-05-09,Tea,3.00\nB,2024-05-03,Tea,2.00\n"
        _ = try TransactionImport.run(
            try TransactionExport.read(Array(csv.utf8), mapping: mapping, clock: .utc),
            source: "p.csv",
            into: store,
            clock: .utc,
            strict: true,
            at: 1
        )
        XCTAssertEqual(try store.loadCatalog().products["tea"]?.price, 3.0)
    }

    func testAnExportWithoutSelectionsPlacesEachProductInAColumnAndKeepsThePlaceOnTheNextImport() throws {
        let store = try Store(path: dir + "/e.db")
        let mapping = ExportMapping(
            device: .value("K1"),
            time: "day",
            timeFormat: "yyyy-MM-dd",
            product: "item",
            price: "price"
        )
        let first = "day,item,price\n2024-05-01,Tea,2\n2024-05-01,Coffee,2.5\n"
        _ = try TransactionImport.run(
            try TransactionExport.read(Array(first.utf8), mapping: mapping, clock: .utc),
            source: "1.csv",
            into: store,
            clock: .utc,
            strict: true,
            at: 1
        )
        let second = "day,item,price\n2024-05-02,  tea ,2\n2024-05-02,Cocoa,3\n"
        let report = try TransactionImport.run(
            try TransactionExport.read(Array(second.utf8), mapping: mapping, clock: .utc),
            source: "2.csv",
            into: store,
            clock: .utc,
            strict: true,
            at: 2
        )
        XCTAssertEqual(report.productsCreated, 1)  // "  tea " is Tea
        let cabinet = try XCTUnwrap(try store.loadCatalog().cabinet("K1", 0))
        XCTAssertEqual(cabinet.rows, 1)
        XCTAssertEqual(cabinet.columns, 3)
        try store.read { db in
            let tea = try db.query("SELECT DISTINCT slot FROM sales_days WHERE product_id = 'tea'", []) { $0.text(0) }
            XCTAssertEqual(tea, ["A2"])
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales_days"), 4)
        }
    }
}

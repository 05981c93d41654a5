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
            // A line's key is the FNV-1a digest of its identity, the same in every build (docs/formats/EXPORTS.md):
            // an export imported again by a later build writes nothing. The first line's transaction, coil and
            // product give 8875c4b9bdbc9e3e.
            XCTAssertEqual(
                try db.query(
                    "SELECT line_key FROM sales_days WHERE device_id = 'VJ300320611' AND day = 18993 AND slot = 'D9' ORDER BY line_key",
                    []
                ) { $0.text(0) }.first { $0 == "8875c4b9bdbc9e3e" },
                "8875c4b9bdbc9e3e"
            )
            XCTAssertEqual(
                try db.scalarInt(
                    "SELECT count(*) FROM sales_days WHERE length(line_key) <> 16 OR line_key GLOB '*[^0-9a-f]*'"
                ),
                0
            )
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

    /// The layouts an export implies are stored as differences from the version before (a chain back to a
    /// version stored whole) and read whole: on every day a slot sold one product only, the version in effect
    /// holds that product in that slot — the inference's own rule, which a difference read wrong would break.
    func testInferredLayoutsAreStoredAsDifferencesAndReadWhole() throws {
        let store = try Store(path: dir + "/f.db")
        let report = try importEPort(store)
        let (stored, whole, soldAlone) = try store.read { db in
            (
                Int(try db.scalarInt("SELECT count(*) FROM planogram_slots") ?? 0),
                Int(try db.scalarInt("SELECT count(*) FROM planogram_versions WHERE base_id IS NULL") ?? 0),
                try db.query(
                    """
                    SELECT device_id, day, slot, min(product_id) FROM sales_days
                    GROUP BY device_id, day, slot HAVING count(DISTINCT product_id) = 1
                    """,
                    []
                ) { ($0.text(0), $0.int64(1), $0.text(2), $0.text(3)) }
            )
        }
        var read = 0
        var checked = 0
        for device in report.devicesCreated {
            let versions = try store.planogramHistory(deviceID: device, cabinetIndex: 0)
            read += versions.map(\.facings.count).reduce(0, +)
            for (d, day, slot, product) in soldAlone where d == device {
                let version = try XCTUnwrap(versions.last { $0.effectiveFrom <= day * 86_400 })
                XCTAssertEqual(version.facings[SlotCode(slot)!]?.productID, product, "\(device) \(slot) on day \(day)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 1_500)
        XCTAssertEqual(report.planogramVersionsCreated, 109)
        XCTAssertLessThan(whole, report.planogramVersionsCreated / 2)
        // Stored whole, the 109 versions would be every slot of each; as differences, a fraction.
        XCTAssertLessThan(stored * 3, read)
    }

    /// A version others are stored as differences from, rewritten (a planograms.csv row at its time): the
    /// others are stored whole first and read as before; the rewritten one reads as written.
    func testRewritingABaseVersionLeavesTheVersionsBuiltOnItAsTheyWere() throws {
        let store = try Store(path: dir + "/g.db")
        _ = try importEPort(store)
        let device = "VJ300320611"
        let before = try store.planogramHistory(deviceID: device, cabinetIndex: 0)
        let (baseID, baseFrom) = try XCTUnwrap(
            try store.read { db in
                try db.query(
                    """
                    SELECT id, effective_from FROM planogram_versions v WHERE device_id = ? AND base_id IS NULL
                      AND EXISTS (SELECT 1 FROM planogram_versions d WHERE d.base_id = v.id) ORDER BY version LIMIT 1
                    """,
                    [.text(device)]
                ) { ($0.int64(0), $0.int64(1)) }.first
            }
        )
        let replacement = ["A1": Facing(productID: before[0].facings.values.first!.productID, capacity: 7)]
        try store.write { db in try PlanogramRepository.replaceSlots(db, versionID: baseID, with: replacement) }
        let after = try store.planogramHistory(deviceID: device, cabinetIndex: 0)
        XCTAssertEqual(after.count, before.count)
        for (b, a) in zip(before, after) {
            if b.effectiveFrom == baseFrom {
                XCTAssertEqual(a.facings, [SlotCode("A1")!: replacement["A1"]!])
            } else {
                XCTAssertEqual(a.facings, b.facings, "version \(b.version)")
            }
        }
    }

    /// The daily totals an import adds to are those the sales give: an export imported in part and then
    /// whole (its first days partly stored, the rest new) leaves `sales_daily` equal to the sum of its days.
    func testDailyTotalsEqualTheSalesAfterAnExportImportedInPartAndThenWhole() throws {
        let store = try Store(path: dir + "/h.db")
        // Split on the byte: the file's lines end in CR LF, which a String splits as one character.
        var lines = try TransactionExportTests.eportBytes().split(separator: 10, omittingEmptySubsequences: false)
        let header = lines.removeFirst()
        // The first half's transactions of even number: days partly stored, each transaction whole (two lines
        // of one transaction, selection and product are one row, and an export holds a transaction whole).
        let part =
            [header]
            + lines.prefix(lines.count / 2).filter { line in
                let transaction = line.split(separator: 44, omittingEmptySubsequences: false).dropFirst(6).first
                return (transaction?.last).map { $0 % 2 == 0 } ?? false
            }
        let first = try TransactionExport.read(Array(part.joined(separator: [10])), mapping: .eport, clock: .utc)
        let partReport = try TransactionImport.run(
            first,
            source: "part.csv",
            into: store,
            clock: .utc,
            strict: false,
            at: 1
        )
        XCTAssertLessThan(partReport.rowsRead, 900)
        XCTAssertGreaterThan(partReport.rowsRead, 300)
        let whole = try importEPort(store)
        // The cabinets the part sized grew to the coils the whole sells from: only the rows without a product
        // are left out.
        XCTAssertEqual(whole.skipped, 3)
        XCTAssertGreaterThan(whole.alreadyRecorded, 0)
        XCTAssertGreaterThan(whole.imported, 0)
        try store.read { db in
            let daily = try db.query(
                "SELECT device_id, day, units, revenue FROM sales_daily ORDER BY device_id, day",
                []
            ) { "\($0.text(0)) \($0.int64(1)) \($0.int(2)) \(String(format: "%.2f", $0.double(3)))" }
            let sums = try db.query(
                """
                SELECT device_id, day, sum(units), sum(revenue) FROM sales_days
                GROUP BY device_id, day ORDER BY device_id, day
                """,
                []
            ) { "\($0.text(0)) \($0.int64(1)) \($0.int(2)) \(String(format: "%.2f", $0.double(3)))" }
            XCTAssertEqual(daily.count, sums.count)
            XCTAssertEqual(daily, sums)
            XCTAssertEqual(try db.scalarInt("SELECT sum(units) FROM sales_daily"), 2507)
        }
    }

    /// A device's newest event from its day-only sales is the end of its newest date with one: found through its
    /// own dates (the table is keyed by date first), the same as the newest date of its rows.
    func testADevicesNewestDayOnlySaleEndsItsNewestDate() throws {
        let store = try Store(path: dir + "/newest.db")
        _ = try importEPort(store)
        let devices = try store.read { db in
            try db.query("SELECT device_id, max(day) FROM sales_days GROUP BY device_id ORDER BY device_id", []) {
                ($0.text(0), $0.int64(1))
            }
        }
        XCTAssertEqual(devices.count, 5)
        for (device, day) in devices {
            XCTAssertEqual(
                try VisitRepository.lastEventTime(store, deviceID: device, clock: .utc),
                (day + 1) * 86_400 - 1,
                device
            )
        }
        XCTAssertNil(try VisitRepository.lastEventTime(store, deviceID: "VJ-none", clock: .utc))
    }
}

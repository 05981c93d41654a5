import Foundation
import PlanogramDomain
import Store
import XCTest

/// Runs on SQLite; `PostgresImportTests` runs every test again on PostgreSQL.
class ImportTests: XCTestCase {
    var dir = ""
    var store: Store!

    static let good: [String: String] = [
        "products.csv": """
        product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days
        P1,"Chips, salted",chips,1.50,0.50,ambient,150,1,120
        P2,Cola,soda,2.00,0.60,chilled,120,1,200
        P3,Club Sandwich,sandwich,4.50,2.00,chilled,90,2,3
        """,
        "devices.csv": """
        device_id,name,venue_type,latitude,longitude,device_type
        D1,Lobby,office,52.5,13.4,combo
        """,
        "cabinets.csv": """
        device_id,cabinet_index,temperature,rows,columns,row_heights_mm
        D1,0,ambient,2,3,200;100
        D1,1,chilled,2,3,200;200
        """,
        "planograms.csv": """
        device_id,cabinet_index,effective_from,slot,product_id,capacity
        D1,0,2026-01-01T00:00:00Z,a1,P1,8
        D1,1,2026-01-01T00:00:00Z,A1,P2,10
        D1,1,2026-01-01T00:00:00Z,B1,P3,4
        D1,1,2026-02-01,A1,P2,12
        """,
        "sales.csv": """
        timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id
        2026-01-02T08:00:00Z,D1,0,A1,P1,1.50,t1
        2026-01-02T08:00:20+01:00,D1,1,A1,P2,2.00,t1
        2026-01-02T09:00:00.250Z,D1,1,B1,P3,4.50,
        """,
        "services.csv": """
        timestamp,device_id,cabinet_index,slot,units_added
        2026-01-03T07:00:00Z,D1,0,A1,3
        """,
    ]

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "import-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/csv", withIntermediateDirectories: true)
        store = try makeStore("t")
    }

    /// A new, empty store named `name` (a file in `dir` here; a schema of its own on PostgreSQL).
    func makeStore(_ name: String) throws -> Store { try Store(path: dir + "/\(name).db") }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ files: [String: String]) throws {
        for (k, v) in files { try (v + "\n").write(toFile: dir + "/csv/" + k, atomically: true, encoding: .utf8) }
    }

    func counts() throws -> [Int64] {
        try store.read { db in
            try ["products", "devices", "cabinets", "planogram_versions", "planogram_slots", "sales", "services"].map {
                try db.scalarInt("SELECT count(*) FROM \($0)") ?? -1
            }
        }
    }

    /// Imports `good` with `file` replaced by `content`; expects refusal and returns the issues.
    func rejected(_ file: String, _ content: String) throws -> ImportRejected {
        var files = Self.good
        files[file] = content
        try write(files)
        do {
            _ = try Importer(store: store).importDirectory(dir + "/csv")
        } catch let r as ImportRejected {
            return r
        }
        XCTFail("import of \(file) was accepted")
        throw ImportRejected(issues: [], total: 0)
    }

    func testCleanImportWritesEverythingAndNormalisesSlots() throws {
        try write(Self.good)
        let report = try Importer(store: store).importDirectory(dir + "/csv")
        XCTAssertEqual(report.rowsWritten["sales.csv"], 3)
        XCTAssertEqual(try counts(), [3, 1, 2, 3, 4, 3, 1])
        let plan = try XCTUnwrap(try store.planogram(deviceID: "D1", cabinetIndex: 1))
        XCTAssertEqual(plan.version, 2)
        XCTAssertEqual(plan.facings[SlotCode("A1")!], Facing(productID: "P2", capacity: 12))
        XCTAssertEqual(try store.planogram(deviceID: "D1", cabinetIndex: 1, version: 1)?.facings.count, 2)
        XCTAssertEqual(try store.planogram(deviceID: "D1", cabinetIndex: 0)?.facings.keys.first?.description, "A1")
        let catalog = try store.loadCatalog()
        XCTAssertEqual(catalog.products["P1"]?.name, "Chips, salted")
        // The +01:00 offset is converted to UTC.
        let ts = try store.read { try $0.scalarInt("SELECT ts FROM sales WHERE slot = 'A1' AND cabinet_index = 1") }
        XCTAssertEqual(ts.map { FieldParse.iso8601($0) }, "2026-01-02T07:00:20Z")
    }

    func testDailyTotalsFollowEveryImportOfTheDaysItTouches() throws {
        func daily() throws -> [String] {
            try store.read { db in
                try db.query("SELECT device_id, day, revenue, units FROM sales_daily ORDER BY day") {
                    "\($0.text(0)) \($0.int(1)) \($0.double(2)) \($0.int(3))"
                }
            }
        }
        try write(Self.good)
        _ = try Importer(store: store).importDirectory(dir + "/csv")
        // 2026-01-02 is day 20455: three sales, 8.00 in all.
        XCTAssertEqual(try daily(), ["D1 20455 8.0 3"])
        // A second import adds a sale to that day and one to the next; the same lines again add nothing.
        var more = Self.good
        more["sales.csv"] = """
            timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id
            2026-01-02T10:00:00Z,D1,0,A1,P1,1.50,t9
            2026-01-03T10:00:00Z,D1,0,A1,P1,1.50,t10
            """
        try write(more)
        _ = try Importer(store: store).importDirectory(dir + "/csv")
        _ = try Importer(store: store).importDirectory(dir + "/csv")
        XCTAssertEqual(try daily(), ["D1 20455 9.5 4", "D1 20456 1.5 1"])
        let total = try store.read { db in try db.query("SELECT SUM(price) FROM sales") { $0.double(0) } }.first
        XCTAssertEqual(total, 11.0)
    }

    /// The totals summed while writing (no sale of the import's days on record yet) and the ones recomputed
    /// from the sales (days already on record) both equal SQL's own aggregate of the sales table: files out
    /// of order, two devices, imports of later days and over days already imported, with sales already on
    /// record among them (skipped, not counted twice).
    func testDailyTotalsEqualTheSalesAfterFreshAndOverlappingImports() throws {
        try dailyTotalsAgainstTheSales(clock: .utc, expectedDays: 13)  // 2…14 January
    }

    /// The same on New York's clock: a sale before 05:00Z is the previous evening's (2 January's first hours
    /// count on 1 January), and every day's totals equal the sales grouped by their local date.
    func testDailyTotalsAreTheFleetsLocalDates() throws {
        // 1…14 January.
        try dailyTotalsAgainstTheSales(clock: FleetClock(identifier: "America/New_York")!, expectedDays: 14)
    }

    /// The sales' own totals per device and local date of `clock`.
    func salesByDay(_ clock: FleetClock) throws -> [(String, Int64, Double, Int)] {
        var sums: [String: (Double, Int)] = [:]
        try store.read { db in
            let rows = try db.query("SELECT device_id, ts, price FROM sales ORDER BY ts") {
                ($0.text(0), Int64($0.int(1)), $0.double(2))
            }
            for (device, ts, price) in rows {
                let k = "\(device)|\(clock.day(of: ts))"
                sums[k] = ((sums[k]?.0 ?? 0) + price, (sums[k]?.1 ?? 0) + 1)
            }
        }
        return sums.map { k, v in
            let parts = k.split(separator: "|")
            return (String(parts[0]), Int64(parts[1])!, v.0, v.1)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    func salesDaily() throws -> [(String, Int64, Double, Int)] {
        try store.read { db in
            try db.query("SELECT device_id, day, revenue, units FROM sales_daily ORDER BY 1, 2") {
                ($0.text(0), Int64($0.int(1)), $0.double(2), Int($0.int(3)))
            }
        }
    }

    func assertDailyTotalsAreTheSales(_ clock: FleetClock, _ what: String) throws {
        let daily = try salesDaily()
        let fromSales = try salesByDay(clock)
        XCTAssertEqual(daily.map { "\($0.0) \($0.1) \($0.3)" }, fromSales.map { "\($0.0) \($0.1) \($0.3)" }, what)
        for (a, b) in zip(daily, fromSales) { XCTAssertEqual(a.2, b.2, accuracy: 1e-9, "\(what): \(a.0) day \(a.1)") }
    }

    func dailyTotalsAgainstTheSales(clock: FleetClock, expectedDays: Int64) throws {
        var random = SeededRandom(seed: 11)
        var files = Self.good
        files["devices.csv"]! += "\nD2,Gym,gym,52.6,13.5,combo"
        files["cabinets.csv"]! += "\nD2,0,ambient,2,3,200;200"
        files["planograms.csv"]! += "\nD2,0,2026-01-01T00:00:00Z,A1,P1,8\nD2,0,2026-01-01T00:00:00Z,B2,P1,8"
        var keys = Set<String>()
        func sales(days: ClosedRange<Int>, count: Int) -> [String] {
            var lines: [String] = []
            func two(_ v: some BinaryInteger) -> String { v < 10 ? "0\(v)" : "\(v)" }
            while lines.count < count {
                let day = Int(random.next() % UInt64(days.count)) + days.lowerBound
                let (h, m, s) = (random.next() % 24, random.next() % 60, random.next() % 60)
                let (device, slot) =
                    random.next() % 2 == 0 ? ("D1", "0,A1") : ("D2", random.next() % 2 == 0 ? "0,A1" : "0,B2")
                let cents = 95 + Int(random.next() % 300)
                let key = "2026-01-\(two(day))T\(two(h)):\(two(m)):\(two(s))Z,\(device),\(slot)"
                guard keys.insert(key).inserted else { continue }  // a file must not repeat a sale
                lines.append("\(key),P1,\(cents / 100).\(two(cents % 100)),")
            }
            return lines
        }
        func csv(_ lines: [String]) -> String {
            "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n"
                + lines.shuffled(using: &random).joined(separator: "\n")
        }
        func check(_ what: String) throws { try assertDailyTotalsAreTheSales(clock, what) }
        let first = sales(days: 2...9, count: 3_000)
        files["sales.csv"] = csv(first)
        try write(files)
        _ = try Importer(store: store, clock: clock).importDirectory(dir + "/csv")
        try check("first import")
        try write(["sales.csv": csv(sales(days: 12...14, count: 1_000))])  // later days, none on record
        _ = try Importer(store: store, clock: clock).importDirectory(dir + "/csv")
        try check("later days")
        // Over days on record, a third of it sales already imported.
        try write([
            "sales.csv": csv(
                sales(days: 8...13, count: 1_000)
                    + first.filter { $0.hasPrefix("2026-01-09") || $0.hasPrefix("2026-01-08") }
            )
        ])
        _ = try Importer(store: store, clock: clock).importDirectory(dir + "/csv")
        try check("overlapping days")
        let (days, rows) = try store.read {
            (
                try $0.scalarInt("SELECT count(DISTINCT day) FROM sales_daily"),
                try $0.scalarInt("SELECT count(*) FROM sales")
            )
        }
        XCTAssertEqual(days, expectedDays)
        XCTAssertEqual(rows, 5_000)  // every generated sale once
        XCTAssertEqual(try store.read { try SalesDaily.zone($0) }, clock.isUTC ? "UTC" : clock.identifier)
    }

    /// A store whose totals are in one zone, opened on another zone's clock, has every day recomputed once
    /// (and says so); the totals are then that zone's, and an import on that clock adds to them as such.
    func testDailyTotalsFollowAChangeOfZone() throws {
        try dailyTotalsAgainstTheSales(clock: .utc, expectedDays: 13)
        let utcTotals = try salesDaily().map { "\($0.0) \($0.1) \($0.3)" }
        let york = FleetClock(identifier: "America/New_York")!
        let tokyo = FleetClock(identifier: "Asia/Tokyo")!
        XCTAssertTrue(try store.write { try SalesDaily.align($0, clock: york) })
        try assertDailyTotalsAreTheSales(york, "recomputed for New York")
        XCTAssertNotEqual(try salesDaily().map { "\($0.0) \($0.1) \($0.3)" }, utcTotals, "the days moved")
        XCTAssertFalse(try store.write { try SalesDaily.align($0, clock: york) }, "once")
        // An import on another clock first brings the table to its zone.
        try write([
            "sales.csv":
                "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n2026-01-20T16:00:00Z,D1,0,A1,P1,1.50,"
        ])
        _ = try Importer(store: store, clock: tokyo).importDirectory(dir + "/csv")
        try assertDailyTotalsAreTheSales(tokyo, "imported on Tokyo's clock")
        XCTAssertEqual(try store.read { try SalesDaily.zone($0) }, "Asia/Tokyo")
        XCTAssertTrue(try store.write { try SalesDaily.align($0, clock: FleetClock(identifier: "Etc/UTC")!) })
        XCTAssertEqual(
            try salesDaily().filter { $0.0 != "D1" || $0.1 != 20_473 }.map { "\($0.0) \($0.1) \($0.3)" },
            utcTotals.filter { !$0.hasPrefix("D1 20473 ") }
        )
        try assertDailyTotalsAreTheSales(.utc, "back in UTC")
    }

    /// Two nodes on one database start on a new zone at once: both start, one recomputes, the other finds
    /// the zone recorded (PostgreSQL: without the lock both would insert the same days and one would fail).
    func testTwoNodesStartingOnANewZoneRecomputeOnce() throws {
        try dailyTotalsAgainstTheSales(clock: .utc, expectedDays: 13)
        let york = FleetClock(identifier: "America/New_York")!
        let stores = [store!, try Store(location: store.location)]
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values = [Result<Bool, any Error>?](repeating: nil, count: 2)
        }
        let results = Results()
        nonisolated(unsafe) let shared = stores
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = Result { try shared[i].write { try SalesDaily.align($0, clock: york) } }
            results.lock.lock()
            results.values[i] = r
            results.lock.unlock()
        }
        let done = try results.values.map { try XCTUnwrap($0).get() }
        XCTAssertEqual(done.filter { $0 }.count, 1, "one recomputes")
        try assertDailyTotalsAreTheSales(york, "after both")
    }

    func testImportingTheSameFilesTwiceChangesNothing() throws {
        try write(Self.good)
        _ = try Importer(store: store).importDirectory(dir + "/csv")
        let before = try counts()
        let dump1 = try store.read { db in
            try db.query("SELECT * FROM planogram_versions ORDER BY id") { "\($0.int(0)) \($0.text(1)) \($0.int(3))" }
        }
        let again = try Importer(store: store).importDirectory(dir + "/csv")
        XCTAssertEqual(again.totalRowsWritten, 0)
        XCTAssertEqual(try counts(), before)
        XCTAssertEqual(
            try store.read { db in
                try db.query("SELECT * FROM planogram_versions ORDER BY id") {
                    "\($0.int(0)) \($0.text(1)) \($0.int(3))"
                }
            },
            dump1
        )
    }

    func testEveryErrorKindIsListedWithFileLineAndColumn() throws {
        let cases: [(String, String, String, String)] = [
            ("sales.csv", "2026-01-02T08:00:00Z,D1,0,A1,NOPE,1.50,", "product_id", "unknown product NOPE"),
            ("sales.csv", "2026-01-02T08:00:00Z,D1,0,C1,P1,1.50,", "slot", "outside the cabinet"),
            ("sales.csv", "2026-01-02T08:00:00Z,D1,0,A1,P1,1,50,", "", "expected 7 fields"),
            ("sales.csv", "2026-01-02T08:00:00Z,D1,0,A1,P1,abc,", "price", "bad number"),
            ("sales.csv", "2026-13-02T08:00:00Z,D1,0,A1,P1,1.50,", "timestamp", "bad date"),
            ("sales.csv", "2026-01-02T08:00:00,D1,0,A1,P1,1.50,", "timestamp", "bad date"),
            ("sales.csv", "2026-01-02T08:00:00Z,D9,0,A1,P1,1.50,", "device_id", "unknown device D9"),
            ("sales.csv", "2026-01-02T08:00:00Z,D1,7,A1,P1,1.50,", "cabinet_index", "unknown cabinet 7"),
            ("sales.csv", "2026-01-02T08:00:00Z,D1,0,A1,P1,\"1.50,", "price", "unterminated quoted field"),
            ("products.csv", "P1,Dup,chips,1.50,0.50,ambient,150,1,120", "product_id", "duplicate key P1"),
            ("products.csv", "P9,Warm,chips,1.50,0.50,lukewarm,150,1,120", "temperature", "unknown value"),
            ("products.csv", "P9,Wide,chips,1.50,0.50,ambient,150,3,120", "width_cols", "between 1 and 2"),
            ("cabinets.csv", "D1,2,ambient,2,3,200", "row_heights_mm", "1 heights for 2 rows"),
            ("planograms.csv", "D1,0,2026-01-01T00:00:00Z,B1,P1,5", "product_id", "height: P1 is 150 mm tall"),
            ("planograms.csv", "D1,0,2026-01-01T00:00:00Z,A2,P2,5", "product_id", "temperature"),
            ("planograms.csv", "D1,1,2026-01-01T00:00:00Z,A3,P3,5", "slot", "width"),
            ("planograms.csv", "D1,0,2026-01-01T00:00:00Z,A1,P1,0", "capacity", "between 1 and 1000"),
            ("planograms.csv", "D1,0,2026-01-01T00:00:00Z,A1,P1,3", "slot", "duplicate key"),
            ("services.csv", "2026-01-03T07:00:00Z,D1,0,A1,-3", "units_added", "between 0"),
        ]
        for (file, row, column, message) in cases {
            let before = try counts()
            let r = try rejected(file, Self.good[file]! + "\n" + row)
            let lineNumber = Self.good[file]!.split(separator: "\n").count + 1
            XCTAssertEqual(r.total, 1, "\(file) \(row): \(r)")
            let issue = try XCTUnwrap(r.issues.first, row)
            XCTAssertEqual(issue.file, file, row)
            XCTAssertEqual(issue.line, lineNumber, row)
            XCTAssertEqual(issue.column, column, "\(row): \(issue)")
            XCTAssertTrue(issue.message.contains(message), "\(row): \(issue.message)")
            XCTAssertEqual(try counts(), before, "nothing may be written: \(row)")
        }
    }

    func testDuplicateSalesAreFoundInSortedAndUnsortedFiles() throws {
        let header = "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n"
        let sorted = try rejected(
            "sales.csv",
            header + "2026-01-02T08:00:00Z,D1,0,A1,P1,1.50,\n2026-01-02T08:00:00Z,D1,0,A1,P1,1.50,"
        )
        XCTAssertEqual(sorted.issues.map(\.line), [3])
        XCTAssertTrue(sorted.issues[0].message.contains("line 2"), sorted.issues[0].message)
        // Going back in time switches to a full index; a duplicate of an early row is still found.
        let unsorted = try rejected(
            "sales.csv",
            header + "2026-01-02T08:00:00Z,D1,0,A1,P1,1.50,\n2026-01-02T09:00:00Z,D1,0,A1,P1,1.50,\n"
                + "2026-01-02T07:00:00Z,D1,0,A1,P1,1.50,\n2026-01-02T08:00:00Z,d1,0,a1,P1,1.50,"
        )
        XCTAssertEqual(unsorted.issues.map(\.column), ["device_id"])  // ids are case-sensitive; slot codes are not
        let dup = try rejected(
            "sales.csv",
            header + "2026-01-02T08:00:00Z,D1,0,A1,P1,1.50,\n2026-01-02T09:00:00Z,D1,0,A1,P1,1.50,\n"
                + "2026-01-02T07:00:00Z,D1,0,A1,P1,1.50,\n2026-01-02T08:00:00Z,D1,0,a1,P1,1.50,"
        )
        XCTAssertEqual(dup.issues.map(\.line), [5])
        XCTAssertTrue(dup.issues[0].message.contains("line 2"), dup.issues[0].message)
    }

    func testRealisticExportsWithTwoVendsOfASlotInOneSecondImport() throws {
        // A busy machine: two vends of one slot in the same second with different transaction ids, and
        // two without ids but with sub-second times. All four are sales; importing again adds nothing.
        var files = Self.good
        files["sales.csv"] =
            Self.good["sales.csv"]! + "\n"
            + [
                "2026-01-05T12:00:01Z,D1,0,A1,P1,1.50,tx-100",
                "2026-01-05T12:00:01Z,D1,0,A1,P1,1.50,tx-101",
                "2026-01-05T12:00:02.100Z,D1,0,A1,P1,1.50,",
                "2026-01-05T12:00:02.700Z,D1,0,A1,P1,1.50,",
            ].joined(separator: "\n")
        try write(files)
        let report = try Importer(store: store).importDirectory(dir + "/csv")
        XCTAssertEqual(report.rowsWritten["sales.csv"], 7)
        XCTAssertEqual(try Importer(store: store).importDirectory(dir + "/csv").totalRowsWritten, 0)
        let nanos = try store.read { db in
            try db.query(
                "SELECT ts_nanos FROM sales WHERE ts = (SELECT ts FROM sales WHERE txn_key = '' ORDER BY ts DESC LIMIT 1) ORDER BY ts_nanos"
            ) { $0.int(0) }
        }
        XCTAssertEqual(nanos, [100_000_000, 700_000_000])
        // The same vend twice (same time at full precision, same transaction id) is still a duplicate.
        let header = "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n"
        let twice = try rejected(
            "sales.csv",
            header + "2026-01-05T12:00:01.5Z,D1,0,A1,P1,1.50,t9\n2026-01-05T12:00:01.5Z,D1,0,A1,P1,1.50,t9"
        )
        XCTAssertEqual(twice.issues.map(\.line), [3])
    }

    func testNumbersOutOfRangeAreRefusedNeverWrapped() throws {
        let header = "timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n"
        let huge = try rejected("sales.csv", header + "2026-01-02T08:00:00Z,D1,0,A1,P1,12345678901234567890,")
        XCTAssertEqual(huge.issues.first?.line, 2)
        XCTAssertEqual(huge.issues.first?.column, "price")
        XCTAssertTrue(huge.issues.first?.message.contains("out of range") == true, "\(huge.issues)")
        let big = try rejected("sales.csv", header + "2026-01-02T08:00:00Z,D1,0,A1,P1,2000000,")
        XCTAssertTrue(big.issues.first?.message.contains("at most") == true, "\(big.issues)")
        let product = try rejected(
            "products.csv",
            Self.good["products.csv"]! + "\nP9,X,chips,99999999999999999999.5,0.5,ambient,100,1,10"
        )
        XCTAssertEqual(product.issues.first?.column, "price")
    }

    static let operations: [String: String] = [
        "products.csv": """
        product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days,case_size
        P1,"Chips, salted",chips,1.50,0.50,ambient,150,1,120,24
        P2,Cola,soda,2.00,0.60,chilled,120,1,200,
        P3,Club Sandwich,sandwich,4.50,2.00,chilled,90,2,3,6
        """,
        "devices.csv": """
        device_id,name,venue_type,latitude,longitude,device_type,access_from,access_until,service_minutes
        D1,Lobby,office,52.5,13.4,combo,07:00,19:30,14
        """,
        "depots.csv": """
        depot_id,name,latitude,longitude,opens,closes
        DEP-N,North,52.55,13.38,05:00,21:00
        """,
        "vehicles.csv": """
        vehicle_id,depot_id,capacity_units,shift_start,shift_end
        V1,DEP-N,900,06:00,14:30
        """,
        "travel_matrix.csv": """
        from_id,to_id,seconds,meters
        DEP-N,D1,840,6100
        D1,DEP-N,900,6300
        """,
    ]

    func testOperationsDataImportsAndIsReadBack() throws {
        var files = Self.good
        for (k, v) in Self.operations { files[k] = v }
        try write(files)
        let report = try Importer(store: store).importDirectory(dir + "/csv")
        XCTAssertEqual(report.rowsWritten["depots.csv"], 1)
        XCTAssertEqual(report.rowsWritten["vehicles.csv"], 1)
        XCTAssertEqual(report.rowsWritten["travel_matrix.csv"], 2)
        let c = try store.loadCatalog()
        XCTAssertEqual(c.products["P1"]?.caseSize, 24)
        XCTAssertEqual(c.products["P2"]?.caseSize, 1, "an empty case_size is the default")
        XCTAssertEqual(c.devices["D1"]?.access, TimeWindow(from: 7 * 60, until: 19 * 60 + 30))
        XCTAssertEqual(c.devices["D1"]?.serviceMinutes, 14)
        XCTAssertEqual(c.depots["DEP-N"]?.hours, TimeWindow(from: 300, until: 1260))
        XCTAssertEqual(
            c.vehicles["V1"],
            Vehicle(id: "V1", depotID: "DEP-N", capacityUnits: 900, shift: TimeWindow(from: 360, until: 870))
        )
        XCTAssertEqual(try store.travelMatrix()["DEP-N"]?["D1"]?.seconds, 840)
        XCTAssertEqual(
            try Importer(store: store).importDirectory(dir + "/csv").totalRowsWritten,
            0,
            "a re-import changes nothing"
        )
        // Files without the optional columns keep the defaults.
        let plain = try makeStore("plain")
        try write(Self.good)
        _ = try Importer(store: plain).importDirectory(dir + "/csv")
        XCTAssertEqual(try plain.loadCatalog().devices["D1"]?.serviceMinutes, 10)
        XCTAssertNil(try plain.loadCatalog().devices["D1"]?.access)
    }

    func testBadOperationsDataIsRefusedWithFileLineAndColumn() throws {
        let cases: [(String, String, String, String)] = [
            ("depots.csv", "DEP-S,South,52.4,13.5,22:00,06:00", "closes", "after opens"),
            ("depots.csv", "DEP-S,South,52.4,13.5,5am,21:00", "opens", "bad time of day"),
            ("vehicles.csv", "V2,NOPE,500,06:00,14:00", "depot_id", "unknown depot NOPE"),
            ("vehicles.csv", "V2,DEP-N,0,06:00,14:00", "capacity_units", "between 1"),
            ("travel_matrix.csv", "DEP-N,D9,100,100", "to_id", "unknown place D9"),
            ("travel_matrix.csv", "DEP-N,D1,100,100", "to_id", "duplicate key"),
            ("devices.csv", "D2,Hall,office,52.5,13.4,snack,08:00,,10", "access_until", "go together"),
            ("devices.csv", "D2,Hall,office,52.5,13.4,snack,18:00,08:00,10", "access_until", "after access_from"),
            ("products.csv", "P9,Gum,candy,1,0.5,ambient,50,1,300,0", "case_size", "between 1 and 1000"),
        ]
        for (file, row, column, message) in cases {
            var files = Self.good
            for (k, v) in Self.operations { files[k] = v }
            files[file] = Self.operations[file]! + "\n" + row
            try write(files)
            do {
                _ = try Importer(store: store).importDirectory(dir + "/csv")
                XCTFail("accepted: \(row)")
            } catch let r as ImportRejected {
                let issue = try XCTUnwrap(r.issues.first)
                XCTAssertEqual(issue.file, file, row)
                XCTAssertEqual(issue.line, Self.operations[file]!.split(separator: "\n").count + 1, row)
                XCTAssertEqual(issue.column, column, "\(row): \(issue)")
                XCTAssertTrue(issue.message.contains(message), "\(row): \(issue.message)")
            }
            XCTAssertEqual(
                try store.read { try $0.scalarInt("SELECT count(*) FROM depots") },
                0,
                "nothing written: \(row)"
            )
        }
    }

    func testMissingColumnAndUnknownFileAreReported() throws {
        let r = try rejected("devices.csv", "device_id,name,venue_type,latitude,device_type\nD1,L,office,1,snack")
        XCTAssertEqual(r.issues.first?.column, "longitude")
        XCTAssertEqual(r.issues.first?.line, 1)
        XCTAssertThrowsError(try Importer(store: store).importFiles(["prices.csv": Array("a\n".utf8)])) { e in
            XCTAssertTrue("\(e)".contains("unknown file"))
        }
    }

    func testAtMostOneHundredProblemsAreListedButAllAreCounted() throws {
        var rows = Self.good["sales.csv"]!
        for i in 0..<250 { rows += "\n2026-01-02T08:00:\(String(format: "%02d", i % 60))Z,D1,0,A1,X\(i),1.50," }
        let r = try rejected("sales.csv", rows)
        XCTAssertEqual(r.total, 250)
        XCTAssertEqual(r.issues.count, 100)
        XCTAssertEqual(try counts(), [0, 0, 0, 0, 0, 0, 0])
    }

    func testABadFileAmongGoodOnesWritesNothing() throws {
        _ = try rejected("services.csv", Self.good["services.csv"]! + "\n2026-01-03T07:00:00Z,D1,0,Z9,3")
        XCTAssertEqual(try counts(), [0, 0, 0, 0, 0, 0, 0])
    }

    func testCSVReaderHandlesQuotesCRLFAndBOM() throws {
        let text: [UInt8] =
            [0xEF, 0xBB, 0xBF] + Array("a,\"b \"\"q\"\", c\",\r\n\r\n\"multi\nline\",x,\r\nlast,,".utf8)
        try text.withUnsafeBufferPointer { buf in
            var r = CSVReader(buf)
            XCTAssertTrue(try r.next())
            XCTAssertEqual((0..<r.count).map { r.string($0) }, ["a", "b \"q\", c", ""])
            XCTAssertTrue(try r.next())
            XCTAssertEqual(r.line, 3)
            XCTAssertEqual((0..<r.count).map { r.string($0) }, ["multi\nline", "x", ""])
            XCTAssertTrue(try r.next())
            XCTAssertEqual(r.line, 5)
            XCTAssertEqual((0..<r.count).map { r.string($0) }, ["last", "", ""])
            XCTAssertFalse(try r.next())
        }
    }

    /// A cut behind the reader ends it where it stands; a cut past the input changes nothing (no trap either way).
    func testACutOutsideTheReadersRangeIsClamped() throws {
        let text = Array("a,b\nc,d\ne,f\n".utf8)
        try text.withUnsafeBufferPointer { buf in
            var behind = CSVReader(buf)
            XCTAssertTrue(try behind.next())
            behind.stop(at: 0)
            XCTAssertFalse(try behind.next())

            var past = CSVReader(buf)
            past.stop(at: buf.count + 100)
            var records = 0
            while try past.next() { records += 1 }
            XCTAssertEqual(records, 3)
        }
    }

    func testTimestampParser() {
        func t(_ s: String, _ dateOnly: Bool = false) -> Int64? {
            Array(s.utf8).withUnsafeBufferPointer { FieldParse.timestamp($0, dateOnlyAllowed: dateOnly) }
        }
        XCTAssertEqual(t("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(t("2026-11-25T10:00:00+02:00").map(FieldParse.iso8601), "2026-11-25T08:00:00Z")
        XCTAssertEqual(t("2024-02-29T23:59:59.999-0130").map(FieldParse.iso8601), "2024-03-01T01:29:59Z")
        XCTAssertEqual(t("2026-02-01", true).map(FieldParse.iso8601), "2026-02-01T00:00:00Z")
        for bad in [
            "2026-02-01", "2025-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:00:00",
            "2026-01-01T10:00:00Zjunk", "26-01-01T10:00Z",
        ] {
            XCTAssertNil(t(bad), bad)
        }
    }
}

extension ImportTests {
    /// `planograms.csv` may carry `par` (docs/MODELS.md "Par levels"): kept with the slot, never above its capacity.
    func testAParColumnIsKeptAndAParAboveTheCapacityIsRefusedWithItsLine() throws {
        var files = Self.good.mapValues { Array($0.utf8) }
        files["planograms.csv"] = Array(
            """
            device_id,cabinet_index,effective_from,slot,product_id,capacity,par
            D1,0,2026-01-01T00:00:00Z,A1,P1,8,6
            D1,1,2026-01-01T00:00:00Z,A1,P2,10,
            """.utf8
        )
        try Importer(store: store).importFiles(files)
        XCTAssertEqual(try store.planogram(deviceID: "D1", cabinetIndex: 0)?.facings[SlotCode("A1")!]?.par, 6)
        XCTAssertNil(try store.planogram(deviceID: "D1", cabinetIndex: 1)?.facings[SlotCode("A1")!]?.par)
        let other = try makeStore("par")
        files["planograms.csv"] = Array(
            """
            device_id,cabinet_index,effective_from,slot,product_id,capacity,par
            D1,0,2026-01-01T00:00:00Z,A1,P1,8,9
            """.utf8
        )
        XCTAssertThrowsError(try Importer(store: other).importFiles(files)) { error in
            let issue = (error as? ImportRejected)?.issues.first
            XCTAssertEqual(issue?.file, "planograms.csv")
            XCTAssertEqual(issue?.line, 2)
            XCTAssertEqual(issue?.column, "par")
            XCTAssertEqual(issue?.message, "par 9 is above the slot's capacity 8")
        }
        XCTAssertTrue(try other.isEmpty())
    }
}

extension ImportTests {
    /// `devices.csv` may carry the serial a device's DEX reads carry (docs/formats/DEX.md): a read then finds its
    /// device by itself; one serial on two devices is refused.
    func testADexSerialColumnLinksTheDeviceAndASerialOnTwoDevicesIsRefused() throws {
        var files = Self.good.mapValues { Array($0.utf8) }
        files["devices.csv"] = Array(
            """
            device_id,name,venue_type,latitude,longitude,device_type,dex_serial
            D1,Lobby,office,52.5,13.4,combo,0799139808
            D2,Hall,office,52.5,13.4,combo,
            """.utf8
        )
        try Importer(store: store).importFiles(files)
        XCTAssertEqual(try store.device(forDEXSerial: "0799139808"), "D1")
        let other = try makeStore("serials")
        files["devices.csv"] = Array(
            """
            device_id,name,venue_type,latitude,longitude,device_type,dex_serial
            D1,Lobby,office,52.5,13.4,combo,S-1
            D2,Hall,office,52.5,13.4,combo,S-1
            """.utf8
        )
        XCTAssertThrowsError(try Importer(store: other).importFiles(files)) { error in
            let issue = (error as? ImportRejected)?.issues.first
            XCTAssertEqual(issue?.line, 3)
            XCTAssertEqual(issue?.column, "dex_serial")
            XCTAssertEqual(issue?.message, "serial S-1 is already device D1's")
        }
        XCTAssertTrue(try other.isEmpty())
    }
}

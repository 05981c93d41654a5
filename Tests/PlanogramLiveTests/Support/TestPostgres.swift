import Foundation
import Store
import XCTest

/// The PostgreSQL server of the scale-out tests (SPEC §18), started on loopback by `Ops/test`, which
/// exports its URL as `PLANOGRAM_TEST_DATABASE_URL` and sets `PLANOGRAM_REQUIRE_SERVICES=1`. Under
/// `Ops/test` (and so in CI) a missing server fails the test; a bare `swift test` on a developer's machine
/// without one skips it with the reason.
enum TestPostgres {
    static func url(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let url = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_DATABASE_URL"], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["PLANOGRAM_REQUIRE_SERVICES"] == "1" {
            XCTFail("PLANOGRAM_TEST_DATABASE_URL is not set although Ops/test requires the PostgreSQL server", file: file, line: line)
        }
        throw XCTSkip("no PostgreSQL server (run Ops/test, which starts one, or set PLANOGRAM_TEST_DATABASE_URL)")
    }

    /// A URL whose connections work in a new, empty schema of their own (so tests never see each other's rows).
    static func freshSchemaURL(_ label: String = "t") throws -> String {
        let base = try url()
        let schema = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PostgresDatabase(url: base)
        try admin.execute("CREATE SCHEMA \(schema)")
        let sep = base.contains("?") ? "&" : "?"
        return base + sep + "options=-csearch_path%3D\(schema)"
    }

    static func freshStore(_ label: String = "t") throws -> Store {
        try Store(location: .postgres(url: try freshSchemaURL(label)))
    }
}

/// The import tests that touch the database, again on PostgreSQL (COPY for the bulk rows, the same
/// migrations). XCTest on Linux runs only the test methods a class declares itself, hence the list.
final class PostgresImportTests: ImportTests {
    override func makeStore(_ name: String) throws -> Store { try TestPostgres.freshStore("import_\(name)") }

    override func testCleanImportWritesEverythingAndNormalisesSlots() throws { try super.testCleanImportWritesEverythingAndNormalisesSlots() }
    override func testDailyTotalsFollowEveryImportOfTheDaysItTouches() throws { try super.testDailyTotalsFollowEveryImportOfTheDaysItTouches() }
    override func testImportingTheSameFilesTwiceChangesNothing() throws { try super.testImportingTheSameFilesTwiceChangesNothing() }
    override func testEveryErrorKindIsListedWithFileLineAndColumn() throws { try super.testEveryErrorKindIsListedWithFileLineAndColumn() }
    override func testDuplicateSalesAreFoundInSortedAndUnsortedFiles() throws { try super.testDuplicateSalesAreFoundInSortedAndUnsortedFiles() }
    override func testRealisticExportsWithTwoVendsOfASlotInOneSecondImport() throws { try super.testRealisticExportsWithTwoVendsOfASlotInOneSecondImport() }
    override func testNumbersOutOfRangeAreRefusedNeverWrapped() throws { try super.testNumbersOutOfRangeAreRefusedNeverWrapped() }
    override func testOperationsDataImportsAndIsReadBack() throws { try super.testOperationsDataImportsAndIsReadBack() }
    override func testBadOperationsDataIsRefusedWithFileLineAndColumn() throws { try super.testBadOperationsDataIsRefusedWithFileLineAndColumn() }
    override func testABadFileAmongGoodOnesWritesNothing() throws { try super.testABadFileAmongGoodOnesWritesNothing() }
    override func testDailyTotalsEqualTheSalesAfterFreshAndOverlappingImports() throws { try super.testDailyTotalsEqualTheSalesAfterFreshAndOverlappingImports() }
    override func testDailyTotalsAreTheFleetsLocalDates() throws { try super.testDailyTotalsAreTheFleetsLocalDates() }
    override func testDailyTotalsFollowAChangeOfZone() throws { try super.testDailyTotalsFollowAChangeOfZone() }
    override func testTwoNodesStartingOnANewZoneRecomputeOnce() throws { try super.testTwoNodesStartingOnANewZoneRecomputeOnce() }
}

import Foundation
import Store
import StoreTestSupport
import XCTest

/// The import tests that touch the database, again on PostgreSQL (COPY for the bulk rows, the same
/// migrations). XCTest on Linux runs only the test methods a class declares itself, hence the list.
final class PostgresImportTests: ImportTests {
    override func makeStore(_ name: String) throws -> Store { try TestPostgres.freshStore("import_\(name)") }

    override func testCleanImportWritesEverythingAndNormalisesSlots() throws {
        try super.testCleanImportWritesEverythingAndNormalisesSlots()
    }
    override func testDailyTotalsFollowEveryImportOfTheDaysItTouches() throws {
        try super.testDailyTotalsFollowEveryImportOfTheDaysItTouches()
    }
    override func testImportingTheSameFilesTwiceChangesNothing() throws {
        try super.testImportingTheSameFilesTwiceChangesNothing()
    }
    override func testEveryErrorKindIsListedWithFileLineAndColumn() throws {
        try super.testEveryErrorKindIsListedWithFileLineAndColumn()
    }
    override func testDuplicateSalesAreFoundInSortedAndUnsortedFiles() throws {
        try super.testDuplicateSalesAreFoundInSortedAndUnsortedFiles()
    }
    override func testRealisticExportsWithTwoVendsOfASlotInOneSecondImport() throws {
        try super.testRealisticExportsWithTwoVendsOfASlotInOneSecondImport()
    }
    override func testNumbersOutOfRangeAreRefusedNeverWrapped() throws {
        try super.testNumbersOutOfRangeAreRefusedNeverWrapped()
    }
    override func testOperationsDataImportsAndIsReadBack() throws { try super.testOperationsDataImportsAndIsReadBack() }
    override func testBadOperationsDataIsRefusedWithFileLineAndColumn() throws {
        try super.testBadOperationsDataIsRefusedWithFileLineAndColumn()
    }
    override func testABadFileAmongGoodOnesWritesNothing() throws { try super.testABadFileAmongGoodOnesWritesNothing() }
    override func testDailyTotalsEqualTheSalesAfterFreshAndOverlappingImports() throws {
        try super.testDailyTotalsEqualTheSalesAfterFreshAndOverlappingImports()
    }
    override func testDailyTotalsAreTheFleetsLocalDates() throws { try super.testDailyTotalsAreTheFleetsLocalDates() }
    override func testDailyTotalsFollowAChangeOfZone() throws { try super.testDailyTotalsFollowAChangeOfZone() }
    override func testTwoNodesStartingOnANewZoneRecomputeOnce() throws {
        try super.testTwoNodesStartingOnANewZoneRecomputeOnce()
    }
}

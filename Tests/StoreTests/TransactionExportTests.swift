import Foundation
import PlanogramDomain
import Store
import XCTest

/// Telemetry exports read as they come (docs/formats/EXPORTS.md): the ePort preset on the real export in
/// Fixtures/exports, mapping files for other exports, and the exports that must be refused.
final class TransactionExportTests: XCTestCase {
    static let eportFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/exports/eport_nj_2022_jan_apr.csv")

    static func eportBytes() throws -> [UInt8] { Array(try Data(contentsOf: eportFile)) }

    func testTheRealEPortExportReadsAsDaysWithCoilsAsSlotsAndTheRowsWithoutAProductListed() throws {
        let export = try TransactionExport.read(try Self.eportBytes(), mapping: .eport, clock: .utc)
        XCTAssertEqual(export.rowsRead, 2473)
        XCTAssertTrue(export.dayOnly)
        XCTAssertEqual(export.lines.count, 2470)
        XCTAssertEqual(export.skippedCount, 3)
        XCTAssertEqual(export.skipped.map(\.reason), ["no product", "no product", "no product"])
        XCTAssertEqual(export.skipped.map(\.line), [1234, 1433, 1441])
        let first = try XCTUnwrap(export.lines.first)
        XCTAssertEqual(first.line, 2)
        XCTAssertEqual(first.deviceID, "VJ300320611")
        XCTAssertEqual(first.deviceName, "BSQ Mall x1366 - ATT")
        // Saturday, January 1, 2022 is a day, with no time: 18,993 days after 1970-01-01.
        XCTAssertEqual(first.day, 18_993)
        XCTAssertNil(first.ts)
        XCTAssertEqual(first.selection, "148")
        XCTAssertEqual(first.slot?.description, "D9")
        XCTAssertEqual(first.productName, "Red Bull - Energy Drink - Sugar Free")
        XCTAssertEqual(first.category, "soda")
        XCTAssertEqual(first.price, 3.5)
        XCTAssertEqual(first.quantity, 1)
        XCTAssertEqual(first.transaction, "14515778905")
        XCTAssertEqual(Set(export.lines.map(\.deviceID)).count, 5)
        XCTAssertEqual(export.lines.map(\.quantity).reduce(0, +), 2507)
        XCTAssertEqual(Set(export.lines.map(\.day)).count, 119)  // 2022-01-01 … 04-30, one day without a sale
    }

    func testCoilNumbersAreTrayThenColumnFromZero() {
        XCTAssertEqual(TransactionExport.trayColumnSlot("148")?.description, "D9")
        XCTAssertEqual(TransactionExport.trayColumnSlot("110")?.description, "A1")
        XCTAssertEqual(TransactionExport.trayColumnSlot("23")?.description, "B4")
        XCTAssertNil(TransactionExport.trayColumnSlot("102"))  // tray 0 does not exist
        XCTAssertNil(TransactionExport.trayColumnSlot("A1"))
        XCTAssertNil(TransactionExport.trayColumnSlot("1"))
    }

    func testProductNamesAreOneProductWhateverTheirSpacesAndCase() {
        XCTAssertEqual(TransactionExport.cleanName("  CORTADO ").key, TransactionExport.cleanName("Cortado").key)
        XCTAssertEqual(TransactionExport.cleanName("Red  Bull \t Zero ").name, "Red Bull Zero")
        XCTAssertEqual(TransactionExport.category("Non Carbonated"), "juice")
        XCTAssertEqual(TransactionExport.category(" carbonated"), "soda")
        XCTAssertEqual(TransactionExport.category("Food"), "other")
    }

    func testAMappingFileReadsAnotherExportWithTimesLetterSelectionsAndAKeptStatus() throws {
        let mapping = try ExportMapping.parse(
            Array(
                """
                {"device": {"value": "KIOSK-7"}, "time": "When", "time_format": "yyyy/M/d H:mm",
                 "selection": "Sel", "selection_numbering": "letter_digit", "product": "Item", "price": "Amount",
                 "keep_if": {"Result": ["OK"]}}
                """.utf8
            )
        ).get()
        XCTAssertTrue(mapping.hasTimeOfDay)
        let csv = """
            When,Sel,Item,Amount,Result
            2024/3/5 9:07,b4,  CORTADO ,2.50,OK
            2024/3/5 9:09,B4,Cortado,2.50,Declined
            2024/13/5 9:10,B4,Cortado,2.50,OK
            2024/3/5 9:11,B4,,2.50,OK
            2024/3/5 9:12,Z99,Cortado,2.50,OK
            2024/3/5 9:13,A1,Water,free,OK

            """
        // Europe/Amsterdam: 09:07 on 5 March 2024 is 08:07 UTC.
        let clock = try XCTUnwrap(FleetClock(identifier: "Europe/Amsterdam"))
        let export = try TransactionExport.read(Array(csv.utf8), mapping: mapping, clock: clock)
        XCTAssertFalse(export.dayOnly)
        XCTAssertEqual(export.rowsRead, 6)
        XCTAssertEqual(export.lines.count, 1)
        let line = try XCTUnwrap(export.lines.first)
        XCTAssertEqual(line.deviceID, "KIOSK-7")
        XCTAssertEqual(line.slot?.description, "B4")
        XCTAssertEqual(line.productName, "CORTADO")
        XCTAssertEqual(line.ts, 1_709_626_020)
        XCTAssertNil(line.day)
        XCTAssertEqual(
            export.skipped,
            [
                ExportSkip(line: 3, reason: "status \"Declined\" is not a sale"),
                ExportSkip(line: 4, reason: "time \"2024/13/5 9:10\" does not match \"yyyy/M/d H:mm\""),
                ExportSkip(line: 5, reason: "no product"),
                ExportSkip(line: 6, reason: "selection \"Z99\" is not a row letter (A–L) and column number (1–30)"),
                ExportSkip(line: 7, reason: "price \"free\" is not an amount"),
            ]
        )
    }

    func testAnExportWhoseColumnsMatchNeitherThePresetNorTheMappingIsRefusedNamingThem() {
        let csv = "Date,Machine,Item,Price\n2022-01-01,M1,Chips,1.5\n"
        XCTAssertThrowsError(try TransactionExport.read(Array(csv.utf8), mapping: .eport, clock: .utc)) { error in
            let refusal = error as? ExportRefusal
            XCTAssertEqual(refusal?.code, "export_columns")
            XCTAssertEqual(
                refusal?.missingColumns,
                ["Device ID", "TransDate", "RCoil", "Product", "Category", "RPrice", "RQty", "Transaction", "Status"]
            )
        }
        let named = ExportMapping(
            device: .column("Machine"),
            time: "When",
            timeFormat: "yyyy-MM-dd",
            product: "Item",
            price: "Price"
        )
        XCTAssertThrowsError(try TransactionExport.read(Array(csv.utf8), mapping: named, clock: .utc)) { error in
            XCTAssertEqual((error as? ExportRefusal)?.missingColumns, ["When"])
        }
    }

    func testAMappingThatCannotBeReadIsRefused() {
        for text in [
            "", "{}", "{\"device\": 3}", "[1]",
            "{\"device\": \"D\", \"time\": \"T\", \"time_format\": \" \", \"product\": \"P\", \"price\": \"X\"}",
        ] {
            guard case .failure(let refusal) = ExportMapping.parse(Array(text.utf8)) else {
                return XCTFail("\(text) was read as a mapping")
            }
            XCTAssertEqual(refusal.code, "bad_mapping")
        }
    }

    func testMalformedCSVIsRefusedWithItsLineAndAnEmptyFileSaysSo() {
        let header =
            "Status,Device ID,Location,Machine,Product,Category,Transaction,TransDate,Type,RCoil,RPrice,RQty,MCoil,MPrice,MQty,LineTotal,TransTotal,Prcd Date"
        let csv = header + "\nProcessed,\"VJ1\nunterminated"
        XCTAssertThrowsError(try TransactionExport.read(Array(csv.utf8), mapping: .eport, clock: .utc)) { error in
            XCTAssertEqual((error as? ExportRefusal)?.code, "bad_export")
        }
        XCTAssertThrowsError(try TransactionExport.read([], mapping: .eport, clock: .utc)) { error in
            XCTAssertEqual((error as? ExportRefusal)?.message, "the export is empty")
        }
    }
}

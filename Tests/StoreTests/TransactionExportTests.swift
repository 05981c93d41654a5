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

    /// A large export is read on two cores, cut in two at a record's end: what it reads is what one reader reads,
    /// line numbers included (fields quoted across lines and rows left out on both sides of the cut), and a
    /// malformed record after the cut is refused with its line in the whole file.
    func testAnExportReadInTwoHalvesIsTheExportReadInOnePass() throws {
        let text = String(decoding: try Self.eportBytes(), as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines[0]
        var body: [String] = []
        for copy in 0..<3 {
            for (i, line) in lines.dropFirst().enumerated() where !line.isEmpty {
                // Every 40th row's location is quoted across two lines, with an escaped quote and a comma.
                guard i % 40 == 0 else {
                    body.append(line.replacingOccurrences(of: ",VJ", with: ",VJ\(copy)-"))
                    continue
                }
                var fields = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                fields[1] = fields[1].replacingOccurrences(of: "VJ", with: "VJ\(copy)-")
                fields[2] = "\"Lobby \"\"\(copy)\"\",\nnorth side\""
                body.append(fields.joined(separator: ","))
            }
        }
        let csv = header + "\n" + body.joined(separator: "\n") + "\n"
        let bytes = Array(csv.utf8)
        let cut = try XCTUnwrap(
            bytes.withUnsafeBufferPointer { TransactionExport.splitPoint($0, after: header.utf8.count + 1) }
        )
        XCTAssertGreaterThan(bytes.count, TransactionExport.splitBytes)
        XCTAssertEqual(bytes[cut - 1], 10)
        XCTAssertGreaterThan(cut, bytes.count / 2)

        let one = try TransactionExport.read(bytes, mapping: .eport, clock: .utc, splitAbove: .max)
        let two = try TransactionExport.read(bytes, mapping: .eport, clock: .utc)
        XCTAssertEqual(one.rowsRead, 3 * 2473)
        XCTAssertEqual(one.skippedCount, 9)
        XCTAssertEqual(two.rowsRead, one.rowsRead)
        XCTAssertEqual(two.skippedCount, one.skippedCount)
        XCTAssertEqual(two.skipped, one.skipped)
        XCTAssertEqual(two.dayOnly, one.dayOnly)
        XCTAssertEqual(two.lines.count, one.lines.count)
        XCTAssertEqual(two.lines, one.lines)
        // Physical lines, not records: the quoted locations' line breaks count.
        XCTAssertEqual(one.lines.last?.line, 1 + 3 * 2473 + 3 * ((2473 + 39) / 40))

        // A quote inside an unquoted field, in the last rows: the same refusal, with the same line.
        let broken = Array((csv + "Processed,VJ9,Lob\"by,M,Snickers,Candy,1,\"Saturday, January 1, 2022\"\n").utf8)
        var messages: [String] = []
        for splitAbove in [Int.max, TransactionExport.splitBytes] {
            XCTAssertThrowsError(
                try TransactionExport.read(broken, mapping: .eport, clock: .utc, splitAbove: splitAbove)
            ) { error in
                messages.append((error as? ExportRefusal)?.message ?? "")
            }
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.first, messages.last)
        XCTAssertEqual(messages.first, "line \(one.lines.last!.line + 1): quote inside an unquoted field")
    }

    /// The cut falls in a run of blank lines: the first half ends at the cut and does not read on into the record
    /// after the blank lines, which the second half reads (the fuzz target found it: Ops/fuzz/corpus-export).
    func testACutInBlankLinesReadsTheRecordAfterThemOnce() throws {
        let header =
            "Status,Device ID,Location,Machine,Product,Category,Transaction,TransDate,Type,RCoil,RPrice,RQty,MCoil,MPrice,MQty,LineTotal,TransTotal,Prcd Date"
        let row = { (t: Int) in
            "Processed,VJ1,Mall,M1,Cola,Soda,\(t),\"Saturday, January 1, 2022\",Credit,148,1.5,1,148,1.5,1,1.5,1.5,1/1/2022"
        }
        let csv = header + "\n" + row(1) + "\n" + String(repeating: "\n", count: 400) + row(2) + "\n"
        let bytes = Array(csv.utf8)
        let cut = try XCTUnwrap(
            bytes.withUnsafeBufferPointer {
                TransactionExport.splitPoint($0, after: header.utf8.count + 1, smallest: 1)
            }
        )
        XCTAssertEqual(bytes[cut], 10, "the cut is between blank lines")
        let one = try TransactionExport.read(bytes, mapping: .eport, clock: .utc, splitAbove: .max)
        let two = try TransactionExport.read(bytes, mapping: .eport, clock: .utc, splitAbove: 1)
        XCTAssertEqual(one.lines.map(\.line), [2, 403])
        XCTAssertEqual(two.lines, one.lines)
        XCTAssertEqual(two.rowsRead, 2)
    }
}

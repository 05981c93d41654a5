import DEX
import Foundation
import XCTest

/// The reader on seven reads from real machines (Fixtures/dex, their quirks in its README), and on reads
/// made wrong on purpose.
final class DEXReaderTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/dex")

    func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
    }
    func read(_ name: String) throws -> DEXRead { try DEXReader.read(bytes(name)) }

    /// The read with its lines rewritten by `change`, and the checksum written anew over them.
    /// The read with its lines rewritten by `change`, and the checksum written anew over them.
    func rewritten(_ name: String, _ change: ([String]) -> [String]) throws -> [UInt8] {
        var lines = String(decoding: try bytes(name), as: UTF8.self).split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        .map(String.init)
        if lines.last == "" { lines.removeLast() }
        return CRC16ARC.stamped(change(lines))
    }

    func testTheCRCIsCRC16ARC() {
        XCTAssertEqual(CRC16ARC.of(Array("123456789".utf8)), 0xBB3D)
    }

    func testEverySharedReadIsReadToTheStandardWithItsChecksumChecked() throws {
        // name: serial, model, selections, first selection (id, price, vends total), read time, checksum
        let expected: [(String, String?, String?, Int, (String, Int, Int), String?, UInt16)] = [
            ("AMS_39_VCF.txt", "TW20185083", "AMS SENSIT III", 43, ("10", 125, 1634), "2025-07-09T20:00:00", 0x7418),
            ("AMS_Sensit_III.txt", "TX09200905", "AMS SENSIT III", 39, ("10", 400, 942), "2025-07-09T18:31:00", 0x9590),
            ("Crane_National_187.txt", "301021333", "187", 48, ("101", 125, 1049), "2025-07-09T15:08:00", 0x460A),
            ("Dixie_Narco_501E.txt", nil, nil, 9, ("1", 150, 23154), "2037-07-10T05:43:00", 0x5263),
            ("Dixie_Narco_5800.txt", "DIX", "DN 5800-4", 45, ("A1", 175, 1131), "2007-06-07T10:13:00", 0x75B2),
            ("Royal_660.txt", "0799139808", "GIII_VENDOR 67121-3", 9, ("1", 100, 28770), nil, 0xFD74),
            ("Vendo_721.txt", "D0451879", "VEC 12.3", 8, ("1", 150, 5851), nil, 0x7D23),
        ]
        for (name, serial, model, count, first, at, crc) in expected {
            let r = try read(name)
            XCTAssertEqual(r.serial, serial, name)
            XCTAssertEqual(r.model, model, name)
            XCTAssertEqual(r.selections.count, count, name)
            XCTAssertEqual(r.selections.first?.selection, first.0, name)
            XCTAssertEqual(r.checksum, crc, name)
            XCTAssertEqual(r.readAt?.description, at, name)
            XCTAssertEqual(r.decimals, 2, name)
            XCTAssertEqual(
                Set(r.selections.map(\.selection)).count,
                r.selections.count,
                "\(name): one entry per selection"
            )
            XCTAssertEqual(r.selections.first?.price, first.1, name)
            XCTAssertEqual(r.selections.first?.vendsTotal, first.2, name)
            XCTAssertTrue(r.selections.allSatisfy { $0.vendsTotal != nil }, "\(name): every selection has its PA2")
        }
    }

    func testTheQuirksOfRealMachines() throws {
        // AMS: PA7 per payment type; the ten-field PA2.
        let ams = try read("AMS_39_VCF.txt")
        XCTAssertEqual(ams.selections[0].payments.map(\.device), ["CA", "DA"])
        XCTAssertEqual(ams.selections[0].payments.map(\.vends), [509, 1125])
        XCTAssertEqual(ams.money(ams.selections[0].price ?? 0), 1.25)
        XCTAssertEqual(ams.currency, "5")
        // Crane: the date as CCYYMMDD, PA103 a product id, the currency named.
        let crane = try read("Crane_National_187.txt")
        XCTAssertEqual(crane.readAtSource, "ID5")
        XCTAssertEqual(crane.currency, "USD")
        XCTAssertEqual(crane.selections.map(\.selection).prefix(3), ["101", "103", "105"])
        // Dixie Narco 501E: a blank serial (warned), no ID5 (EA3's date, the controller's 2037).
        let dixie = try read("Dixie_Narco_501E.txt")
        XCTAssertNil(dixie.serial)
        XCTAssertEqual(dixie.readAtSource, "EA3")
        XCTAssertTrue(dixie.warnings.contains { $0.contains("serial") })
        XCTAssertEqual(dixie.selections[0].vendsSinceReset, 23154)
        // Royal 660: one selection feeds four columns.
        let royal = try read("Royal_660.txt")
        XCTAssertEqual(royal.selectionColumns["1"], [1, 2, 7, 8])
        XCTAssertEqual(royal.selectionColumns["6"], [9])
        XCTAssertNil(royal.selectionColumns["3"], "MA5*SEL03 names no column")
        XCTAssertEqual(try read("Vendo_721.txt").selectionColumns["1"], [1, 2])
        // Records not used are counted, not dropped silently.
        XCTAssertGreaterThan(ams.ignoredRecords["CA17"] ?? 0, 0)
    }

    func testLenientWhereTheMeaningIsClear() throws {
        // A vendor banner before DXS, LF or CR LF ends, no G85 at all.
        let base = try bytes("Vendo_721.txt")
        let banner = try DEXReader.read(Array("VENDO DEX READER v2\r\n\r\n".utf8) + base)
        XCTAssertEqual(banner.selections.count, 8)
        XCTAssertTrue(banner.warnings.contains { $0.contains("before DXS") })
        let crlf = try DEXReader.read(try rewritten("Vendo_721.txt") { $0 })
        XCTAssertEqual(crlf, try DEXReader.read(base))
        let noChecksum = try DEXReader.read(try rewritten("Vendo_721.txt") { $0.filter { !$0.hasPrefix("G85") } })
        XCTAssertNil(noChecksum.checksum)
        XCTAssertTrue(noChecksum.warnings.contains { $0.contains("no checksum") })
        // A repeated PA1 keeps the first and says so.
        let twice = try DEXReader.read(
            try rewritten("Vendo_721.txt") { lines in
                var l = lines
                let i = l.firstIndex { $0.hasPrefix("PA1*") }!
                l.insert(contentsOf: ["PA1*1*999*", "PA2*1*999*1*999"], at: i + 2)
                return l
            }
        )
        XCTAssertEqual(twice.selections.first { $0.selection == "1" }?.price, 150)
        XCTAssertTrue(twice.warnings.contains { $0.contains("listed again") })
        // A short PA2 (the fuzzer's first find: fewer than five fields trapped a range) keeps what it has.
        let short = try DEXReader.read(
            try rewritten("Vendo_721.txt") { $0.map { $0.hasPrefix("PA2*5851*") ? "PA2*5851" : $0 } }
        )
        XCTAssertEqual(short.selections.first?.vendsTotal, 5851)
        XCTAssertNil(short.selections.first?.valueTotal)
    }

    func testStrictWhereTheDataWouldBeWrong() throws {
        func refused(_ bytes: [UInt8], _ record: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try DEXReader.read(bytes), file: file, line: line) { e in
                XCTAssertEqual((e as? DEXError)?.record, record, "\(e)", file: file, line: line)
                XCTAssertGreaterThan((e as? DEXError)?.line ?? 0, 0, file: file, line: line)
            }
        }
        let base = try bytes("Royal_660.txt")
        // One vend more on selection 1 without a new checksum.
        var text = String(decoding: base, as: UTF8.self)
        text = text.replacingOccurrences(of: "PA2*28770*", with: "PA2*28771*")
        refused(Array(text.utf8), "G85")
        // Truncated: no DXE.
        refused(Array(String(decoding: base, as: UTF8.self).components(separatedBy: "DXE")[0].utf8), "DXE")
        // Not a read at all.
        refused(Array("timestamp,device_id\n2026-01-01,VM-001\n".utf8), "DXS")
        refused([], "DXS")
        // A PA2 before any PA1 (checksum rewritten, so only the order is wrong).
        refused(
            try rewritten("Royal_660.txt") { l in
                var l = l
                l.insert("PA2*1*1*1*1", at: l.firstIndex { $0.hasPrefix("PA1*") }!)
                return l
            },
            "PA2"
        )
        // A counter that is not a number.
        refused(
            try rewritten("Royal_660.txt") {
                $0.map { $0 == "PA2*28770*2370030*28768*2369980*0*0" ? "PA2*28770*2370030*2876X*2369980*0*0" : $0 }
            },
            "PA2"
        )
        refused(try rewritten("Royal_660.txt") { $0.map { $0.hasPrefix("ID4*") ? "ID4*two*1*5" : $0 } }, "ID4")
        refused(try rewritten("Royal_660.txt") { $0.map { $0.hasPrefix("PA1*1*") ? "PA1**100*" : $0 } }, "PA1")
    }
}

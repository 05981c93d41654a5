import DEX
import Foundation
import XCTest

/// `planogram-live import` as an operator runs it: a refused file exits with 2 and names file, line and column.
final class ImportCommandTests: XCTestCase {
    func testImportCommandExitsWithTwoOnBadFiles() throws {
        let dir = NSTemporaryDirectory() + "import-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/csv", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["products.csv", "devices.csv", "cabinets.csv", "planograms.csv", "sales.csv"] {
            var text = TestFleet.file(name)
            if name == "sales.csv" {
                text += (text.hasSuffix("\n") ? "" : "\n") + "not-a-date,VM-001,0,A1,P001,1.50,\n"
            }
            try text.write(toFile: dir + "/csv/" + name, atomically: true, encoding: .utf8)
        }
        let child = try ChildServer(arguments: ["import", "--db", dir + "/cli.db", dir + "/csv"])
        XCTAssertTrue(child.waitForExit(timeout: 60), "import finished")
        child.waitForOutput(timeout: 5) { _ in false }
        let text = child.output
        XCTAssertEqual(child.process.terminationStatus, 2)
        XCTAssertTrue(text.contains("sales.csv:"), text)
        XCTAssertTrue(text.contains("column timestamp: bad date \"not-a-date\""), text)
    }

    /// `planogram-live import-dex`: a read for a named device, a second read found by its serial, a read
    /// recorded already, and a bad read (exit 2, line and record named, nothing of it written).
    func testImportDEXRecordsReadsAndFindsTheDeviceBySerial() throws {
        let dir = NSTemporaryDirectory() + "import-dex-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let importer = try ChildServer(arguments: ["import", "--db", dir + "/p.db", TestFleet.directory])
        XCTAssertTrue(importer.waitForExit(timeout: 60))
        XCTAssertEqual(importer.process.terminationStatus, 0, importer.output)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/dex")
        let royal = String(
            decoding: try Data(contentsOf: fixtures.appendingPathComponent("Royal_660.txt")),
            as: UTF8.self
        )
        var lines = royal.split(separator: "\n").map(String.init)
        lines = lines.map {
            $0.hasPrefix("PA2*28770*") ? $0.replacingOccurrences(of: "PA2*28770*", with: "PA2*28775*") : $0
        }
        try Data(CRC16ARC.stamped(lines)).write(to: URL(fileURLWithPath: dir + "/second.txt"))
        try Data(royal.replacingOccurrences(of: "PA2*28770*", with: "PA2*28779*").utf8).write(
            to: URL(fileURLWithPath: dir + "/bad.txt")
        )
        func run(_ args: [String]) throws -> (Int32, String) {
            let child = try ChildServer(arguments: ["import-dex", "--db", dir + "/p.db"] + args, mergingOutput: true)
            XCTAssertTrue(child.waitForExit(timeout: 60))
            child.waitForOutput(timeout: 2) { _ in false }
            return (child.process.terminationStatus, child.output)
        }
        let (first, out1) = try run([
            "--device", "VM-001", "--at", "2026-01-05T09:00:00Z", fixtures.appendingPathComponent("Royal_660.txt").path,
        ])
        XCTAssertEqual(first, 0, out1)
        XCTAssertTrue(out1.contains("recorded dex_"), out1)
        let (second, out2) = try run([
            "--at", "2026-01-12T09:00:00Z", dir + "/second.txt", fixtures.appendingPathComponent("Royal_660.txt").path,
        ])
        XCTAssertEqual(second, 0, out2)
        XCTAssertTrue(out2.contains("for VM-001, 9 selections, 5 units since the previous read"), out2)
        XCTAssertTrue(out2.contains("already recorded"), out2)
        let (bad, out3) = try run(["--device", "VM-001", dir + "/bad.txt"])
        XCTAssertEqual(bad, 2, out3)
        XCTAssertTrue(out3.contains("checksum mismatch"), out3)
    }
}

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
}

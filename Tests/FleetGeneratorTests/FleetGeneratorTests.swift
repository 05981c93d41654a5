import Foundation
import PlanogramDomain
import XCTest

@testable import FleetGenerator

/// The generator writes a year of the metro fleet on a server's first start; its timestamps are written
/// without Foundation's formatter (a call per row), and must stay the text the formatter wrote, or a
/// fleet generated from the same recipe would no longer be the same fleet.
final class FleetGeneratorTests: XCTestCase {
    func testTimestampsAreTheTextTheFormatterWrote() {
        func formatted(_ t: Int64) -> String {
            let days = Int(t / 86400)
            let secs = Int(t % 86400)
            let z = days + 719468
            let era = z / 146097
            let doe = z - era * 146097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
        }
        var rng = SystemRandomNumberGenerator()
        // Day and year edges, leap days, the epoch, years past 9999, and random seconds over five centuries.
        var times: [Int64] = [
            0, 59, 60, 3_599, 3_600, 86_399, 86_400, 951_782_400, 951_868_799, 1_709_164_800, 4_107_542_399,
            253_402_300_799, 253_402_300_800, 253_402_387_200,
        ]
        times += (0..<20_000).map { _ in Int64.random(in: 0..<16_000_000_000, using: &rng) }
        for t in times { XCTAssertEqual(FleetGenerator.iso(t), formatted(t), "t = \(t)") }
        XCTAssertEqual(FleetGenerator.iso(1_764_720_000), "2025-12-03T00:00:00Z")
    }

    func testTheSameRecipeWritesTheSameFilesTwice() throws {
        var model = FleetModel()
        model.seed = 5
        model.devices = 4
        model.days = 20
        model.metro = "Berlin"
        let a = NSTemporaryDirectory() + "gen-a-\(UUID().uuidString)"
        let b = NSTemporaryDirectory() + "gen-b-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        _ = try FleetGenerator(model: model).write(to: a)
        _ = try FleetGenerator(model: model).write(to: b)
        let files = try FileManager.default.contentsOfDirectory(atPath: a).sorted()
        XCTAssertTrue(files.contains("sales.csv") && files.contains("services.csv"))
        XCTAssertEqual(files, try FileManager.default.contentsOfDirectory(atPath: b).sorted())
        for f in files {
            XCTAssertEqual(
                FileManager.default.contents(atPath: a + "/" + f),
                FileManager.default.contents(atPath: b + "/" + f),
                f
            )
        }
        let sales = try String(contentsOfFile: a + "/sales.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(sales.count, 100)
        // Every row's timestamp parses back, and prices are the catalogue's with two decimals.
        let iso = ISO8601DateFormatter()
        for row in sales.dropFirst() {
            let cols = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertNotNil(iso.date(from: String(cols[0])), String(row))
            XCTAssertEqual(cols[5].split(separator: ".").last?.count, 2, String(row))
        }
    }

    /// A fleet generated on New York's clock, across the autumn change (1 November 2026): every sale is
    /// between 06:00 and 22:00 and every restock at 06:00 (a planogram change) or 07:00–08:30, New York
    /// time; the recipe records the zone; an unknown zone is refused.
    func testAFleetOnALocalClockSellsAndIsServicedInLocalHours() throws {
        var model = FleetModel()
        model.seed = 7
        model.devices = 3
        model.days = 20
        model.endDay = 1_793_491_200 + 9 * 86_400  // 2026-11-10
        model.timeZone = "America/New_York"
        let york = try XCTUnwrap(FleetClock(identifier: "America/New_York"))
        let dir = NSTemporaryDirectory() + "gen-tz-\(UUID().uuidString)"
        defer { for d in [dir, dir + "-bad"] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try FleetGenerator(model: model).write(to: dir)
        func minutes(_ iso: Substring) -> (day: Int64, minute: Int) {
            let t = Int64(ISO8601DateFormatter().date(from: String(iso))!.timeIntervalSince1970)
            let wall = york.timeOfDay(t).split(separator: ":").map { Int($0)! }
            return (york.day(of: t), wall[0] * 60 + wall[1])
        }
        let sales = try String(contentsOfFile: dir + "/sales.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertGreaterThan(sales.count, 1_000)
        var days = Set<Int64>()
        for line in sales {
            let m = minutes(line.split(separator: ",")[0])
            days.insert(m.day)
            XCTAssertTrue(
                (360..<1_320).contains(m.minute),
                "sale at \(m.minute / 60):\(m.minute % 60) New York: \(line)"
            )
        }
        XCTAssertEqual(days.count, 20, "a sale every local day")
        let services = try String(contentsOfFile: dir + "/services.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst()
        XCTAssertFalse(services.isEmpty)
        for line in services {
            let m = minutes(line.split(separator: ",")[0])
            XCTAssertTrue(m.minute == 360 || (420...510).contains(m.minute), "restock at \(m.minute) New York: \(line)")
        }
        let recipe = try JSONDecoder().decode(
            FleetModel.self,
            from: Data(contentsOf: URL(fileURLWithPath: dir + "/model.json"))
        )
        XCTAssertEqual(recipe.timeZone, "America/New_York")
        model.timeZone = "America/Atlantis"
        XCTAssertThrowsError(try FleetGenerator(model: model).write(to: dir + "-bad"))
    }
}

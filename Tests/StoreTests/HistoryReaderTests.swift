import Foundation
import PlanogramDomain
import Store
import XCTest

/// The stored history read back as one time-ordered stream of sales and restocks, on a real SQLite file.
final class HistoryReaderTests: XCTestCase {
    private func tempStore() throws -> (Store, String) {
        let dir = NSTemporaryDirectory() + "history-reader-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try Store(path: dir + "/h.db"), dir)
    }

    func testSalesAndRestocksComeInTimeOrderWithRestocksFirstWithinASecondAcrossWeeks() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Random rows over ten weeks, many on the same second (and on week boundaries of the reader).
        var rng = SystemRandomNumberGenerator()
        let start: Int64 = 1_700_000_000
        let seconds =
            (0..<400).map { _ in start + Int64.random(in: 0..<(70 * 86_400), using: &rng) }
            + (0..<11).map { start + Int64($0) * 7 * 86_400 } + [start + 7 * 86_400 - 1]
        var expected: [(ts: Int64, kind: Int, device: String, slot: String)] = []
        try store.write { db in
            for (i, ts) in seconds.enumerated() {
                let device = "D\(i % 3)"
                let slot = "A\(1 + i % 4)"
                if i % 3 != 1 {
                    _ = try db.run(
                        "INSERT OR IGNORE INTO services(ts, device_id, cabinet_index, slot, units_added) VALUES (?, ?, 0, ?, ?)",
                        [.int(ts), .text(device), .text(slot), .of(1 + i % 5)]
                    )
                }
                if i % 3 != 2 {
                    _ = try db.run(
                        "INSERT OR IGNORE INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id) VALUES (?, ?, 0, ?, 'p', 1.5, ?)",
                        [.int(ts), .text(device), .text(slot), .text("t\(i)")]
                    )
                }
            }
            expected = try db.query(
                "SELECT ts, 0, device_id, slot FROM services UNION ALL SELECT ts, 1, device_id, slot FROM sales",
                []
            ) {
                (ts: $0.int64(0), kind: $0.int(1), device: $0.text(2), slot: $0.text(3))
            }
        }
        var got: [(ts: Int64, kind: Int, device: String, slot: String)] = []
        try HistoryReader.forEachEvent(store) { e in
            got.append((e.ts, e.isSale ? 1 : 0, e.deviceID, e.slot.description))
        }
        XCTAssertEqual(got.count, expected.count, "every row, once")
        let key = { (r: (ts: Int64, kind: Int, device: String, slot: String)) in
            "\(r.ts) \(r.kind) \(r.device) \(r.slot)"
        }
        XCTAssertEqual(Set(got.map(key)), Set(expected.map(key)), "the same rows")
        for (a, b) in zip(got, got.dropFirst()) {
            XCTAssertTrue(
                a.ts < b.ts || (a.ts == b.ts && a.kind <= b.kind),
                "in time order, restocks first within a second: \(a) then \(b)"
            )
        }
        XCTAssertTrue(got.contains { $0.kind == 0 } && got.contains { $0.kind == 1 })
    }

    func testAnEmptyHistoryCallsNothing() throws {
        let (store, dir) = try tempStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var n = 0
        try HistoryReader.forEachEvent(store) { _ in n += 1 }
        XCTAssertEqual(n, 0)
    }
}

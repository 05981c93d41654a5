import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// The stored fit is the same bytes for the same models, whatever order a dictionary iterates in (which
/// the process's hash seed and a dictionary's capacity decide), and what was stored before reads back.
final class StoredBytesTests: XCTestCase {
    struct Wrapped: Codable { @OrderedInt32Keys var map: [String: [Int32: Double]] }
    struct Plain: Codable { var map: [String: [Int32: Double]] }

    /// The same content, built so that the two iterate in different orders: keys inserted the other way
    /// round into a dictionary of another capacity.
    func twoOrders() -> ([String: [Int32: Double]], [String: [Int32: Double]]) {
        var a: [String: [Int32: Double]] = [:]
        var b: [String: [Int32: Double]] = [:]
        for device in ["VM-001", "VM-002", "VM-003"] {
            var x: [Int32: Double] = [:]
            var y: [Int32: Double] = [:]
            y.reserveCapacity(5_000)
            for k in Int32(0)..<300 { x[k * 7] = Double(k) / 3 }
            for k in (Int32(0)..<300).reversed() { y[k * 7] = Double(k) / 3 }
            a[device] = x
            b[device] = y
        }
        return (a, b)
    }

    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    func testInt32KeyedMapsAreWrittenInKeyOrderAndReadAsSwiftWritesThem() throws {
        let (a, b) = twoOrders()
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(
            Array(a["VM-001"]!.keys),
            Array(b["VM-001"]!.keys),
            "the two dictionaries iterate in different orders"
        )
        // Swift's own encoding follows the iteration order; with the wrapper the bytes are the same.
        XCTAssertNotEqual(try Self.sorted.encode(Plain(map: a)), try Self.sorted.encode(Plain(map: b)))
        let bytes = try Self.sorted.encode(Wrapped(map: a))
        XCTAssertEqual(bytes, try Self.sorted.encode(Wrapped(map: b)))
        // The same wire format both ways: stored bytes of either kind read back into the other.
        XCTAssertEqual(try JSONDecoder().decode(Plain.self, from: bytes).map, a)
        XCTAssertEqual(try JSONDecoder().decode(Wrapped.self, from: try JSONEncoder().encode(Plain(map: b))).map, a)
    }

    func testAPlanogramIsWrittenWithItsSlotsInOrder() throws {
        var a = Planogram(deviceID: "VM-001", cabinetIndex: 0, version: 3, effectiveFrom: 1_780_000_000)
        var b = a
        b.facings.reserveCapacity(1_000)
        let slots = (0..<6).flatMap { r in (0..<10).map { SlotCode(row: r, column: $0) } }
        for (i, s) in slots.enumerated() { a.facings[s] = Facing(productID: "P-\(i)", capacity: 5 + i % 4) }
        for (i, s) in slots.enumerated().reversed() { b.facings[s] = Facing(productID: "P-\(i)", capacity: 5 + i % 4) }
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(Array(a.facings.keys), Array(b.facings.keys))
        let bytes = try Self.sorted.encode(a)
        XCTAssertEqual(bytes, try Self.sorted.encode(b))
        XCTAssertEqual(try JSONDecoder().decode(Planogram.self, from: bytes), a)
    }

    /// A real fit of the test fleet, stored, read back and stored again: the same bytes (the read-back
    /// dictionaries are built afresh, with their own capacities).
    func testAStoredFitReadBackIsStoredAsTheSameBytes() throws {
        let dir = NSTemporaryDirectory() + "stored-bytes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        let history = try InsightsEngine.loadHistory(store)
        let model = DemandModel.fit(history)
        let stored = StoredModels(
            model: model,
            affinity: AffinityTable(history: history),
            fingerprint: "f",
            fittedAt: 0
        )
        let bytes = try stored.encoded()
        let again = try StoredModels(
            model: StoredModels.decode(bytes).restore().0,
            affinity: AffinityTable(history: history),
            fingerprint: "f",
            fittedAt: 0
        ).encoded()
        XCTAssertEqual(bytes.count, again.count)
        XCTAssertTrue(bytes == again, "the stored fit differs after a round trip")
        let exposure = VenueDemand.exposure(history)
        let e1 = try StoredModels.encoder.encode(exposure)
        let e2 = try StoredModels.encoder.encode(JSONDecoder().decode(VenueDemand.Exposure.self, from: e1))
        XCTAssertEqual(e1, e2)
    }
}

import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// A real CVD database (Fixtures/cvd: CVD's demo contents, its traps in the README) migrated into a real
/// SQLite file (docs/formats/CVD.md), over the command's code and over HTTP.
final class CVDMigrationTests: XCTestCase {
    static let cvd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cvd/cvd_demo.sqlite").path

    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "cvd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testTheDemoDatabaseIsMigratedWithEveryTrapMappedOrReported() throws {
        let store = try Store(path: dir + "/m.db")
        let r = try CVDMigration.run(try CVDSource.read(path: Self.cvd), into: store, clock: .utc, at: 1_754_500_000)
        // 20 devices, 6 soft-deleted: those stay out, named.
        XCTAssertEqual(r.devicesMigrated.count, 14)
        XCTAssertEqual(Set(r.devicesLeftOut.map(\.item)), ["875", "6453", "546t4", "3456", "4535", "5343"])
        XCTAssertTrue(r.devicesLeftOut.allSatisfy { $0.reason == "soft-deleted in CVD" })
        let catalog = try store.loadCatalog()
        XCTAssertEqual(catalog.devices.count, 14)
        XCTAssertNil(catalog.devices["875"])
        let cafe = try XCTUnwrap(catalog.devices["999"])
        XCTAssertEqual(cafe.name, "Cafe New Location")
        XCTAssertEqual(cafe.latitude, 42.1935762, accuracy: 1e-9)  // DTW Terminal B
        // Cabinets by type: Cooler → chilled, Freezer → frozen, Ambient+ → ambient.
        XCTAssertEqual(catalog.cabinet("999", 0)?.temperature, .chilled)
        XCTAssertEqual(catalog.cabinet("999", 1)?.temperature, .ambient)
        XCTAssertEqual(catalog.cabinet("999", 2)?.temperature, .frozen)
        XCTAssertEqual(catalog.cabinet("999", 1)?.rows, 6)
        XCTAssertEqual(r.cabinets, 30)
        XCTAssertEqual(cafe.deviceType, .combo)
        // The EMPTY_SLOT placeholder is an empty slot, not a product.
        XCTAssertEqual(r.placeholderProducts, ["EMPTY_SLOT"])
        XCTAssertNil(catalog.products["cvd-1"])
        XCTAssertEqual(r.productsMigrated, 31)
        XCTAssertEqual(catalog.products["cvd-2"]?.name, "Gatorade Fruit Punch")
        XCTAssertEqual(r.slotsFilled, 729)
        XCTAssertEqual(r.slotsEmpty, 417)
        // Capacity below the quantity held: raised, and counted (77 in the demo).
        XCTAssertEqual(r.capacitiesRaised, 77)
        XCTAssertEqual(r.routeDisagreements, 8)
        try store.read { db in
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM planogram_slots WHERE par IS NOT NULL"), 729)
            XCTAssertEqual(try db.scalarInt("SELECT max(par) FROM planogram_slots"), 8)
            XCTAssertEqual(
                try db.scalarInt("SELECT count(*) FROM planogram_slots WHERE product_id = 'cvd-1'"),
                0
            )
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales"), Int64(r.salesUnitsWritten))
            XCTAssertEqual(try db.scalarInt("SELECT sum(units) FROM sales_daily"), Int64(r.salesUnitsWritten))
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM services"), Int64(r.fillsWritten))
        }
        // Sales without a slot: shared among the slots holding the product; those whose product is in no slot
        // now are reported by device and product, with their rows and units.
        XCTAssertEqual(r.salesRows, 2731)
        XCTAssertGreaterThan(r.salesUnitsWritten, 0)
        XCTAssertGreaterThan(r.salesLeftOut, 0)
        let listedRows = r.salesLeftOutListed.compactMap { Int($0.item.split(separator: " ").first ?? "") }.reduce(0, +)
        XCTAssertLessThanOrEqual(listedRows, r.salesLeftOut)
        XCTAssertTrue(r.salesLeftOutListed.allSatisfy { $0.reason.contains("is in none of") })
        XCTAssertGreaterThan(r.fillsWritten, 0)
        // Every DEX read goes through the reader; none is linked (CVD keeps no serial on its devices): reported.
        XCTAssertEqual(r.dexReadsRecorded, 0)
        XCTAssertEqual(r.dexReadsLeftOut.count, 23)
        XCTAssertTrue(
            r.dexReadsLeftOut.allSatisfy { $0.reason.hasPrefix("linked to no device") },
            "\(r.dexReadsLeftOut)"
        )
        XCTAssertFalse(r.assumptions.isEmpty)
    }

    func testASecondRunWritesNothingAndAReadWhoseSerialIsKnownIsRecorded() throws {
        let store = try Store(path: dir + "/n.db")
        let source = try CVDSource.read(path: Self.cvd)
        let first = try CVDMigration.run(source, into: store, clock: .utc, at: 1)
        func counts() throws -> [Int64] {
            try store.read { db in
                try ["devices", "cabinets", "products", "planogram_versions", "planogram_slots", "sales", "services"]
                    .map {
                        try db.scalarInt("SELECT count(*) FROM \($0)") ?? -1
                    }
            }
        }
        let before = try counts()
        // The operator says which device the Royal 660 is (as an import-dex --device of its read would).
        try store.write { db in
            _ = try db.run("INSERT INTO dex_serials(serial, device_id) VALUES ('0799139808', '999')", [])
        }
        let second = try CVDMigration.run(source, into: store, clock: .utc, at: 2)
        XCTAssertEqual(try counts(), before)
        XCTAssertTrue(second.alreadyMigrated)
        XCTAssertEqual(second.salesUnitsWritten, 0)
        XCTAssertEqual(second.fillsWritten, 0)
        XCTAssertEqual(second.planogramVersionsCreated, 0)
        XCTAssertGreaterThan(first.salesUnitsWritten, 0)
        XCTAssertEqual(second.dexReadsRecorded, 1, "three uploads of one Royal read are one read")
        XCTAssertEqual(second.dexReadsLeftOut.count, 20)
        try store.read { db in
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM dex_reads WHERE device_id = '999'"), 1)
        }
    }

    func testAFileThatIsNotACVDDatabaseIsRefusedAndNothingIsWritten() throws {
        let text = dir + "/notes.txt"
        try Data("not a database at all".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try CVDSource.read(path: text)) { error in
            XCTAssertEqual((error as? ExportRefusal)?.code, "not_cvd")
        }
        // An SQLite file of another application: the tables it lacks are named.
        let other = try Store(path: dir + "/other.db")
        _ = other
        XCTAssertThrowsError(try CVDSource.read(path: dir + "/other.db")) { error in
            let refusal = error as? ExportRefusal
            XCTAssertEqual(refusal?.code, "not_cvd")
            XCTAssertTrue(refusal?.missingColumns.contains("devices.asset") ?? false, "\(String(describing: refusal))")
            XCTAssertTrue(refusal?.missingColumns.contains("cabinet_configurations") ?? false)
        }
    }

    func testAnAdminUploadsTheDatabaseOverHTTP() throws {
        let s = try AppTestServer(fixtures: nil)
        defer { s.stop() }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.cvd))
        let c = try RawClientUpload(port: s.port)
        let refused = try c.post(
            "/api/import/cvd",
            token: s.token(.merchandiser),
            type: "application/octet-stream",
            body: Array(bytes)
        )
        XCTAssertEqual(refused.status, 403)
        let ok = try RawClientUpload(port: s.port).post(
            "/api/import/cvd",
            token: s.token(.admin),
            type: "application/octet-stream",
            body: Array(bytes)
        )
        XCTAssertEqual(ok.status, 200, String(decoding: ok.body, as: UTF8.self))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any])
        XCTAssertEqual((json["devices_migrated"] as? [String])?.count, 14)
        let junk = try RawClientUpload(port: s.port).post(
            "/api/import/cvd",
            token: s.token(.admin),
            type: "application/octet-stream",
            body: Array("hello".utf8)
        )
        XCTAssertEqual(junk.status, 422)
        let device = try s.request("GET", "/api/devices", token: s.token(.admin))
        XCTAssertEqual(device.status, 200)
        XCTAssertTrue(device.text.contains("Cafe New Location"))
        // A read placed on no device carries its serial; the admin links it to its device and migrates again.
        let leftOut = try XCTUnwrap(json["dex_reads_left_out"] as? [[String: Any]])
        XCTAssertTrue(leftOut.contains { $0["serial"] as? String == "0799139808" })
        let admin = s.token(.admin)
        func link(_ device: String, _ body: [String: Any], token: String) throws -> APIResponse {
            try s.request("PUT", "/api/devices/\(device)/dex-serial", token: token, json: body)
        }
        XCTAssertEqual(try link("999", ["serial": "0799139808"], token: s.token(.merchandiser)).status, 403)
        XCTAssertEqual(try link("999", ["serial": "  "], token: admin).status, 400)
        XCTAssertEqual(try link("999", [:], token: admin).status, 400)
        XCTAssertEqual(try link("NOPE", ["serial": "0799139808"], token: admin).status, 404)
        let linked = try link("999", ["serial": " 0799139808 "], token: admin)
        XCTAssertEqual(linked.status, 200, linked.text)
        XCTAssertEqual(linked.json["serial"] as? String, "0799139808")
        XCTAssertEqual(try link("999", ["serial": "0799139808"], token: admin).status, 200, "linked again: the same")
        let other = try XCTUnwrap((json["devices_migrated"] as? [String])?.first { $0 != "999" })
        let taken = try link(other, ["serial": "0799139808"], token: admin)
        XCTAssertEqual(taken.status, 409)
        XCTAssertEqual(
            (taken.json["error"] as? [String: Any]).flatMap { $0["details"] as? [String: Any] }?["device_id"]
                as? String,
            "999"
        )
        let again = try RawClientUpload(port: s.port).post(
            "/api/import/cvd",
            token: admin,
            type: "application/octet-stream",
            body: Array(bytes)
        )
        XCTAssertEqual(again.status, 200)
        let second = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(again.body)) as? [String: Any])
        XCTAssertEqual(second["dex_reads_recorded"] as? Int, 1)
        let reads = try s.request("GET", "/api/devices/999/dex", token: admin)
        XCTAssertEqual((reads.json["reads"] as? [[String: Any]])?.first?["machine_serial"] as? String, "0799139808")
    }
}

/// A binary upload on a fresh connection (AppTestServer's request sends text bodies).
struct RawClientUpload {
    let port: Int

    init(port: Int) throws { self.port = port }

    func post(_ path: String, token: String, type: String, body: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        let c = try RawClient(port: port, timeout: 30)
        let head =
            "POST \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: \(type)\r\nContent-Length: \(body.count)\r\n\r\n"
        c.send(Array(head.utf8) + body)
        let r = try c.readResponse()
        return (r.status, r.body)
    }
}

import DEX
import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import Store
import XCTest

/// Forecasts for machines with little or coarse history (docs/MODELS.md "Sparse slots"): a machine with no
/// sales yet stands on its venue's rates and says so; a machine known only from DEX reads is forecast from the
/// counts between its reads.
final class NewMachineForecastTests: XCTestCase {
    static let dex = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/dex/Royal_660.txt")

    /// Adds device `id` (an office machine) with one 1 × 3 ambient cabinet holding two products of the fleet.
    func addMachine(_ s: AppTestServer, _ id: String) throws -> [String] {
        let admin = s.token(.admin)
        let products = try XCTUnwrap(
            s.request("GET", "/api/products", token: admin).json["products"] as? [[String: Any]]
        )
        let two = products.filter { $0["temperature"] as? String == "ambient" && $0["width_cols"] as? Int == 1 }
            .prefix(2).compactMap { $0["product_id"] as? String }
        XCTAssertEqual(two.count, 2)
        let files: [String: String] = [
            "devices.csv":
                "device_id,name,venue_type,latitude,longitude,device_type\n\(id),New lobby,office,52.5,13.4,snack\n",
            "cabinets.csv":
                "device_id,cabinet_index,temperature,rows,columns,row_heights_mm\n\(id),0,ambient,1,3,250\n",
            "planograms.csv":
                "device_id,cabinet_index,effective_from,slot,product_id,capacity\n\(id),0,2020-01-01,A1,\(two[0]),8\n\(id),0,2020-01-01,A2,\(two[1]),8\n",
        ]
        let r = try s.request("POST", "/api/import", token: admin, json: ["files": files])
        XCTAssertEqual(r.status, 200, r.text)
        return two
    }

    func testAMachineWithNoSalesYetIsForecastAtItsVenuesRatesAndSaysSo() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        _ = try addMachine(s, "NEW-1")
        try s.server.insights.rebuild()
        let f = try s.request("GET", "/api/devices/NEW-1/forecast?days=7", token: s.token(.manager))
        XCTAssertEqual(f.status, 200, f.text)
        XCTAssertEqual(f.json["history_resolution"] as? String, "none")
        XCTAssertEqual(f.json["demand_model"] as? String, "venue_rates")
        let slots = try XCTUnwrap(f.json["slots"] as? [[String: Any]])
        XCTAssertEqual(slots.count, 2)
        for slot in slots {
            XCTAssertGreaterThan(slot["expected_units"] as? Double ?? 0, 0, "never a silent zero")
            XCTAssertEqual(slot["stock_basis"] as? String, "unknown")
            XCTAssertTrue(slot["stock_now"] is NSNull)
        }
        // A machine with years of vends keeps the count model.
        let old = try s.request("GET", "/api/devices/VM-001/forecast?days=7", token: s.token(.manager))
        XCTAssertEqual(old.json["history_resolution"] as? String, "vends")
        XCTAssertEqual(old.json["demand_model"] as? String, "count_model")
    }

    func testAMachineSilentForMonthsIsForecastAsOfItsLastRecordNeverAsAZeroOrA500() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        // Thirty days of sales in January 2022, then nothing: the rest of the fleet runs years later.
        var csv = "Device ID,TransDate,Product,RPrice,RQty\n"
        for day in 1...30 {
            csv += "GAP-1,2022-01-\(String(format: "%02d", day)),Tea,2,\(1 + day % 3)\n"
            if day % 2 == 0 { csv += "GAP-1,2022-01-\(String(format: "%02d", day)),Coffee,2.5,1\n" }
        }
        let mapping =
            #"{"device":"Device ID","time":"TransDate","time_format":"yyyy-MM-dd","product":"Product","price":"RPrice","quantity":"RQty"}"#
        let r = try s.request(
            "POST",
            "/api/import/transactions?format=" + mapping.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            token: s.token(.admin),
            body: csv,
            contentType: "text/csv"
        )
        XCTAssertEqual(r.status, 200, r.text)
        try s.server.insights.rebuild()
        let f = try s.request("GET", "/api/devices/GAP-1/forecast?days=7", token: s.token(.manager))
        XCTAssertEqual(f.status, 200, f.text)
        XCTAssertEqual(f.json["as_of"] as? String, "2022-01-31T00:00:00Z", "the answer says when its data ends")
        XCTAssertEqual(f.json["history_resolution"] as? String, "days")
        XCTAssertEqual(f.json["demand_model"] as? String, "pooled_slot_levels")
        let slots = try XCTUnwrap(f.json["slots"] as? [[String: Any]])
        XCTAssertEqual(slots.count, 2)
        let tea = try XCTUnwrap(slots.first { $0["product_id"] as? String == "tea" }?["units_per_day"] as? Double)
        let coffee = try XCTUnwrap(slots.first { $0["product_id"] as? String == "coffee" }?["units_per_day"] as? Double)
        // Tea sold about 2 a day, coffee one every other day: pooled, in that order, neither a silent zero.
        XCTAssertGreaterThan(tea, coffee)
        XCTAssertGreaterThan(coffee, 0.2)
        XCTAssertLessThan(tea, 2.5)
    }

    func testAMachineKnownOnlyFromItsDEXReadsIsForecastFromTheCountsBetweenThem() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        _ = try addMachine(s, "NEW-2")
        let store = try Store(path: s.directory + "/test.db")
        // The fleet's last day of sales: the reads are three and one weeks before it.
        let last = try XCTUnwrap(try store.read { db in try db.scalarInt("SELECT max(ts) FROM sales") })
        try store.saveSelectionMap(
            deviceID: "NEW-2",
            [
                SelectionSlot(cabinetIndex: 0, selection: "1", slot: "A1"),
                SelectionSlot(cabinetIndex: 0, selection: "2", slot: "A2"),
            ]
        )
        var lines = String(decoding: try Data(contentsOf: Self.dex), as: UTF8.self).split(separator: "\n").map(
            String.init
        )
        let catalog = try store.loadCatalog()
        for (at, extra) in [(last - 21 * 86_400, 0), (last - 7 * 86_400, 14)] {
            lines = lines.map {
                $0.hasPrefix("PA2*28770*")
                    ? $0.replacingOccurrences(of: "PA2*28770*", with: "PA2*\(28770 + extra)*") : $0
            }
            let o = try DEXRecording.record(
                CRC16ARC.stamped(lines),
                deviceID: "NEW-2",
                store: store,
                catalog: catalog,
                clock: .utc,
                by: "test",
                receivedAt: at,
                at: at
            )
            XCTAssertTrue(o.recorded)
        }
        try s.server.insights.rebuild()
        let f = try s.request("GET", "/api/devices/NEW-2/forecast?days=14", token: s.token(.manager))
        XCTAssertEqual(f.status, 200, f.text)
        XCTAssertEqual(f.json["history_resolution"] as? String, "intervals")
        XCTAssertEqual(f.json["demand_model"] as? String, "pooled_slot_levels")
        let slots = try XCTUnwrap(f.json["slots"] as? [[String: Any]])
        let a1 = try XCTUnwrap(slots.first { $0["slot"] as? String == "A1" }?["expected_units"] as? Double)
        let a2 = try XCTUnwrap(slots.first { $0["slot"] as? String == "A2" }?["expected_units"] as? Double)
        // A1 sold 14 in 14 days between the reads, A2 none: pooled, A1 sells more and A2 is not a silent zero.
        XCTAssertGreaterThan(a1, a2)
        XCTAssertGreaterThan(a2, 0)
        XCTAssertLessThan(a1, 14 * 1.5)
    }
}

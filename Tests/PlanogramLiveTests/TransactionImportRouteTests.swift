import Foundation
import HTTPAPI
import HTTPTestClient
import Store
import XCTest

/// `POST /api/import/transactions` (docs/formats/EXPORTS.md) with the real ePort export of Fixtures/exports, and
/// the forecasts the server then serves for those machines: days kept as days, stock unknown and said so.
final class TransactionImportRouteTests: XCTestCase {
    static let eport = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/exports/eport_nj_2022_jan_apr.csv")

    func testTheRealExportImportsAndItsMachinesAreForecastWithUnknownStockNeverAsEmpty() throws {
        let s = try AppTestServer(fixtures: nil)
        defer { s.stop() }
        let admin = s.token(.admin)
        let csv = String(decoding: try Data(contentsOf: Self.eport), as: UTF8.self)
        let r = try s.request(
            "POST",
            "/api/import/transactions?format=eport",
            token: admin,
            body: csv,
            contentType: "text/csv"
        )
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json["rows_read"] as? Int, 2473)
        XCTAssertEqual(r.json["imported"] as? Int, 2470)
        XCTAssertEqual(r.json["skipped"] as? Int, 3)
        XCTAssertEqual(r.json["resolution"] as? String, "day")
        XCTAssertEqual((r.json["skipped_rows"] as? [[String: Any]])?.first?["reason"] as? String, "no product")
        XCTAssertEqual((r.json["devices_created"] as? [String])?.count, 5)
        // The same export again writes nothing.
        let again = try s.request(
            "POST",
            "/api/import/transactions?format=eport",
            token: admin,
            body: csv,
            contentType: "text/csv"
        )
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.json["imported"] as? Int, 0)
        XCTAssertEqual(again.json["already_recorded"] as? Int, 2470)

        try s.server.insights.rebuild()
        var shownEmpty = 0
        var slots = 0
        for device in ["VJ300205292", "VJ300320609", "VJ300320611", "VJ300320686", "VJ300320692"] {
            let f = try s.request("GET", "/api/devices/\(device)/forecast?days=7", token: admin)
            XCTAssertEqual(f.status, 200, f.text)
            XCTAssertEqual(f.json["history_resolution"] as? String, "days")
            XCTAssertEqual(f.json["demand_model"] as? String, "pooled_slot_levels")
            // As of the end of the machine's last day of sales (2022-04-29 or -30), not today.
            let asOf = f.json["as_of"] as? String ?? ""
            XCTAssertTrue(["2022-04-30T00:00:00Z", "2022-05-01T00:00:00Z"].contains(asOf), asOf)
            let list = try XCTUnwrap(f.json["slots"] as? [[String: Any]])
            XCTAssertFalse(list.isEmpty)
            for slot in list {
                slots += 1
                XCTAssertEqual(slot["stock_basis"] as? String, "unknown")
                XCTAssertTrue(slot["stock_now"] is NSNull, "\(slot)")
                XCTAssertTrue(slot["stockout_probability"] is NSNull, "\(slot)")
                XCTAssertTrue(slot["empty_at"] is NSNull, "\(slot)")
                if (slot["stock_now"] as? Int) == 0 || (slot["stockout_probability"] as? Double) == 1 {
                    shownEmpty += 1
                }
                XCTAssertGreaterThan(slot["expected_units"] as? Double ?? 0, 0, "a selling machine's slot")
            }
        }
        XCTAssertEqual(shownEmpty, 0)
        XCTAssertGreaterThan(slots, 100)
    }

    func testALargeExportRunsAsAJobWhoseResultIsTheReport() throws {
        let s = try AppTestServer(fixtures: nil)
        defer { s.stop() }
        let admin = s.token(.admin)
        let csv = String(decoding: try Data(contentsOf: Self.eport), as: UTF8.self)
        let r = try s.request(
            "POST",
            "/api/import/transactions?format=eport&job=true",
            token: admin,
            body: csv,
            contentType: "text/csv"
        )
        XCTAssertEqual(r.status, 202, r.text)
        let id = try XCTUnwrap(r.json["job_id"] as? String)
        let events = try jobEvents(s.port, id, token: admin)
        let done = try XCTUnwrap(events.last)
        XCTAssertEqual(done.event, "done")
        let result = try XCTUnwrap(eventJSON(done)["result"] as? [String: Any])
        XCTAssertEqual(result["imported"] as? Int, 2470)
        XCTAssertTrue(events.contains { $0.event == "progress" })
    }

    func testWhatIsRefusedSaysWhyAndWritesNothing() throws {
        let s = try AppTestServer(fixtures: nil)
        defer { s.stop() }
        let admin = s.token(.admin)
        let path = "/api/import/transactions?format=eport"
        // Not an admin.
        let driver = try s.request("POST", path, token: s.token(.driver), body: "a,b\n", contentType: "text/csv")
        XCTAssertEqual(driver.status, 403)
        // Not CSV.
        XCTAssertEqual(try s.request("POST", path, token: admin, json: ["a": 1]).status, 415)
        // No format, or one that is neither the preset nor a mapping.
        let noFormat = try s.request(
            "POST",
            "/api/import/transactions",
            token: admin,
            body: "a\n",
            contentType: "text/csv"
        )
        XCTAssertEqual(noFormat.status, 400)
        let odd = try s.request(
            "POST",
            "/api/import/transactions?format=nayax",
            token: admin,
            body: "a\n",
            contentType: "text/csv"
        )
        XCTAssertEqual(odd.status, 400)
        XCTAssertEqual(
            try s.request("POST", path + "&strict=maybe", token: admin, body: "a\n", contentType: "text/csv").status,
            400
        )
        // Columns that match neither the preset nor the mapping: 422 naming them.
        let columns = try s.request(
            "POST",
            path,
            token: admin,
            body: "Date,Machine,Item\n2022-01-01,M1,Chips\n",
            contentType: "text/csv"
        )
        XCTAssertEqual(columns.status, 422, columns.text)
        XCTAssertEqual(columns.errorCode, "export_columns")
        let details = (columns.json["error"] as? [String: Any])?["details"] as? [String: Any]
        XCTAssertEqual((details?["missing_columns"] as? [String])?.first, "Device ID")
        // A mapping that names a column the export lacks.
        let mapping = #"{"device":"Machine","time":"When","time_format":"yyyy-MM-dd","product":"Item","price":"Price"}"#
        let named = try s.request(
            "POST",
            "/api/import/transactions?format=" + mapping.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            token: admin,
            body: "Date,Machine,Item,Price\n2022-01-01,M1,Chips,1.5\n",
            contentType: "text/csv"
        )
        XCTAssertEqual(named.status, 422, named.text)
        XCTAssertTrue(named.text.contains("When"))
        // --strict with a row that cannot be used.
        let csv = String(decoding: try Data(contentsOf: Self.eport), as: UTF8.self)
        let strict = try s.request("POST", path + "&strict=true", token: admin, body: csv, contentType: "text/csv")
        XCTAssertEqual(strict.status, 422)
        XCTAssertEqual(strict.errorCode, "export_rows_refused")
        // Nothing of any of them was written.
        try Store(path: s.directory + "/test.db").read { db in
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM devices"), 0)
            XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sales_days"), 0)
        }
    }
}

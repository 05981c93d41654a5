import DEX
import Foundation
import HTTPAPI
import HTTPTestClient
import XCTest

/// DEX reads into the history over HTTP (docs/formats/DEX.md): real reads from Fixtures/dex, second reads made
/// from them by adding vends (checksum written anew), and reads made wrong.
final class DEXRoutesTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/dex")

    func lines(_ name: String) throws -> [String] {
        var l = String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent(name)), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }

    /// The read with `add` vends on each named selection's PA201 and PA203 (and their values), stamped anew.
    func more(_ base: [String], _ add: [String: Int], price: [String: Int] = [:]) -> [String] {
        var out: [String] = []
        var current: String?
        for line in base {
            var f = line.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            if f[0] == "PA1" {
                current = f[1]
                if let p = price[f[1]] { f[2] = String(p) }
            } else if f[0] == "PA2", let c = current, let n = add[c] {
                for k in [1, 3] where k < f.count { f[k] = String((Int(f[k]) ?? 0) + n) }
            }
            out.append(f.joined(separator: "*"))
        }
        return out
    }

    func post(_ s: AppTestServer, _ device: String, _ bytes: [UInt8], token: String) throws -> APIResponse {
        try s.request(
            "POST",
            "/api/devices/\(device)/dex",
            token: token,
            body: String(decoding: bytes, as: UTF8.self),
            contentType: "text/plain"
        )
    }

    func testADevicesReadsAreListedNewestFirstWithTheSelectionsNoSlotIsMappedTo() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let dan = s.token(.driver, sub: "dan", devices: ["VM-001"])
        XCTAssertEqual(try post(s, "VM-001", CRC16ARC.stamped(try lines("Royal_660.txt")), token: dan).status, 201)
        let list = try s.request("GET", "/api/devices/VM-001/dex", token: dan)
        XCTAssertEqual(list.status, 200, list.text)
        let reads = try XCTUnwrap(list.json["reads"] as? [[String: Any]])
        XCTAssertEqual(reads.count, 1)
        let selections = try XCTUnwrap(reads[0]["selections"] as? [String])
        XCTAssertEqual(selections.count, 9)
        let map = try s.request("GET", "/api/devices/VM-001/selections", token: dan).json
        let mapped = Set((map.values.compactMap { $0 as? [String: Any] }).flatMap { $0.keys })
        XCTAssertEqual(Set(try XCTUnwrap(reads[0]["unmapped"] as? [String])), Set(selections).subtracting(mapped))
        // Every selection mapped by hand: none is left unmapped.
        let device = try s.request("GET", "/api/devices/VM-001", token: dan).json
        let columns = try XCTUnwrap((device["cabinets"] as? [[String: Any]])?.first?["columns"] as? Int)
        let all: [String: [String]] = Dictionary(
            uniqueKeysWithValues: selections.enumerated().map { i, sel in
                (sel, [String(UnicodeScalar(UInt8(65 + i / columns))) + String(i % columns + 1)])
            }
        )
        let put = try s.request("PUT", "/api/devices/VM-001/selections", token: s.token(.admin), json: ["0": all])
        XCTAssertEqual(put.status, 200, put.text)
        let after = try s.request("GET", "/api/devices/VM-001/dex?limit=1", token: dan)
        XCTAssertEqual((after.json["reads"] as? [[String: Any]])?.first?["unmapped"] as? [String], [])
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-001/dex?limit=0", token: dan).status, 400)
        XCTAssertEqual(try s.request("GET", "/api/devices/VM-002/dex", token: dan).status, 403)
    }

    func testAReadIsRecordedOnceAndTheNextOneBecomesIntervalSales() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let dan = s.token(.driver, sub: "dan", devices: ["VM-001"])
        let first = try lines("Royal_660.txt")
        let r1 = try post(s, "VM-001", CRC16ARC.stamped(first), token: dan)
        XCTAssertEqual(r1.status, 201, r1.text)
        XCTAssertEqual(r1.json["recorded"] as? Bool, true)
        XCTAssertEqual(r1.json["machine_serial"] as? String, "0799139808")
        XCTAssertEqual(r1.json["read_at_basis"] as? String, "received", "the Royal read carries no date")
        XCTAssertTrue((r1.json["warnings"] as? [String] ?? []).contains { $0.contains("no date") })
        let sel = try XCTUnwrap(r1.json["selections"] as? [[String: Any]])
        XCTAssertEqual(sel.count, 9)
        XCTAssertEqual(sel[0]["price"] as? Double, 1.0)
        XCTAssertEqual(sel[0]["vends_total"] as? Int, 28770)
        XCTAssertTrue(sel[0]["vends_since_previous"] is NSNull, "a first read has no interval")
        // The same read again (LF instead of CR LF, a banner before it): the same read, nothing written.
        let again = try post(
            s,
            "VM-001",
            Array(("READER v1\n" + first.joined(separator: "\n") + "\n").utf8),
            token: dan
        )
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.json["recorded"] as? Bool, false)
        XCTAssertEqual(again.json["read_id"] as? String, r1.json["read_id"] as? String)
        XCTAssertEqual(try s.server.store.dexReads(deviceID: "VM-001").count, 1)
        // A second read: 7 more vends on selection 1, 3 on selection 2, and a new price on 5.
        // No pause: reads timed by their arrival in the same second still keep their order.
        let r2 = try post(s, "VM-001", CRC16ARC.stamped(more(first, ["1": 7, "2": 3], price: ["5": 150])), token: dan)
        XCTAssertEqual(r2.status, 201, r2.text)
        let sold = Dictionary(
            uniqueKeysWithValues: (r2.json["selections"] as? [[String: Any]] ?? []).map {
                ($0["selection"] as! String, $0["vends_since_previous"])
            }
        )
        XCTAssertEqual(sold["1"] as? Int, 7)
        XCTAssertEqual(sold["2"] as? Int, 3)
        XCTAssertEqual(sold["6"] as? Int, 0, "no vends is zero, known")
        XCTAssertTrue(
            (r2.json["warnings"] as? [String] ?? []).contains { $0.contains("selection 5: price 1.25 → 1.5") },
            r2.text
        )
        let intervals = try s.server.store.dexIntervals(deviceID: "VM-001")
        XCTAssertEqual(intervals.count, 9)
        XCTAssertEqual(intervals.first { $0.selection == "1" }?.units, 7)
        XCTAssertTrue(intervals.allSatisfy { $0.toTs > $0.fromTs })
        // A reset: the totals go down; the since-reset counters still tell selection 1, not selection 2 (built
        // from the first read, both its counters are below the second read's).
        Thread.sleep(forTimeInterval: 1.1)
        var reset = more(first, ["1": 9])
        reset = reset.map { line in
            var f = line.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            // Selection 1: its total reset, its since-reset counter 28777 (+9 on the first read's).
            if f[0] == "PA2", f[1] == "28779" { f[1] = "9" }
            return f.joined(separator: "*")
        }
        let r3 = try post(s, "VM-001", CRC16ARC.stamped(reset), token: dan)
        XCTAssertEqual(r3.status, 201, r3.text)
        let third = Dictionary(
            uniqueKeysWithValues: (r3.json["selections"] as? [[String: Any]] ?? []).map {
                ($0["selection"] as! String, $0["vends_since_previous"])
            }
        )
        XCTAssertEqual(third["1"] as? Int, 2, "since-reset counter: 28777 - 28775")
        XCTAssertTrue(third["2"] is NSNull, "both counters went down: unknown, not a guess")
        XCTAssertTrue(
            (r3.json["warnings"] as? [String] ?? []).contains { $0.contains("unknown for 1 selection") },
            r3.text
        )
    }

    func testTheSelectionMapIsDetectedAndEditable() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let admin = s.token(.admin)
        // AMS numbers its selections 10–67: tens digit the row, units digit the column (VM-001's cabinet 0 is 6 x 8).
        let r = try post(s, "VM-001", CRC16ARC.stamped(try lines("AMS_39_VCF.txt")), token: admin)
        XCTAssertEqual(r.status, 201, r.text)
        let bySelection = Dictionary(
            uniqueKeysWithValues: (r.json["selections"] as? [[String: Any]] ?? []).map {
                (
                    $0["selection"] as! String,
                    ($0["slots"] as? [[String: Any]] ?? []).compactMap { $0["slot"] as? String }
                )
            }
        )
        XCTAssertEqual(bySelection["10"], ["A1"])
        XCTAssertEqual(bySelection["12"], ["A3"])
        XCTAssertEqual(bySelection["28"], [], "column 9 is outside an 8-column cabinet")
        XCTAssertTrue((r.json["unmapped"] as? [String] ?? []).contains("28"))
        let map = try s.request("GET", "/api/devices/VM-001/selections", token: s.token(.driver, devices: ["VM-001"]))
        XCTAssertEqual(map.status, 200)
        XCTAssertEqual(((map.json["0"] as? [String: [String]])?["10"]), ["A1"])
        // The operator fixes it: selection 28 feeds B8 and C8.
        var edited = (map.json["0"] as? [String: [String]]) ?? [:]
        edited["28"] = ["b8", "C8"]
        let put = try s.request(
            "PUT",
            "/api/devices/VM-001/selections",
            token: s.token(.merchandiser),
            json: ["0": edited]
        )
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual(((put.json["0"] as? [String: [String]])?["28"])?.sorted(), ["B8", "C8"])
        // A slot outside the cabinet, a cabinet the device lacks: 422, the map unchanged.
        for bad in [["0": ["28": ["Z9"]]], ["4": ["28": ["A1"]]]] {
            XCTAssertEqual(try s.request("PUT", "/api/devices/VM-001/selections", token: admin, json: bad).status, 422)
        }
        XCTAssertEqual(
            try s.server.store.selectionMap(deviceID: "VM-001").filter { $0.selection == "28" }.map(\.slot).sorted(),
            ["B8", "C8"]
        )
        XCTAssertEqual(
            try s.request("PUT", "/api/devices/VM-001/selections", token: s.token(.driver), json: ["0": edited]).status,
            403
        )
    }

    func testBadReadsAreRefusedAndWriteNothing() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let dan = s.token(.driver, sub: "dan", devices: ["VM-001"])
        let royal = try lines("Royal_660.txt")
        // A vend added without a new checksum.
        let tampered = Array(
            (royal.map {
                $0.hasPrefix("PA2*28770*") ? $0.replacingOccurrences(of: "PA2*28770*", with: "PA2*28771*") : $0
            }
            .joined(separator: "\r\n") + "\r\n").utf8
        )
        for (bytes, record) in [
            (tampered, "G85"), (Array("not a read\n".utf8), "DXS"),
            (Array(royal.prefix(20).joined(separator: "\n").utf8), "DXE"),
        ] {
            let r = try post(s, "VM-001", bytes, token: dan)
            XCTAssertEqual(r.status, 422, r.text)
            XCTAssertEqual(r.errorCode, "bad_dex")
            let details = (r.json["error"] as? [String: Any])?["details"] as? [String: Any]
            XCTAssertEqual(details?["record"] as? String, record)
            XCTAssertNotNil(details?["line"] as? Int)
        }
        XCTAssertEqual(try s.server.store.dexReads(deviceID: "VM-001").count, 0)
        XCTAssertEqual(
            try post(s, "VM-002", CRC16ARC.stamped(royal), token: dan).status,
            403,
            "a device outside the driver's token"
        )
        XCTAssertEqual(try post(s, "VM-009", CRC16ARC.stamped(royal), token: s.token(.admin)).status, 404)
        XCTAssertEqual(try post(s, "VM-001", CRC16ARC.stamped(royal), token: s.token(.manager)).status, 403)
        let json = try s.request("POST", "/api/devices/VM-001/dex", token: dan, json: ["read": "x"])
        XCTAssertEqual(json.status, 415)
        // One machine's reads belong to one device.
        XCTAssertEqual(try post(s, "VM-001", CRC16ARC.stamped(royal), token: dan).status, 201)
        let other = try post(s, "VM-002", CRC16ARC.stamped(more(royal, ["1": 1])), token: s.token(.admin))
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertEqual(other.errorCode, "serial_mismatch")
    }
}

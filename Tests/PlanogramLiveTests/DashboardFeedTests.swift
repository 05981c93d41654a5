import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import XCTest

/// The managers' live list of sessions over SSE, and the demo sign-in list.
class DashboardFeedTests: XCTestCase {
    func sessions(_ stream: SessionStream) throws -> [[String: Any]] {
        for _ in 0..<50 {
            let e = try stream.next()
            if e.event == "sessions" { return stream.json(e)["sessions"] as? [[String: Any]] ?? [] }
        }
        throw RawClient.Failure(description: "no sessions event")
    }

    func testTheListUpdatesWhenSessionsAndParticipantsChangeAndHonoursTheDevicesClaim() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let all = try SessionStream(
            port: s.port,
            sid: "",
            token: s.token(.manager, sub: "max"),
            path: "/api/sessions/events"
        )
        let scoped = try SessionStream(
            port: s.port,
            sid: "",
            token: s.token(.manager, sub: "meg", devices: ["VM-002"]),
            path: "/api/sessions/events"
        )
        XCTAssertEqual(try sessions(all).count, 0)
        XCTAssertEqual(try sessions(scoped).count, 0)
        _ = try s.openSession("VM-001", 0)
        _ = try s.openSession("VM-002", 0)
        var list = try sessions(all)
        while list.count < 2 { list = try sessions(all) }
        XCTAssertEqual(list.map { $0["session_id"] as? String }, ["VM-001~0", "VM-002~0"])
        var mine = try sessions(scoped)
        while mine.isEmpty { mine = try sessions(scoped) }
        XCTAssertEqual(mine.map { $0["session_id"] as? String }, ["VM-002~0"], "only the devices of the claim")
        // Someone joins VM-001: the next list names them.
        let editor = try SessionStream(port: s.port, sid: "VM-001~0", token: s.token(.merchandiser, sub: "ann"))
        _ = try editor.until("snapshot")
        var names: [String] = []
        for _ in 0..<10 where names.isEmpty {
            let first = try sessions(all).first { $0["session_id"] as? String == "VM-001~0" }
            names = (first?["participants"] as? [[String: Any]] ?? []).compactMap { $0["user"] as? String }
        }
        XCTAssertEqual(names, ["ann"])
        // Drivers may not watch.
        let r = try s.request("GET", "/api/sessions/events", token: s.token(.driver))
        XCTAssertEqual(r.status, 403)
    }

    func testDemoTokensAreListedOnlyInDemoMode() throws {
        let plain = try AppTestServer()
        defer { plain.stop() }
        XCTAssertEqual(try plain.request("GET", "/api/demo/tokens").status, 404)
        let demo = try AppTestServer { $0.demo = true }
        defer { demo.stop() }
        let r = try demo.request("GET", "/api/demo/tokens")
        XCTAssertEqual(r.status, 200)
        let tokens = try XCTUnwrap(r.json["tokens"] as? [[String: Any]])
        XCTAssertEqual(
            tokens.compactMap { $0["role"] as? String }.sorted(),
            ["admin", "driver", "manager", "merchandiser"]
        )
        let manager = try XCTUnwrap(tokens.first { $0["role"] as? String == "manager" }?["token"] as? String)
        XCTAssertEqual(try demo.request("GET", "/api/sessions", token: manager).status, 200)
    }
}

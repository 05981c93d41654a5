import Foundation
import HTTPTestClient
import XCTest

/// The real executable as a child process: start, serve, and stop on a signal.
final class ProcessTests: XCTestCase {
    func testSIGTERMDrainsClosesConnectionsAndExitsZero() throws {
        let dir = NSTemporaryDirectory() + "proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let child = try ChildServer.serve(db: dir + "/p.db")
        defer { child.kill() }
        let health = try RawClient(port: child.port)
        health.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try health.readResponse().status, 200)
        // An idle keep-alive connection is closed by the drain; the process exits 0 within the grace.
        // (Streams ending with a final `shutdown` event are covered by the engine's ShutdownTests.)
        let started = Date()
        child.signal(SIGTERM)
        XCTAssertTrue(child.waitForExit(timeout: 10), "exited after SIGTERM")
        XCTAssertEqual(child.process.terminationReason, .exit)
        XCTAssertEqual(child.process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(health.waitForClose())
    }

    func testDemoModePrintsATokenPerRoleThatTheServerAccepts() throws {
        let dir = NSTemporaryDirectory() + "proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let child = try ChildServer.serve(db: dir + "/p.db", extra: ["--demo"])
        defer { child.stop() }
        child.waitForOutput(timeout: 10) { $0.contains("admin ") }
        let text = child.output
        for role in ["merchandiser", "manager", "driver", "admin"] {
            let line = try XCTUnwrap(
                text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(role + " ") },
                text
            )
            let token = String(line.split(separator: " ").last!)
            let c = try RawClient(port: child.port)
            c.send("GET /api/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
            XCTAssertEqual(try c.readResponse().status, 200, role)
        }
    }
}

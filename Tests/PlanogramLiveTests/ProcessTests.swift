import Foundation
import HTTPTestClient
import XCTest

/// The real executable as a child process: start, serve, and stop on a signal.
final class ProcessTests: XCTestCase {
    static var binary: String {
        let dir = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent().path ?? ".build/debug"
        return dir + "/planogram-live"
    }

    /// Starts `planogram-live serve` on a free port and returns it with the port it logged.
    static func start(db: String, extra: [String] = []) throws -> (Process, Int, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--port", "0", "--db", db, "--fixtures", TestFleet.directory, "--web", NSTemporaryDirectory()] + extra
        var env = ProcessInfo.processInfo.environment
        env["PLANOGRAM_SECRET"] = AppTestServer.secret
        env["PLANOGRAM_SHUTDOWN_GRACE_SECONDS"] = "3"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        // Read log lines until the "listening" one names the port.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   let port = Int(obj["port"] as? String ?? "") {
                    return (p, port, err)
                }
            }
        }
        p.terminate()
        throw RawClient.Failure(description: "server did not report a port: \(String(decoding: buffer, as: UTF8.self))")
    }

    func testSIGTERMDrainsClosesConnectionsAndExitsZero() throws {
        let dir = NSTemporaryDirectory() + "proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (p, port, _) = try Self.start(db: dir + "/p.db")
        let health = try RawClient(port: port)
        health.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try health.readResponse().status, 200)
        // An idle keep-alive connection is closed by the drain; the process exits 0 within the grace.
        // (Streams ending with a final `shutdown` event are covered by the engine's ShutdownTests.)
        let started = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(health.waitForClose())
    }

    func testDemoModePrintsATokenPerRoleThatTheServerAccepts() throws {
        let dir = NSTemporaryDirectory() + "proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (p, port, err) = try Self.start(db: dir + "/p.db", extra: ["--demo"])
        defer { p.terminate(); p.waitUntilExit() }
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("admin ") && Date() < deadline {
            text += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        for role in ["merchandiser", "manager", "driver", "admin"] {
            let line = try XCTUnwrap(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(role + " ") }, text)
            let token = String(line.split(separator: " ").last!)
            let c = try RawClient(port: port)
            c.send("GET /api/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
            XCTAssertEqual(try c.readResponse().status, 200, role)
        }
    }
}

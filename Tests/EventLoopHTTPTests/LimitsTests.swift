import EventLoopHTTP
import HTTPTestClient
import XCTest

final class LimitsTests: XCTestCase {
    func testOversizedHeadersGet431AndTheConnectionCloses() throws {
        let server = try TestServer { $0.parser.maxHeaderBytes = 1024 }
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 2000) + "\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 431)
        XCTAssertTrue(c.waitForClose())
        // Without an end of head in sight, the limit applies as the bytes arrive.
        let d = try server.client()
        d.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 2000))
        XCTAssertEqual(try d.readResponse().status, 431)
    }

    func testTooManyHeaderFieldsGet431() throws {
        let server = try TestServer { $0.parser.maxHeaderCount = 10 }
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n" + (0..<20).map { "X-\($0): 1\r\n" }.joined() + "\r\n")
        XCTAssertEqual(try c.readResponse().status, 431)
    }

    func testOversizedBodyGets413ForContentLengthAndChunked() throws {
        let server = try TestServer { $0.maxBodyBytes = 100 }
        defer { server.stop() }
        let c = try server.client()
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 413)
        XCTAssertTrue(r.text.contains("payload_too_large"))
        XCTAssertTrue(c.waitForClose())
        let d = try server.client()
        d.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n"
                + String(repeating: "x", count: 64) + "\r\n40\r\n" + String(repeating: "y", count: 64) + "\r\n0\r\n\r\n"
        )
        XCTAssertEqual(try d.readResponse().status, 413)
        // Exactly at the limit is fine.
        let e = try server.client()
        e.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "z", count: 100))
        XCTAssertEqual(try e.readResponse().body.count, 100)
    }

    func testRouteCanRaiseItsBodyLimit() throws {
        let server = try TestServer(configure: { $0.maxBodyBytes = 10 }) { router in
            router.post("/big", maxBodyBytes: 1000) { req, r in r.send(.text(200, "\(req.body.count)")) }
        }
        defer { server.stop() }
        let c = try server.client()
        c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + String(repeating: "q", count: 500))
        XCTAssertEqual(try c.readResponse().text, "500")
    }

    func testSlowHeaderIsTimedOutWith408() throws {
        let server = try TestServer { $0.requestReadTimeout = 0.3 }
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /hello HTTP/1.1\r\nHo")
        let start = Date()
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 408)
        XCTAssertTrue(c.waitForClose())
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testSlowBodyIsTimedOutWith408() throws {
        let server = try TestServer { $0.requestReadTimeout = 0.3 }
        defer { server.stop() }
        let c = try server.client()
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertEqual(try c.readResponse().status, 408)
    }

    func testIdleKeepAliveConnectionIsClosedSilently() throws {
        let server = try TestServer { $0.idleTimeout = 0.3 }
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        XCTAssertTrue(c.waitForClose())
        XCTAssertTrue(c.buffer.isEmpty)
        let silent = try server.client()
        XCTAssertTrue(silent.waitForClose())
    }

    func testConnectionsBeyondTheCapGet503() throws {
        let server = try TestServer { $0.maxConnections = 3 }
        defer { server.stop() }
        var held: [RawClient] = []
        for _ in 0..<3 {
            let c = try server.client()
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try c.readResponse().status, 200)
            held.append(c)
        }
        let extra = try server.client()
        let r = try extra.readResponse()
        XCTAssertEqual(r.status, 503)
        XCTAssertTrue(extra.waitForClose())
        held.removeAll()
        XCTAssertTrue(eventually { server.server.connectionCount == 0 })
        let again = try server.client()
        again.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try again.readResponse().status, 200)
    }

    func testMalformedRequestsGetAClearErrorAndAClosedConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let cases: [(String, Int)] = [
            ("GARBAGE\r\n\r\n", 400),
            ("GET /hello\r\nHost: x\r\n\r\n", 400),
            ("GET  /hello HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET /hello HTTP/1.x\r\nHost: x\r\n\r\n", 400),
            ("GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET /hello HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\n folded: 1\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nX: a\u{1}b\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", 413),
            ("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /a%FF HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /hello?x=%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417),
        ]
        for (raw, status) in cases {
            let c = try server.client()
            c.send(raw)
            let r = try c.readResponse()
            XCTAssertEqual(r.status, status, "for \(raw.debugDescription)")
            XCTAssertEqual(r.header("connection"), "close", "for \(raw.debugDescription)")
            XCTAssertTrue(r.text.hasPrefix("{\"error\":{\"code\":"), "for \(raw.debugDescription)")
            XCTAssertTrue(c.waitForClose(), "for \(raw.debugDescription)")
        }
        // The server is still fine.
        let ok = try server.client()
        ok.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try ok.readResponse().status, 200)
    }

    func testRandomGarbageNeverCrashesTheServer() throws {
        let server = try TestServer { $0.requestReadTimeout = 0.5 }
        defer { server.stop() }
        var rng = SplitMix(seed: 42)
        for _ in 0..<200 {
            let c = try server.client(timeout: 2)
            let n = Int(rng.next() % 300)
            c.send((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            c.shutdownWrite()
            _ = c.waitForClose()
        }
        let ok = try server.client()
        ok.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try ok.readResponse().status, 200)
    }
}

/// A small deterministic generator for randomized tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

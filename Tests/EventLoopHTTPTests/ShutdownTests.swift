import Dispatch
import EventLoopHTTP
import XCTest

final class ShutdownTests: XCTestCase {
    func testGracefulShutdownFinishesInFlightRequestsEndsStreamsAndStopsAccepting() throws {
        let server = try TestServer { $0.shutdownGrace = 5 }
        let stream = try server.client()
        stream.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try readStreamHead(stream)
        _ = try stream.readEvent()
        let idle = try server.client()
        idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try idle.readResponse().status, 200)
        let slow = try server.client()
        slow.send("GET /slow/400 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)  // the slow request is in its handler

        let finished = DispatchSemaphore(value: 0)
        let cleanly = Counter()
        let started = Date()
        server.server.finishShutdown(finalFrame: SSEFrame(event: "shutdown", data: "{}").bytes) { clean in
            if clean { cleanly.add() }
            finished.signal()
        }
        // The stream gets its final event, then the end.
        let last = try stream.readEvent()
        XCTAssertEqual(last.event, "shutdown")
        XCTAssertTrue(stream.waitForClose())
        // The idle keep-alive connection is closed.
        XCTAssertTrue(idle.waitForClose())
        // The request in flight is answered, and told the connection closes.
        let r = try slow.readResponse()
        XCTAssertEqual(r.text, "slow 400")
        XCTAssertEqual(r.header("connection"), "close")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(cleanly.value, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertThrowsError(try server.client(), "no longer accepting")
    }

    func testDrainingTurnsReadinessOffForRequestsStillArriving() throws {
        let server = try TestServer(extraRoutes: { router in
            router.get("/ready") { _, r in r.send(.text(200, "ready")) }
        })
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /slow/200 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        server.server.beginDrain()
        XCTAssertTrue(server.server.isDraining)
        let first = try c.readResponse()
        XCTAssertEqual(first.header("connection"), "close", "once draining, responses close their connection")
        XCTAssertTrue(c.waitForClose())
    }

    func testShutdownDeadlineClosesWhatRemains() throws {
        let server = try TestServer { $0.shutdownGrace = 0.3 }
        let c = try server.client()
        c.send("GET /slow/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        let done = DispatchSemaphore(value: 0)
        let clean = Counter()
        server.server.finishShutdown { ok in
            if ok { clean.add() }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 3), .success)
        XCTAssertEqual(clean.value, 0, "a request still running at the deadline makes the shutdown unclean")
        XCTAssertTrue(c.waitForClose())
    }
}

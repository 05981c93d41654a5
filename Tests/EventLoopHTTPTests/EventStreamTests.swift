import Dispatch
import EventLoopHTTP
import HTTPTestClient
import XCTest

final class EventStreamTests: XCTestCase {
    func testStreamHasSSEHeadersAndFramesIdEventRetryAndMultiLineData() throws {
        let server = try TestServer()
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        let head = try readStreamHead(c)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("content-type"), "text/event-stream")
        XCTAssertEqual(head.header("cache-control"), "no-cache")
        XCTAssertEqual(head.header("x-accel-buffering"), "no")
        // The retry line may arrive in a later packet than the head.
        while c.buffer.count < 12 && c.fill() {}
        XCTAssertTrue(String(decoding: c.buffer, as: UTF8.self).hasPrefix("retry: 1500\n"))
        let e = try c.readEvent()
        XCTAssertEqual(e, RawClient.Event(id: "1", event: "hello", data: "line one\nline two"))
        XCTAssertTrue(eventually { server.broadcaster.subscriberCountForTests(server.server) == 1 })
        server.broadcaster.publish(SSEFrame(id: "2", event: "op", data: "{\"a\":1}"))
        XCTAssertEqual(try c.readEvent(), RawClient.Event(id: "2", event: "op", data: "{\"a\":1}"))
    }

    func testFrameEncodingSplitsEveryKindOfLineBreakAndStripsThemFromIdAndEvent() {
        let f = SSEFrame(id: "7\n8", event: "a\rb", data: "x\r\ny\rz\nw")
        XCTAssertEqual(
            String(decoding: f.bytes, as: UTF8.self),
            "id: 78\nevent: ab\ndata: x\ndata: y\ndata: z\ndata: w\n\n"
        )
        XCTAssertEqual(String(decoding: SSEFrame(data: "").bytes, as: UTF8.self), "data: \n\n")
        XCTAssertEqual(String(decoding: SSEFrame(comment: "a\nb").bytes, as: UTF8.self), ": a\n: b\n\n")
    }

    func testLastEventIDComesFromHeaderOrQuery() throws {
        let server = try TestServer()
        defer { server.stop() }
        let a = try server.client()
        a.send("GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n")
        _ = try readStreamHead(a)
        let b = try server.client()
        b.send("GET /events?last_event_id=42 HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try readStreamHead(b)
        let c = try server.client()
        c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try readStreamHead(c)
        XCTAssertTrue(eventually { server.lastEventIDs.count == 3 })
        XCTAssertEqual(server.lastEventIDs, ["41", "42", nil])
    }

    func testHeartbeatCommentsKeepAQuietStreamAlive() throws {
        let server = try TestServer { $0.heartbeatInterval = 0.2 }
        defer { server.stop() }
        let c = try server.client()
        c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try readStreamHead(c)
        _ = try c.readEvent()
        let start = Date()
        let hb = try c.readEvent(comments: true)
        XCTAssertTrue(hb.comment)
        XCTAssertTrue(hb.data.hasPrefix(":"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testBroadcastReachesAThousandSubscribersInOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        var clients: [RawClient] = []
        for _ in 0..<1000 {
            let c = try server.client()
            c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(c)
        }
        for c in clients {
            _ = try readStreamHead(c)
            _ = try c.readEvent()
        }
        XCTAssertTrue(eventually { server.broadcaster.subscriberCountForTests(server.server) == 1000 })
        for i in 0..<20 { server.broadcaster.publish(SSEFrame(id: String(i), event: "n", data: "payload \(i)")) }
        for c in clients {
            for i in 0..<20 {
                let e = try c.readEvent()
                XCTAssertEqual(e.id, String(i))
                XCTAssertEqual(e.data, "payload \(i)")
            }
        }
    }

    func testStalledSubscriberIsCutOffWhileTheOthersKeepReceiving() throws {
        let server = try TestServer {
            $0.maxSubscriberBufferBytes = 256 * 1024
            $0.streamSocketSendBufferBytes = 32 * 1024
        }
        defer { server.stop() }
        let stalled = try server.client(timeout: 5, receiveBuffer: 4096)
        stalled.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        var readers: [RawClient] = []
        for _ in 0..<3 {
            // Large receive buffers: a reader thread that the scheduler leaves out for a moment must not
            // fall a whole bound behind (that would be a correct cut-off, and a wrong test).
            let c = try server.client(receiveBuffer: 1 << 20)
            c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try readStreamHead(c)
            _ = try c.readEvent()
            readers.append(c)
        }
        XCTAssertTrue(eventually { server.broadcaster.subscriberCountForTests(server.server) == 4 })
        let payload = String(repeating: "p", count: 2 * 1024)
        let frames = 1500  // 3 MB in all: far past the stalled socket's kernel buffers plus the 256 KiB bound
        let frameBytes = (0..<frames).map { SSEFrame(id: String($0), data: payload).bytes }
        let expected = frameBytes.reduce(0) { $0 + $1.count }
        let readerDone = DispatchSemaphore(value: 0)
        // Readers only drain bytes (a debug-built parser could lag); the content is checked afterwards.
        for c in readers {
            // A thread each: the global queue runs only about one blocking item per core.
            Thread.detachNewThread {
                while c.buffer.count < expected, c.fill() {}
                readerDone.signal()
            }
        }
        for frame in frameBytes {
            server.broadcaster.publish(frame)
            usleep(2_000)  // paced so that readers that do read keep up, even on a loaded machine
        }
        for _ in readers { XCTAssertEqual(readerDone.wait(timeout: .now() + 20), .success) }
        for c in readers {
            XCTAssertEqual(c.buffer.count, expected, "every reader got every byte")
            XCTAssertTrue(c.buffer == Array(frameBytes.joined()), "in order")  // (no dump of 3 MB on failure)
        }
        XCTAssertTrue(
            eventually { server.broadcaster.subscriberCountForTests(server.server) == 3 },
            "the stalled one left the group"
        )
        // The stalled client finds its stream cut short.
        stalled.setTimeout(10)
        var bytes = 0
        while stalled.fill() { bytes = stalled.buffer.count }
        XCTAssertTrue(stalled.closed || errno == ECONNRESET, "the server ended the stalled stream")
        XCTAssertLessThan(bytes, expected)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() {
        lock.lock()
        n += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return n
    }
}

/// Reads the head of an event-stream response (the body never ends).
func readStreamHead(_ c: RawClient) throws -> RawClient.Response {
    while true {
        let text = String(decoding: c.buffer, as: UTF8.self)
        if let range = text.range(of: "\r\n\r\n") {
            let head = String(text[..<range.lowerBound])
            let consumed = text[..<range.upperBound].utf8.count
            var lines = head.components(separatedBy: "\r\n")
            let status = Int(lines.removeFirst().split(separator: " ")[1])!
            let headers = lines.map { line -> (String, String) in
                let c = line.firstIndex(of: ":")!
                return (String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
            }
            c.dropPrefix(consumed)
            return RawClient.Response(status: status, headers: headers, body: [])
        }
        guard c.fill() else { throw RawClient.Failure(description: "no stream head") }
    }
}

extension RawClient {
    func dropPrefix(_ n: Int) { dropBuffered(n) }
}

extension Broadcaster {
    /// Subscribers across all loops, read on each loop.
    func subscriberCountForTests(_ server: HTTPServer) -> Int {
        let total = Counter()
        let done = DispatchGroup()
        for _ in server.loops { done.enter() }
        let seen = Counter()
        forEachSubscriber { _ in total.add() }
        for loop in server.loops {
            loop.execute {
                seen.add()
                done.leave()
            }
        }
        done.wait()
        return total.value
    }
}

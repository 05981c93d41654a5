import Cluster
import Foundation
import XCTest

/// The Redis client against a real server (started by `Ops/test`, URL in `PLANOGRAM_TEST_REDIS_URL`).
final class RedisTests: XCTestCase {
    func redisURL(file: StaticString = #filePath, line: UInt = #line) throws -> RedisURL {
        if let text = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_REDIS_URL"], let url = RedisURL(text) {
            return url
        }
        if ProcessInfo.processInfo.environment["PLANOGRAM_REQUIRE_SERVICES"] == "1" {
            XCTFail(
                "PLANOGRAM_TEST_REDIS_URL is not set although Ops/test requires the Redis server",
                file: file,
                line: line
            )
        }
        throw XCTSkip("no Redis server (run Ops/test, which starts one, or set PLANOGRAM_TEST_REDIS_URL)")
    }

    func testURLsAreParsedAndPasswordsNeverPrinted() {
        XCTAssertEqual(RedisURL("redis://127.0.0.1:7000/2"), RedisURL("redis://127.0.0.1:7000/2"))
        let u = RedisURL("redis://:s3cret@cache.local:6380/1")
        XCTAssertEqual(u?.host, "cache.local")
        XCTAssertEqual(u?.port, 6380)
        XCTAssertEqual(u?.database, 1)
        XCTAssertEqual(u?.password, "s3cret")
        XCTAssertFalse(u!.description.contains("s3cret"))
        XCTAssertEqual(RedisURL("redis://h")?.port, 6379)
        XCTAssertNil(RedisURL("http://h"))
        XCTAssertNil(RedisURL("redis://h:99999"))
        XCTAssertNil(RedisURL("redis://h/x"))
        XCTAssertNil(RedisURL("redis://"))
    }

    func testCommandsAreBinarySafeAndErrorsAreReplies() throws {
        let c = try RedisConnection(url: try redisURL())
        let key = "test:\(UUID().uuidString)"
        let value: [UInt8] = [0, 13, 10, 255, 36, 42]
        XCTAssertEqual(try c.command(["SET", key, "x", "EX", "30"]), .status("OK"))
        XCTAssertEqual(try c.command(["TTL", key]).integer.map { (1...30).contains($0) }, true)
        XCTAssertEqual(try c.command([Array("SET".utf8), Array(key.utf8), value]), .status("OK"))
        XCTAssertEqual(try c.command(["GET", key]), .string(value))
        XCTAssertEqual(try c.command(["INCRBY", key + ":n", "5"]).integer, 5)
        XCTAssertEqual(try c.command(["GET", key + ":missing"]), .null)
        XCTAssertThrowsError(try c.command(["INCR", key])) { e in
            XCTAssertEqual((e as? RedisError)?.connection, false, "\(e)")
        }
        XCTAssertEqual(try c.command(["DEL", key, key + ":n"]).integer, 2)
    }

    func testAConnectionKilledByTheServerReconnectsOnItsNextCommand() throws {
        let url = try redisURL()
        let c = try RedisConnection(url: url)
        let name = "victim-\(UUID().uuidString.prefix(8))"
        try c.command(["CLIENT", "SETNAME", name])
        let admin = try RedisConnection(url: url)
        XCTAssertEqual(
            try admin.command(["CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal", "USER", "default"]).integer.map {
                $0 >= 1
            },
            true
        )
        XCTAssertEqual(try c.command(["PING"]), .status("PONG"), "reconnected once and answered")
    }

    func testAnUnreachableServerIsAConnectionError() {
        XCTAssertThrowsError(try RedisConnection(url: RedisURL("redis://127.0.0.1:1")!, timeoutSeconds: 0.5)) { e in
            XCTAssertEqual((e as? RedisError)?.connection, true, "\(e)")
        }
    }

    func testSubscriberGetsEveryMessageInOrderAndResubscribesAfterAKill() throws {
        let url = try redisURL()
        let channel = "test:chan:\(UUID().uuidString)"
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var got: [String] = []
            var resubscribed = 0
        }
        let box = Box()
        let sub = RedisSubscriber(
            url: url,
            channels: [channel],
            onResubscribed: {
                box.lock.lock()
                box.resubscribed += 1
                box.lock.unlock()
            }
        ) { ch, payload in
            XCTAssertEqual(ch, channel)
            box.lock.lock()
            box.got.append(String(decoding: payload, as: UTF8.self))
            box.lock.unlock()
        }
        XCTAssertTrue(sub.start())
        defer { sub.stop() }
        let pub = try RedisConnection(url: url)
        for i in 0..<200 { XCTAssertEqual(try pub.command(["PUBLISH", channel, "m\(i)"]).integer, 1) }
        XCTAssertTrue(
            wait {
                box.lock.lock()
                defer { box.lock.unlock() }
                return box.got.count == 200
            }
        )
        box.lock.lock()
        XCTAssertEqual(box.got, (0..<200).map { "m\($0)" })
        box.lock.unlock()
        // The server drops the subscriber's connection: it comes back by itself and says so.
        try pub.command(["CLIENT", "KILL", "TYPE", "pubsub"])
        XCTAssertTrue(
            wait {
                box.lock.lock()
                defer { box.lock.unlock() }
                return box.resubscribed == 1
            }
        )
        XCTAssertEqual(try pub.command(["PUBLISH", channel, "after"]).integer, 1)
        XCTAssertTrue(
            wait {
                box.lock.lock()
                defer { box.lock.unlock() }
                return box.got.last == "after"
            }
        )
    }

    private func wait(_ timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }
}

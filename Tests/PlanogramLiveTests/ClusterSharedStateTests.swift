import Cluster
import Foundation
import Logging
import Reasoning
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// What the nodes of a cluster share through Redis besides the bus: the reasoning cache's 1 h tier and
/// the rate-limit counters. Two instances stand for two nodes; the Redis server is real.
final class ClusterSharedStateTests: XCTestCase {
    func redisURL() throws -> RedisURL {
        if let t = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_REDIS_URL"], let u = RedisURL(t) { return u }
        if ProcessInfo.processInfo.environment["PLANOGRAM_REQUIRE_SERVICES"] == "1" {
            XCTFail("PLANOGRAM_TEST_REDIS_URL is not set")
        }
        throw XCTSkip("no Redis server (run Ops/test)")
    }

    final class MemoryStore: ReasoningStore, @unchecked Sendable {
        let lock = NSLock()
        var rows: [String: (CachedReasoning, Int64)] = [:]
        var loads = 0
        func loadReasoning(hash: String, notBefore: Int64) -> CachedReasoning? {
            lock.lock()
            defer { lock.unlock() }
            loads += 1
            return rows[hash].flatMap { $0.1 >= notBefore ? $0.0 : nil }
        }
        func saveReasoning(hash: String, _ entry: CachedReasoning, at: Int64) {
            lock.lock()
            rows[hash] = (entry, at)
            lock.unlock()
        }
    }

    func testAnExplanationCachedByOneNodeIsServedToAnotherFromRedisWithItsTTL() throws {
        let url = try redisURL()
        let dbA = MemoryStore()
        let dbB = MemoryStore()
        let a = RedisReasoningStore(url: url, ttl: 3600, fallback: dbA, logger: Logger(label: "t"))
        let b = RedisReasoningStore(url: url, ttl: 3600, fallback: dbB, logger: Logger(label: "t"))
        let hash = "h-\(UUID().uuidString)"
        let entry = CachedReasoning(
            text: "Cola at eye level sells more.",
            model: "claude-haiku-4-5",
            usage: TokenUsage(inputTokens: 120, outputTokens: 40)
        )
        let now = Int64(Date().timeIntervalSince1970)
        a.saveReasoning(hash: hash, entry, at: now)
        XCTAssertEqual(b.loadReasoning(hash: hash, notBefore: now - 10), entry, "node B finds node A's explanation")
        XCTAssertEqual(dbB.loads, 0, "from Redis, without asking its database")
        XCTAssertNil(b.loadReasoning(hash: hash, notBefore: now + 10), "older than asked for: a miss")
        let ttl = try RedisConnection(url: url).command(["TTL", RedisReasoningStore.prefix + hash]).integer ?? -1
        XCTAssertTrue((3500...3600).contains(ttl), "Redis keeps it for the tier's hour (TTL \(ttl))")
        // A hit in the database is put back into Redis for the others.
        let other = "h-\(UUID().uuidString)"
        dbA.saveReasoning(hash: other, entry, at: now)
        XCTAssertEqual(a.loadReasoning(hash: other, notBefore: now - 10), entry)
        XCTAssertEqual(b.loadReasoning(hash: other, notBefore: now - 10), entry)
        XCTAssertEqual(dbB.loads, 1, "only the first miss asked a database")
    }

    func testRedisAwayFallsBackToTheDatabaseAtOnce() throws {
        let proxy = try FaultProxy(to: Int(try redisURL().port))
        defer { proxy.stop() }
        let db = MemoryStore()
        let s = RedisReasoningStore(
            url: RedisURL("redis://127.0.0.1:\(proxy.port)")!,
            fallback: db,
            logger: Logger(label: "t"),
            pause: 60
        )
        let entry = CachedReasoning(text: "t", model: "m", usage: TokenUsage(inputTokens: 1, outputTokens: 1))
        proxy.cut()
        let started = Date()
        s.saveReasoning(hash: "x", entry, at: 100)
        XCTAssertEqual(s.loadReasoning(hash: "x", notBefore: 0), entry, "the database answers")
        XCTAssertEqual(s.loadReasoning(hash: "x", notBefore: 0), entry)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "one failed connect, then Redis is skipped")
    }

    func testTwoNodesShareOneSubjectsLimit() throws {
        let url = try redisURL()
        final class Clock: @unchecked Sendable { var t = 1000.0 }
        let clock = Clock()
        let limits: [RateLimiter.Route: RateLimit] = [.ops: RateLimit(rate: 1, burst: 10)]
        let a = RateLimiter(limits: limits, now: { clock.t })
        let b = RateLimiter(limits: limits, now: { clock.t })
        // One fixed second of wall time for both (the counters are per second).
        let second = Date().timeIntervalSince1970.rounded(.down)
        let syncA = SharedRateLimits(limiter: a, url: url, logger: Logger(label: "t"), now: { second })
        let syncB = SharedRateLimits(limiter: b, url: url, logger: Logger(label: "t"), now: { second })
        let subject = "ann-\(UUID().uuidString)"
        // Node A allows 8 of the burst; after one exchange node B knows and allows only the rest.
        for _ in 0..<8 { XCTAssertNil(a.take(.ops, subject: subject)) }
        syncA.syncOnce()
        XCTAssertNil(b.take(.ops, subject: subject), "B's first request is allowed")
        syncB.syncOnce()
        var allowedOnB = 1
        for _ in 0..<10 where b.take(.ops, subject: subject) == nil { allowedOnB += 1 }
        XCTAssertEqual(allowedOnB, 2, "the subject got its burst of 10 once across both nodes, not twice")
        // And the other way: what B allowed is taken from A's bucket.
        syncB.syncOnce()
        syncA.syncOnce()
        XCTAssertNotNil(a.take(.ops, subject: subject), "A refuses: the burst is spent cluster-wide")
        // Without sharing (the baseline of separate nodes) B would have allowed its own whole burst.
        let alone = RateLimiter(limits: limits, now: { clock.t })
        var allowedAlone = 0
        for _ in 0..<12 where alone.take(.ops, subject: subject) == nil { allowedAlone += 1 }
        XCTAssertEqual(allowedAlone, 10)
    }
}

/// The other nodes' sessions as one node knows them.
final class ClusterDirectoryTests: XCTestCase {
    func testASilentNodeIsDroppedOnceAndItsSessionsWithIt() {
        final class Clock: @unchecked Sendable { var t = 100.0 }
        final class Lost: @unchecked Sendable { var names: [String] = [] }
        let clock = Clock()
        let lost = Lost()
        let d = ClusterDirectory(now: { clock.t }, onNodeLost: { lost.names.append($0) })
        // Summaries as a node's heartbeat writes them (`SessionSummary`); a text that is not one is left out.
        func summary(_ device: String, node: String, heldSince: String = "") -> String {
            #"{"cabinet_index":0,"device_id":"\#(device)","#
                + (heldSince.isEmpty ? "" : #""held_since":\#(heldSince),"#)
                + #""last_activity":"2026-12-07T10:00:00Z","node":"\#(node)","ops":2,"participants":[],"#
                + #""seq":2,"session_id":"\#(device)~0","version":2}"#
        }
        d.update(node: "n1", sessions: [summary("VM-001", node: "n1", heldSince: "5")])
        d.update(node: "n2", sessions: [summary("VM-002", node: "n2"), "not json", #"{"session_id":"VM-003~0"}"#])
        let listed = d.remoteSessions(excluding: ["VM-002~0"])
        XCTAssertEqual(listed.map(\.device), ["VM-001"], "a session this node holds is not listed as remote")
        XCTAssertNil(listed.first?.summary.heldSince, "the handover field stays between nodes")
        clock.t += 4
        d.update(node: "n2", sessions: [])
        clock.t += 3
        XCTAssertEqual(d.expire(), ["n1"])
        XCTAssertEqual(d.expire(), [])
        XCTAssertEqual(lost.names, ["n1"], "told once")
        XCTAssertTrue(d.remoteSessions(excluding: []).isEmpty)
        XCTAssertEqual(d.nodeCount, 1)
    }
}

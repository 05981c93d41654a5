import FakeAnthropic
import Foundation
import Logging
import Reasoning
import XCTest

/// A store kept in memory, standing in for the app's SQLite table.
final class MemoryReasoningStore: ReasoningStore, @unchecked Sendable {
    let lock = NSLock()
    var rows: [String: (CachedReasoning, Int64)] = [:]
    func loadReasoning(hash: String, notBefore: Int64) -> CachedReasoning? {
        lock.lock()
        defer { lock.unlock() }
        guard let r = rows[hash], r.1 >= notBefore else { return nil }
        return r.0
    }
    func saveReasoning(hash: String, _ entry: CachedReasoning, at: Int64) {
        lock.lock()
        rows[hash] = (entry, at)
        lock.unlock()
    }
}

/// Collects what a job tells its listener and waits for its `done`.
/// A settable clock for the breaker, ledger and cache.
final class FakeClock: @unchecked Sendable {
    var t: Double
    init(_ t: Double) { self.t = t }
    var now: @Sendable () -> Double { { [self] in t } }
}

final class Collector: @unchecked Sendable {
    let lock = NSLock()
    var outputs: [ReasoningOutput] = []
    let finished = DispatchSemaphore(value: 0)
    var sink: @Sendable (ReasoningOutput) -> Void {
        { [self] o in
            lock.lock()
            outputs.append(o)
            lock.unlock()
            if case .done = o { finished.signal() }
        }
    }
    func wait(_ seconds: Double = 15) -> [ReasoningOutput] {
        XCTAssertEqual(finished.wait(timeout: .now() + seconds), .success, "the job ended")
        lock.lock()
        defer { lock.unlock() }
        return outputs
    }
    static func text(_ outputs: [ReasoningOutput], source: String) -> String {
        outputs.compactMap { if case .delta(let t, let s) = $0, s == source { return t } else { return nil } }.joined()
    }
}

final class ReasoningServiceTests: XCTestCase {
    var fake: FakeAnthropicServer!
    override func setUpWithError() throws { fake = try FakeAnthropicServer() }
    override func tearDown() { fake.stop() }

    func service(
        key: String? = "sk-test",
        store: ReasoningStore? = nil,
        _ tune: (inout ReasoningSettings) -> Void = { _ in }
    ) -> ReasoningService {
        var s = ReasoningSettings()
        s.apiKey = key
        s.baseURL = fake.baseURL
        s.backoffBase = 0.02
        s.backoffCap = 0.1
        s.readTimeout = 2
        s.replayDeltaPause = 0
        tune(&s)
        return ReasoningService(settings: s, store: store, logger: Logger(label: "test"))
    }

    func job(_ id: String = "r1", key: String = "VM-001~0#A1", prompt: String = "## Product\nCola") -> ReasoningJob {
        ReasoningJob(
            requestID: id,
            key: key,
            request: MessageRequest(model: "claude-haiku-4-5", maxTokens: 200, system: "sys", prompt: prompt),
            rulesText: "Cola in A1 scores 80/100, a strong placement. Keep it there."
        )
    }

    func run(_ s: ReasoningService, _ j: ReasoningJob) -> [ReasoningOutput] {
        let c = Collector()
        s.start(j, sink: c.sink)
        return c.wait()
    }

    func done(
        _ outputs: [ReasoningOutput]
    ) -> (text: String, source: String, model: String, usage: TokenUsage?, cached: Bool, cancelled: Bool)? {
        for o in outputs { if case .done(let t, let s, let m, let u, let c, let x) = o { return (t, s, m, u, c, x) } }
        return nil
    }

    func testClaudeTextIsRelayedDeltaByDeltaThenCachedInMemoryAndStore() throws {
        let store = MemoryReasoningStore()
        let deltas = ["Cola ", "belongs at ", "eye level."]
        fake.enqueue(.stream(deltas: deltas))
        let s = service(store: store)
        let first = run(s, job())
        XCTAssertEqual(first.prefix(3).map { $0 }, deltas.map { .delta(text: $0, source: "claude") })
        let d = try XCTUnwrap(done(first))
        XCTAssertEqual(d.text, deltas.joined())
        XCTAssertEqual(d.source, "claude")
        XCTAssertEqual(d.usage, TokenUsage(inputTokens: 412, outputTokens: 57))
        XCTAssertFalse(d.cached)
        XCTAssertEqual(fake.requests.count, 1)
        XCTAssertGreaterThan(s.ledger.spentToday, 0)

        // Same prompt again: replayed from memory, no request.
        let again = run(s, job("r2"))
        XCTAssertEqual(Collector.text(again, source: "claude"), deltas.joined())
        XCTAssertEqual(done(again)?.cached, true)
        XCTAssertEqual(fake.requests.count, 1)

        // A new service (a restart) with the same store: replayed from SQLite's stand-in, no request.
        let restarted = service(store: store)
        XCTAssertEqual(done(run(restarted, job("r3")))?.cached, true)
        XCTAssertEqual(fake.requests.count, 1)
        // A different prompt is asked.
        _ = run(restarted, job("r4", prompt: "## Product\nWater"))
        XCTAssertEqual(fake.requests.count, 2)
    }

    func testNoKeyMeansTheRulesNarratorWithoutAnError() throws {
        let out = run(service(key: nil), job())
        XCTAssertFalse(out.contains { if case .error = $0 { return true } else { return false } })
        XCTAssertEqual(Collector.text(out, source: "rules"), job().rulesText)
        XCTAssertEqual(done(out)?.source, "rules")
        XCTAssertEqual(fake.requests.count, 0)
    }

    func test429IsRetriedAfterRetryAfter() throws {
        fake.enqueue(.rateLimited(retryAfter: 1), .stream(deltas: ["ok"]))
        let started = Date()
        let out = run(service(), job())
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.95, "waited the retry-after")
        XCTAssertEqual(done(out)?.text, "ok")
        XCTAssertEqual(done(out)?.source, "claude")
        XCTAssertEqual(fake.requests.count, 2)
    }

    func testASpendLimit429IsNotRetried() throws {
        fake.enqueue(.spendLimit)
        let out = run(service(), job())
        XCTAssertEqual(fake.requests.count, 1)
        guard
            case .error(let message, let fallback)? = out.first(where: {
                if case .error = $0 { return true } else { return false }
            })
        else {
            return XCTFail("expected a reasoning error")
        }
        XCTAssertTrue(message.contains("429"), message)
        XCTAssertEqual(fallback, "rules")
        XCTAssertEqual(done(out)?.source, "rules")
        XCTAssertEqual(Collector.text(out, source: "rules"), job().rulesText)
    }

    func test529And5xxBackOffThenSucceed() throws {
        fake.enqueue(.overloaded, .internalError, .stream(deltas: ["third ", "time"]))
        let out = run(service(), job())
        XCTAssertEqual(done(out)?.text, "third time")
        XCTAssertEqual(fake.requests.count, 3)
    }

    func testRetriesAreBoundedThenTheRulesNarratorAnswers() throws {
        fake.setOtherwise(.overloaded)
        let out = run(service { $0.maxAttempts = 3 }, job())
        XCTAssertEqual(fake.requests.count, 3)
        XCTAssertEqual(done(out)?.source, "rules")
    }

    func testAnErrorEventAfterTextFallsBackWithoutARetry() throws {
        fake.enqueue(.stream(deltas: ["partial ", "text ", "more"], errorAfter: 2))
        let out = run(service(), job())
        XCTAssertEqual(fake.requests.count, 1, "relayed text cannot be taken back by a retry")
        XCTAssertEqual(Collector.text(out, source: "claude"), "partial text ")
        let errorIndex = try XCTUnwrap(out.firstIndex { if case .error = $0 { return true } else { return false } })
        let firstRules = try XCTUnwrap(
            out.firstIndex { if case .delta(_, "rules") = $0 { return true } else { return false } }
        )
        XCTAssertLessThan(errorIndex, firstRules, "the error comes before the narrator's text")
        XCTAssertEqual(done(out)?.source, "rules")
    }

    func testAnErrorEventOrCutBeforeAnyTextIsRetried() throws {
        fake.enqueue(
            .stream(deltas: ["x"], errorAfter: 0),
            .stream(deltas: ["y"], cutAfter: 0),
            .stream(deltas: ["fine"])
        )
        let out = run(service(), job())
        XCTAssertEqual(fake.requests.count, 3)
        XCTAssertEqual(done(out)?.text, "fine")
    }

    func testTheBreakerOpensAfterRepeatedFailuresAndStopsCalling() throws {
        fake.setOtherwise(.internalError)
        let s = service {
            $0.maxAttempts = 1
            $0.breakerThreshold = 2
            $0.breakerCooldown = 60
        }
        _ = run(s, job("a", prompt: "1"))
        _ = run(s, job("b", prompt: "2"))
        XCTAssertEqual(s.breaker.state, .open)
        let out = run(s, job("c", prompt: "3"))
        XCTAssertEqual(fake.requests.count, 2, "no call while open")
        guard
            case .error(let message, _)? = out.first(where: {
                if case .error = $0 { return true } else { return false }
            })
        else { return XCTFail() }
        XCTAssertTrue(message.contains("circuit open"), message)
        XCTAssertEqual(done(out)?.source, "rules")
    }

    func testTheBreakerLetsOneTrialThroughAfterItsCooldown() {
        let clock = FakeClock(0)
        let b = CircuitBreaker(threshold: 2, cooldown: 10, now: clock.now)
        b.failure()
        XCTAssertEqual(b.state, .closed)
        b.failure()
        XCTAssertEqual(b.state, .open)
        XCTAssertFalse(b.allow())
        clock.t = 11
        XCTAssertEqual(b.state, .halfOpen)
        XCTAssertTrue(b.allow())
        XCTAssertFalse(b.allow(), "one trial at a time")
        b.failure()
        XCTAssertEqual(b.state, .open)
        clock.t = 22
        XCTAssertTrue(b.allow())
        b.success()
        XCTAssertEqual(b.state, .closed)
    }

    func testTheDailySpendCapStopsCallsAndResetsNextDay() throws {
        let out = run(service { $0.dailySpendCapUSD = 0.000_01 }, job())
        XCTAssertEqual(fake.requests.count, 0)
        guard
            case .error(let message, "rules")? = out.first(where: {
                if case .error = $0 { return true } else { return false }
            })
        else { return XCTFail() }
        XCTAssertTrue(message.contains("spend cap"), message)

        let clock = FakeClock(86_400.0 * 100 + 100)
        let ledger = SpendLedger(dailyCapUSD: 0.01, now: clock.now)
        XCTAssertEqual(
            ledger.cost(model: "claude-haiku-4-5", inputTokens: 1_000_000, outputTokens: 0),
            1,
            accuracy: 1e-9
        )
        XCTAssertEqual(
            ledger.cost(model: "claude-sonnet-4-5", inputTokens: 0, outputTokens: 1_000_000),
            15,
            accuracy: 1e-9
        )
        XCTAssertTrue(ledger.allows(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
        ledger.record(model: "claude-haiku-4-5", usage: TokenUsage(inputTokens: 5_000, outputTokens: 1_000))
        XCTAssertFalse(ledger.allows(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
        clock.t += 86_400
        XCTAssertTrue(ledger.allows(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
    }

    func testANonFiniteRetryAfterIsIgnoredNotATrap() throws {
        for value in ["inf", "nan", "-3", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            fake.enqueue(
                .status(429, type: "rate_limit_error", message: "slow down", headers: [("retry-after", value)]),
                .stream(deltas: ["ok"])
            )
            let out = run(service(), job(prompt: "p-\(value)"))
            XCTAssertEqual(done(out)?.text, "ok", value)
        }
    }

    func testConcurrentCallsReserveAgainstTheCapBeforeAnyIsCounted() {
        // Each call may cost at most $0.0025 (1,000 tokens in at $1/M, 300 out at $5/M); the cap admits three.
        let clock = FakeClock(86_400.0 * 100 + 100)
        let ledger = SpendLedger(dailyCapUSD: 0.008, now: clock.now)
        let reservations = (0..<5).compactMap { _ in
            ledger.reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300)
        }
        XCTAssertEqual(reservations.count, 3, "all five pass a check that ignores calls under way")
        // A cancelled call is billed for its prompt and the text it relayed; the rest of its reservation frees up.
        ledger.settle(reservations[0], usage: TokenUsage(inputTokens: 1000, outputTokens: 20))
        XCTAssertEqual(ledger.spentToday, 0.0011, accuracy: 1e-9)
        XCTAssertNil(ledger.reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
        ledger.settle(reservations[1], usage: TokenUsage())
        XCTAssertNotNil(ledger.reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
    }

    func testACancelledStreamIsCountedAgainstTheDailySpend() throws {
        fake.enqueue(.stream(deltas: Array(repeating: "word ", count: 40), deltaDelay: 0.05))
        let s = service()
        let c = Collector()
        s.start(job("long"), sink: c.sink)
        Thread.sleep(forTimeInterval: 0.4)
        s.cancelAll(timeout: 5)
        XCTAssertEqual(done(c.wait())?.cancelled, true)
        XCTAssertGreaterThan(s.ledger.spentToday, 0, "the prompt and the relayed text are billed")
    }

    func testExplanationsRunOnABoundedPool() throws {
        let slow = FakeAnthropicServer.Reply.stream(deltas: ["a ", "b ", "c"], deltaDelay: 0.1)
        fake.enqueue(contentsOf: Array(repeating: slow, count: 20))
        let s = service {
            $0.maxConcurrentStreams = 2
            $0.maxQueuedStreams = 6
        }
        let collectors = (0..<10).map { _ in Collector() }
        var acceptedIndices: [Int] = []
        for (i, c) in collectors.enumerated() where s.start(job("j\(i)", key: "k\(i)", prompt: "p\(i)"), sink: c.sink) {
            acceptedIndices.append(i)
        }
        let accepted = acceptedIndices.count
        // At most 2 running and 6 waiting; a worker may already have taken a job off the queue.
        XCTAssertTrue((6...8).contains(accepted), "the queue bound refuses the rest: \(accepted) accepted")
        Thread.sleep(forTimeInterval: 0.2)
        for (i, c) in collectors.enumerated() where !acceptedIndices.contains(i) {
            c.lock.lock()
            XCTAssertTrue(c.outputs.isEmpty, "a refused job runs nothing")
            c.lock.unlock()
        }
        XCTAssertLessThanOrEqual(fake.maxConcurrent, 2, "never more than the pool's streams at once")
        for i in acceptedIndices { XCTAssertEqual(done(collectors[i].wait())?.cancelled, false) }
        XCTAssertLessThanOrEqual(fake.maxConcurrent, 2)
        XCTAssertTrue(s.hasCapacity)
    }

    func testANewerRequestForTheSameSlotCancelsTheOlderStream() throws {
        fake.enqueue(
            .stream(deltas: Array(repeating: "slow ", count: 40), deltaDelay: 0.05),
            .stream(deltas: ["newer"])
        )
        let s = service()
        let older = Collector()
        let newer = Collector()
        s.start(job("old", prompt: "old"), sink: older.sink)
        Thread.sleep(forTimeInterval: 0.3)
        s.start(job("new", prompt: "new"), sink: newer.sink)
        let o = older.wait()
        let n = newer.wait()
        XCTAssertEqual(done(o)?.cancelled, true)
        XCTAssertLessThan(done(o)?.text.count ?? 999, 40 * 5)
        XCTAssertEqual(done(n)?.text, "newer")
        XCTAssertEqual(done(n)?.cancelled, false)
    }

    func testCacheEntriesExpire() {
        let clock = FakeClock(1_000)
        let store = MemoryReasoningStore()
        let cache = ReasoningCache(store: store, memoryTTL: 300, storeTTL: 86_400, now: clock.now)
        let e = CachedReasoning(text: "x", model: "m", usage: TokenUsage())
        cache.insert("k", e)
        XCTAssertEqual(cache.lookup("k")?.1, .memory)
        clock.t += 301
        XCTAssertEqual(cache.lookup("k")?.1, .store)
        clock.t += 86_400
        XCTAssertNil(cache.lookup("k"))
    }
}

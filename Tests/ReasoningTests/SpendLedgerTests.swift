import Foundation
import PlanogramDomain
import Reasoning
import XCTest

/// A spend store in memory standing in for the database table; `failures` makes the next calls throw.
final class MemorySpendStore: SpendStore, @unchecked Sendable {
    struct Down: Error {}
    let lock = NSLock()
    var days: [Int64: Double] = [:]
    var failures = 0
    var reads = 0
    func addSpend(day: Int64, usd: Double) throws -> Double {
        lock.lock()
        defer { lock.unlock() }
        if failures > 0 {
            failures -= 1
            throw Down()
        }
        days[day, default: 0] += usd
        return days[day]!
    }
    func spend(day: Int64) throws -> Double {
        lock.lock()
        defer { lock.unlock() }
        reads += 1
        if failures > 0 {
            failures -= 1
            throw Down()
        }
        return days[day] ?? 0
    }
}

/// The daily AI spend cap: counted on the fleet's local dates, shared through a store by every node and
/// across restarts, and never losing a cost when the store fails.
final class SpendLedgerTests: XCTestCase {
    /// 5,000 tokens in and 1,000 out on Haiku: $0.01, the whole of a $0.01 cap.
    let fullDay = TokenUsage(inputTokens: 5_000, outputTokens: 1_000)
    let model = "claude-haiku-4-5"
    func fits(_ l: SpendLedger) -> Bool { l.allows(model: model, inputTokens: 1000, maxOutputTokens: 300) }

    func testTheCapCountsTheFleetsLocalDates() throws {
        // 2026-12-04 14:30 UTC is 23:30 in Tokyo; an hour later it is the next day there, not in UTC.
        let t0 = 1_796_394_600.0
        let tokyo = try XCTUnwrap(FleetClock(identifier: "Asia/Tokyo"))
        for (clock, newDayAfterAnHour) in [(tokyo, true), (FleetClock.utc, false)] {
            let time = FakeClock(t0)
            let ledger = SpendLedger(dailyCapUSD: 0.01, clock: clock, now: time.now)
            ledger.record(model: model, usage: fullDay)
            XCTAssertFalse(fits(ledger), "\(clock)")
            time.t += 3_600
            XCTAssertEqual(fits(ledger), newDayAfterAnHour, "\(clock): a new day's cap at local midnight")
        }
    }

    func testTwoNodesOnOneStoreShareTheCapAndARestartKeepsIt() {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let a = SpendLedger(dailyCapUSD: 0.01, store: store, refreshSeconds: 2, now: time.now)
        let b = SpendLedger(dailyCapUSD: 0.01, store: store, refreshSeconds: 2, now: time.now)
        XCTAssertTrue(fits(b), "b has read the store: nothing spent yet")
        a.record(model: model, usage: fullDay)
        XCTAssertEqual(store.days[100] ?? 0, 0.01, accuracy: 1e-12)
        XCTAssertFalse(fits(a))
        time.t += 2
        XCTAssertFalse(fits(b), "b reads what a spent once its last read is two seconds old")
        XCTAssertEqual(b.spentToday, 0.01, accuracy: 1e-12)
        // A node started again (a new ledger) reads the day's total before its first call.
        let restarted = SpendLedger(dailyCapUSD: 0.01, store: store, now: time.now)
        XCTAssertFalse(fits(restarted))
        XCTAssertNil(restarted.reserve(model: model, inputTokens: 1000, maxOutputTokens: 300))
        // The next local date starts from nothing for every node.
        time.t += 86_400
        XCTAssertTrue(fits(a))
        XCTAssertTrue(fits(b))
        XCTAssertTrue(fits(restarted))
    }

    func testSettledCostsReachTheOtherNodes() {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let a = SpendLedger(dailyCapUSD: 0.008, store: store, refreshSeconds: 0, now: time.now)
        let b = SpendLedger(dailyCapUSD: 0.008, store: store, refreshSeconds: 0, now: time.now)
        // Each reservation is worth $0.0025; settled at $0.002 each, three fit under $0.008 in all.
        var settled = 0
        for i in 0..<6 {
            let node = i % 2 == 0 ? a : b
            guard let r = node.reserve(model: model, inputTokens: 1000, maxOutputTokens: 300) else { continue }
            node.settle(r, usage: TokenUsage(inputTokens: 1000, outputTokens: 200))
            settled += 1
        }
        XCTAssertEqual(
            settled,
            3,
            "the two nodes together stop at the cap (counting alone, each would have made three calls)"
        )
        XCTAssertEqual(store.days[100] ?? 0, 0.006, accuracy: 1e-12)
    }

    /// Each reservation below is worth $0.0025 (1,000 tokens in, 300 out on Haiku).
    func reserve(_ l: SpendLedger) -> SpendLedger.Reservation? {
        l.reserve(model: model, inputTokens: 1000, maxOutputTokens: 300)
    }

    func testACallUnderWayOnOneNodeCountsAgainstTheCapOnTheOthers() throws {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let a = SpendLedger(dailyCapUSD: 0.004, store: store, refreshSeconds: 60, now: time.now)
        let b = SpendLedger(dailyCapUSD: 0.004, store: store, refreshSeconds: 60, now: time.now)
        let first = try XCTUnwrap(reserve(a))
        XCTAssertEqual(
            store.days[100] ?? 0,
            0.0025,
            accuracy: 1e-12,
            "the worst case is in the shared total while the call runs"
        )
        XCTAssertNil(reserve(b), "a's call under way leaves no room for b's worst case")
        XCTAssertEqual(store.days[100] ?? 0, 0.0025, accuracy: 1e-12, "b's refused amount is taken back")
        // a's call ends cheaper than its worst case ($0.0015): the difference is taken off, b's call now fits.
        a.settle(first, usage: TokenUsage(inputTokens: 1000, outputTokens: 100))
        XCTAssertEqual(store.days[100] ?? 0, 0.0015, accuracy: 1e-12)
        let second = try XCTUnwrap(reserve(b))
        XCTAssertNil(reserve(a), "b's call under way counts on a")
        b.settle(second, usage: TokenUsage(inputTokens: 1000, outputTokens: 200))
        XCTAssertEqual(store.days[100] ?? 0, 0.0035, accuracy: 1e-12, "what the two calls cost")
        XCTAssertEqual(
            a.spentToday,
            0.0015 + 0.0025,
            accuracy: 1e-12,
            "a last saw its own call (settled) and b.s under way"
        )
        XCTAssertEqual(b.spentToday, 0.0035, accuracy: 1e-12)
    }

    func testANodeKilledDuringACallLeavesItsWorstCaseCounted() {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        var killed: SpendLedger? = SpendLedger(dailyCapUSD: 0.004, store: store, now: time.now)
        XCTAssertNotNil(killed.flatMap(reserve))
        killed = nil  // the process is gone; its call is never settled
        let restarted = SpendLedger(dailyCapUSD: 0.004, store: store, now: time.now)
        XCTAssertNil(reserve(restarted), "the unsettled call's worst case still counts: the cap errs on the safe side")
        XCTAssertEqual(store.days[100] ?? 0, 0.0025, accuracy: 1e-12)
    }

    func testAStoreDownWhenACallStartsCountsItOnTheNodeAndWritesWhatItCost() throws {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let ledger = SpendLedger(dailyCapUSD: 0.004, store: store, now: time.now)
        store.failures = 100
        let first = try XCTUnwrap(reserve(ledger), "a store that does not answer does not stop explanations")
        XCTAssertNil(reserve(ledger), "but the node's own calls under way still count against the cap")
        store.failures = 0
        ledger.settle(first, usage: TokenUsage(inputTokens: 1000, outputTokens: 200))
        XCTAssertEqual(
            store.days[100] ?? 0,
            0.002,
            accuracy: 1e-12,
            "written once the store answers: the call's cost, nothing of the refused one"
        )
        XCTAssertEqual(ledger.spentToday, 0.002, accuracy: 1e-12)
    }

    func testAStoreThatFailsLosesNoCostAndTheNodeKeepsCounting() {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let errors = ErrorCount()
        let ledger = SpendLedger(
            dailyCapUSD: 0.01,
            store: store,
            refreshSeconds: 0,
            onStoreError: { _ in errors.add() },
            now: time.now
        )
        store.failures = 100
        XCTAssertTrue(fits(ledger), "a store that does not answer does not stop explanations")
        ledger.record(model: model, usage: TokenUsage(inputTokens: 2_000, outputTokens: 400))
        ledger.record(model: model, usage: TokenUsage(inputTokens: 2_000, outputTokens: 400))
        XCTAssertEqual(ledger.spentToday, 0.008, accuracy: 1e-12, "counted on this node")
        XCTAssertTrue(store.days.isEmpty)
        XCTAssertGreaterThan(errors.n, 0)
        // A cost settled the day after the failure, with the store back: the day before's costs are
        // written to that day and today's to today.
        store.failures = 0
        time.t += 86_400
        ledger.record(model: model, usage: TokenUsage(inputTokens: 1_000, outputTokens: 0))
        XCTAssertEqual(store.days[100] ?? 0, 0.008, accuracy: 1e-12)
        XCTAssertEqual(store.days[101] ?? 0, 0.001, accuracy: 1e-12)
        XCTAssertEqual(ledger.spentToday, 0.001, accuracy: 1e-12)
    }

    func testAFailedReadIsRetriedNotEveryCall() {
        let time = FakeClock(86_400.0 * 100 + 100)
        let store = MemorySpendStore()
        let ledger = SpendLedger(dailyCapUSD: 0.01, store: store, refreshSeconds: 2, now: time.now)
        store.failures = 1
        XCTAssertTrue(fits(ledger))
        XCTAssertTrue(fits(ledger))
        XCTAssertEqual(store.reads, 1, "the next read waits for the interval")
        time.t += 2
        XCTAssertTrue(fits(ledger))
        XCTAssertEqual(store.reads, 2)
    }
}

final class ErrorCount: @unchecked Sendable {
    let lock = NSLock()
    var n = 0
    func add() {
        lock.lock()
        n += 1
        lock.unlock()
    }
}

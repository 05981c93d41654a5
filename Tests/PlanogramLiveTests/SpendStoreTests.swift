import Foundation
import PlanogramDomain
import Reasoning
import Store
import StoreTestSupport
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// The AI spend table (`DatabaseSpendStore`) on a real SQLite file; `PostgresSpendStoreTests` runs the
/// same on PostgreSQL. Each `Store` is one node's connection.
class SpendStoreTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "spend-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Connections of `count` nodes to one database.
    func makeStores(_ count: Int) throws -> [Store] {
        try (0..<count).map { _ in try Store(path: dir + "/t.db") }
    }

    func testNodesAddingAtOnceEachSeeATotalThatHoldsTheOthersCosts() throws {
        let stores = try makeStores(2)
        let nodes = stores.map { DatabaseSpendStore(store: $0) }
        final class Totals: @unchecked Sendable {
            let lock = NSLock()
            var seen: [Double] = []
            var errors: [String] = []
        }
        let totals = Totals()
        // Two nodes, 40 costs of $0.25 each (exact in binary), added from two threads at once.
        DispatchQueue.concurrentPerform(iterations: 80) { i in
            do {
                let t = try nodes[i % 2].addSpend(day: 20_000, usd: 0.25)
                totals.lock.lock()
                totals.seen.append(t)
                totals.lock.unlock()
            } catch {
                totals.lock.lock()
                totals.errors.append("\(error)")
                totals.lock.unlock()
            }
        }
        XCTAssertEqual(totals.errors, [])
        XCTAssertEqual(
            totals.seen.sorted(),
            (1...80).map { Double($0) * 0.25 },
            "every add saw the adds before it, none lost or counted twice"
        )
        XCTAssertEqual(try nodes[1].spend(day: 20_000), 20)
        XCTAssertEqual(try nodes[0].spend(day: 20_001), 0)
    }

    func testTheCapHoldsForTheNodesTogetherAndAfterARestart() throws {
        let stores = try makeStores(2)
        let cap = 0.01
        let a = SpendLedger(dailyCapUSD: cap, store: DatabaseSpendStore(store: stores[0]), refreshSeconds: 0)
        let b = SpendLedger(dailyCapUSD: cap, store: DatabaseSpendStore(store: stores[1]), refreshSeconds: 0)
        // Calls reserve $0.0025 and cost $0.002: four fit under $0.01 for the two nodes together.
        var made = 0
        for i in 0..<10 {
            let node = i % 2 == 0 ? a : b
            guard let r = node.reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300) else {
                continue
            }
            node.settle(r, usage: TokenUsage(inputTokens: 1000, outputTokens: 200))
            made += 1
        }
        XCTAssertEqual(made, 4)
        // A node started again on the same database: the cap is still reached today.
        let again = SpendLedger(dailyCapUSD: cap, store: DatabaseSpendStore(store: try makeStores(1)[0]))
        XCTAssertNil(again.reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300))
        XCTAssertEqual(again.spentToday, 0.008, accuracy: 1e-12)
    }

    func testCallsStartingAtOnceOnTwoNodesNeverHoldMoreThanTheCap() throws {
        let stores = try makeStores(2)
        // A $0.01 cap holds four worst cases of $0.0025; 24 calls start at once on two nodes, none ends.
        let nodes = stores.map { SpendLedger(dailyCapUSD: 0.01, store: DatabaseSpendStore(store: $0)) }
        final class Admitted: @unchecked Sendable {
            let lock = NSLock()
            var n = 0
        }
        let admitted = Admitted()
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            guard nodes[i % 2].reserve(model: "claude-haiku-4-5", inputTokens: 1000, maxOutputTokens: 300) != nil else {
                return
            }
            admitted.lock.lock()
            admitted.n += 1
            admitted.lock.unlock()
        }
        XCTAssertGreaterThanOrEqual(admitted.n, 1, "the first to be counted always fits")
        XCTAssertLessThanOrEqual(
            admitted.n,
            4,
            "never more calls under way than the cap covers, the two nodes together"
        )
        let day = FleetClock.utc.day(of: Int64(Date().timeIntervalSince1970))
        XCTAssertEqual(
            try DatabaseSpendStore(store: stores[0]).spend(day: day),
            Double(admitted.n) * 0.0025,
            accuracy: 1e-9,
            "the refused calls' amounts are all taken back"
        )
    }

    func testOldDaysAreDeletedAsNewOnesBegin() throws {
        let s = DatabaseSpendStore(store: try makeStores(1)[0])
        _ = try s.addSpend(day: 1_000, usd: 1)
        _ = try s.addSpend(day: 1_050, usd: 1)
        _ = try s.addSpend(day: 1_095, usd: 1)
        XCTAssertEqual(try s.spend(day: 1_000), 0, "more than 90 days before the newest")
        XCTAssertEqual(try s.spend(day: 1_050), 1)
    }

    final class Count: @unchecked Sendable {
        let lock = NSLock()
        var n = 0
        func add() {
            lock.lock()
            n += 1
            lock.unlock()
        }
    }
}

/// SQLite only: another process holds the write lock past the busy timeout.
final class SQLiteSpendStoreFaultTests: XCTestCase {
    /// The cost is kept and written with the next call; nothing is lost.
    func testAHeldWriteLockLosesNoCost() throws {
        let dir = NSTemporaryDirectory() + "spend-lock-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        let errors = SpendStoreTests.Count()
        let ledger = SpendLedger(
            dailyCapUSD: 1,
            store: DatabaseSpendStore(store: store),
            refreshSeconds: 0,
            onStoreError: { _ in errors.add() }
        )
        let other = try SQLiteDatabase(path: dir + "/t.db")
        try other.execute("BEGIN IMMEDIATE")
        ledger.record(model: "claude-haiku-4-5", usage: TokenUsage(inputTokens: 250_000, outputTokens: 0))
        XCTAssertEqual(errors.n, 1, "the write waited out the busy timeout and failed")
        XCTAssertEqual(ledger.spentToday, 0.25, accuracy: 1e-12, "counted on this node meanwhile")
        try other.execute("COMMIT")
        ledger.record(model: "claude-haiku-4-5", usage: TokenUsage(inputTokens: 250_000, outputTokens: 0))
        let day = Int64(Date().timeIntervalSince1970) / 86_400  // the ledger's clock is UTC's
        XCTAssertEqual(
            try DatabaseSpendStore(store: store).spend(day: day),
            0.5,
            accuracy: 1e-12,
            "both costs are in the table"
        )
    }
}

/// The same on PostgreSQL, each `Store` a connection of its own to one schema. Test discovery on Linux
/// lists only the methods a class declares itself, hence the overrides.
final class PostgresSpendStoreTests: SpendStoreTests {
    var url = ""
    override func makeStores(_ count: Int) throws -> [Store] {
        if url.isEmpty { url = try TestPostgres.freshSchemaURL("spend") }
        return try (0..<count).map { _ in try Store(location: .postgres(url: url)) }
    }
    override func testNodesAddingAtOnceEachSeeATotalThatHoldsTheOthersCosts() throws {
        try super.testNodesAddingAtOnceEachSeeATotalThatHoldsTheOthersCosts()
    }
    override func testTheCapHoldsForTheNodesTogetherAndAfterARestart() throws {
        try super.testTheCapHoldsForTheNodesTogetherAndAfterARestart()
    }
    override func testOldDaysAreDeletedAsNewOnesBegin() throws { try super.testOldDaysAreDeletedAsNewOnesBegin() }
    override func testCallsStartingAtOnceOnTwoNodesNeverHoldMoreThanTheCap() throws {
        try super.testCallsStartingAtOnceOnTwoNodesNeverHoldMoreThanTheCap()
    }
}

import Foundation
import PlanogramDomain

/// Estimated spend per local date (the fleet's clock, `PLANOGRAM_TIMEZONE`) against a cap. Prices are US
/// dollars per million tokens (input, output), matched by model-name prefix; defaults from Anthropic's
/// published price list (anthropic.com/pricing, read 2026-11): Haiku 4.5 $1/$5, Sonnet 4.x $3/$15, Opus 4.5
/// $5/$25; an unknown model is priced as Sonnet. Before a call, the prompt estimate plus `max_tokens` of
/// output must fit under the cap.
///
/// With a `SpendStore` the cap holds for the whole deployment and across restarts: the day's total is
/// read from the store (at most every `refreshSeconds`, and always first thing on a new day or after a
/// start), and each call's cost is added to it when the call ends. What the other nodes have under way
/// is not seen until it is settled, so a cluster may overshoot the cap by at most the calls in flight on
/// the other nodes (each bounded by its `max_tokens`). A store that fails does not stop explanations: the
/// ledger counts on locally, keeps the unsaved amounts and adds them with the next write that succeeds.
public final class SpendLedger: @unchecked Sendable {
    public static let defaultPrices: [(prefix: String, input: Double, output: Double)] = [
        ("claude-haiku", 1, 5), ("claude-3-5-haiku", 0.8, 4), ("claude-sonnet", 3, 15), ("claude-opus-4-5", 5, 25), ("claude-opus", 15, 75),
    ]
    private let lock = NSLock()
    private var day: Int64 = .min
    /// Today's spend as last known: the store's total plus what this node could not save yet, or, without
    /// a store, what this process spent.
    private var spent = 0.0
    /// Worst-case cost of calls under way (reserved before they start, settled when they end).
    private var reserved = 0.0
    /// Costs not yet in the store, per day (a failed write; added with the next one).
    private var unsaved: [Int64: Double] = [:]
    /// When the store's total was last read (process time, seconds); nil: read before the next reservation.
    private var refreshedAt: Double?
    public let dailyCapUSD: Double
    let prices: [(prefix: String, input: Double, output: Double)]
    let now: @Sendable () -> Double
    let clock: FleetClock
    let store: (any SpendStore)?
    let refreshSeconds: Double
    let onStoreError: @Sendable (Error) -> Void

    public init(dailyCapUSD: Double, prices: [(prefix: String, input: Double, output: Double)] = SpendLedger.defaultPrices,
                clock: FleetClock = .utc, store: (any SpendStore)? = nil, refreshSeconds: Double = 2,
                onStoreError: @escaping @Sendable (Error) -> Void = { _ in },
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.dailyCapUSD = dailyCapUSD; self.prices = prices; self.now = now
        self.clock = clock; self.store = store; self.refreshSeconds = refreshSeconds; self.onStoreError = onStoreError
    }

    public func cost(model: String, inputTokens: Int, outputTokens: Int) -> Double {
        let p = prices.first { model.hasPrefix($0.prefix) } ?? (prefix: "", input: 3, output: 15)
        return (Double(inputTokens) * p.input + Double(outputTokens) * p.output) / 1_000_000
    }

    /// Under the lock. A new local date starts from nothing and reads the store before its first call.
    private func rollDay() {
        let d = clock.day(of: Int64(now().rounded(.down)))
        if d != day { day = d; spent = unsaved[d] ?? 0; reserved = 0; refreshedAt = nil }
    }

    /// Reads the day's total from the store when it is due (outside the lock: a database round trip on
    /// the reasoning worker's thread, never on an event loop).
    private func refreshIfDue() {
        guard let store else { return }
        lock.lock()
        rollDay()
        let d = day, t = now()
        let due = refreshedAt.map { t - $0 >= refreshSeconds || t < $0 } ?? true
        lock.unlock()
        guard due else { return }
        do {
            let total = try store.spend(day: d)
            lock.lock(); defer { lock.unlock() }
            if d == day { spent = max(spent, total + (unsaved[d] ?? 0)); refreshedAt = t }
        } catch {
            onStoreError(error)
            lock.lock(); defer { lock.unlock() }
            if d == day { refreshedAt = t }
        }
    }

    /// Adds a finished call's cost (with anything left unsaved) to the store and takes its total.
    private func save(_ c: Double) {
        lock.lock()
        rollDay()
        let d = day
        spent += c
        guard let store else { lock.unlock(); return }
        unsaved[d, default: 0] += c
        let pending = unsaved
        unsaved = [:]
        lock.unlock()
        var failed: [Int64: Double] = [:]
        var totals: [Int64: Double] = [:]
        for (pd, amount) in pending.sorted(by: { $0.key < $1.key }) {
            do { totals[pd] = try store.addSpend(day: pd, usd: amount) } catch { failed[pd] = amount; onStoreError(error) }
        }
        lock.lock(); defer { lock.unlock() }
        for (pd, amount) in failed { unsaved[pd, default: 0] += amount }
        // The store's total includes this node's cost and what the others settled; a later cost saved
        // concurrently by another thread here may already be in `spent`, so the larger figure stands.
        if let total = totals[day] { spent = max(spent, total + (unsaved[day] ?? 0)); refreshedAt = now() }
    }

    /// A call's worst-case cost held against the cap while it runs.
    public struct Reservation: Sendable {
        public let model: String
        let amount: Double
        let day: Int64
    }

    /// Reserves the worst case of a call (prompt estimate plus `maxOutputTokens`) if it fits under the
    /// cap together with what was spent and what calls under way may still spend; nil when it does not.
    /// Concurrent calls therefore cannot all pass the check before any of them is counted.
    public func reserve(model: String, inputTokens: Int, maxOutputTokens: Int) -> Reservation? {
        let c = cost(model: model, inputTokens: inputTokens, outputTokens: maxOutputTokens)
        refreshIfDue()
        lock.lock(); defer { lock.unlock() }
        rollDay()
        guard spent + reserved + c <= dailyCapUSD else { return nil }
        reserved += c
        return Reservation(model: model, amount: c, day: day)
    }

    /// Ends a reservation with what the call really used (also for cancelled and failed streams, whose
    /// prompt and relayed text are billed); returns the cost recorded.
    @discardableResult
    public func settle(_ r: Reservation, usage: TokenUsage) -> Double {
        let c = cost(model: r.model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        lock.lock()
        rollDay()
        if r.day == day { reserved = max(0, reserved - r.amount) }
        lock.unlock()
        save(c)
        return c
    }

    /// Today's spend as this node knows it (the store's total as last read, with what it settled since).
    public var spentToday: Double { lock.lock(); defer { lock.unlock() }; rollDay(); return spent }

    /// Whether a call of at most this size fits under today's cap.
    public func allows(model: String, inputTokens: Int, maxOutputTokens: Int) -> Bool {
        let c = cost(model: model, inputTokens: inputTokens, outputTokens: maxOutputTokens)
        refreshIfDue()
        lock.lock(); defer { lock.unlock() }
        rollDay()
        return spent + c <= dailyCapUSD
    }

    /// Records a finished call; returns its cost.
    @discardableResult
    public func record(model: String, usage: TokenUsage) -> Double {
        let c = cost(model: model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        save(c)
        return c
    }
}

import Foundation
import PlanogramDomain

/// Estimated spend per local date (the fleet's clock, `PLANOGRAM_TIMEZONE`) against a cap. Prices are US
/// dollars per million tokens (input, output), matched by model-name prefix; defaults from Anthropic's
/// published price list (anthropic.com/pricing, read 2026-11): Haiku 4.5 $1/$5, Sonnet 4.x $3/$15, Opus 4.5
/// $5/$25; an unknown model is priced as Sonnet. Before a call, the prompt estimate plus `max_tokens` of
/// output must fit under the cap.
///
/// With a `SpendStore` the cap holds for the whole deployment and across restarts: a call's worst case is
/// added to the day's total in the store before it starts (one atomic add that returns the total, every
/// node's calls under way included), the call goes ahead only if that total is within the cap (else the
/// amount is taken back), and when it ends the difference to what it really cost is added. So the nodes
/// together never admit more than the cap, calls under way on other nodes included; a node killed during
/// a call leaves that call's worst case counted (the cap errs on the safe side, by at most `max_tokens`
/// a call). A store that fails does not stop explanations: the ledger counts on locally (its own calls
/// under way and the total it last saw), keeps the unsaved amounts and adds them with the next write that
/// succeeds.
package final class SpendLedger: @unchecked Sendable {
    package static let defaultPrices: [(prefix: String, input: Double, output: Double)] = [
        ("claude-haiku", 1, 5), ("claude-3-5-haiku", 0.8, 4), ("claude-sonnet", 3, 15), ("claude-opus-4-5", 5, 25),
        ("claude-opus", 15, 75),
    ]
    private let lock = NSLock()
    private var day: Int64 = .min
    /// Today's spend as last known: the store's total (with the worst case of every node's calls under way)
    /// plus what this node could not save yet, or, without a store, what this process spent.
    private var spent = 0.0
    /// Without a store: the worst-case cost of the calls under way (with one, it is in the store's total).
    private var reserved = 0.0
    /// Costs not yet in the store, per day (a failed write; added with the next one).
    private var unsaved: [Int64: Double] = [:]
    /// When the store's total was last read (process time, seconds); nil: read before the next reservation.
    private var refreshedAt: Double?
    /// Store round trips numbered as they start; a total is taken into `spent` only if no later-started one
    /// has been taken already (amounts go down as well as up, so the largest figure is not the newest).
    private var issued = 0, applied = 0
    package let dailyCapUSD: Double
    let prices: [(prefix: String, input: Double, output: Double)]
    let now: @Sendable () -> Double
    let clock: FleetClock
    let store: (any SpendStore)?
    let refreshSeconds: Double
    let onStoreError: @Sendable (Error) -> Void

    package init(
        dailyCapUSD: Double,
        prices: [(prefix: String, input: Double, output: Double)] = SpendLedger.defaultPrices,
        clock: FleetClock = .utc,
        store: (any SpendStore)? = nil,
        refreshSeconds: Double = 2,
        onStoreError: @escaping @Sendable (Error) -> Void = { _ in },
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.dailyCapUSD = dailyCapUSD
        self.prices = prices
        self.now = now
        self.clock = clock
        self.store = store
        self.refreshSeconds = refreshSeconds
        self.onStoreError = onStoreError
    }

    package func cost(model: String, inputTokens: Int, outputTokens: Int) -> Double {
        let p = prices.first { model.hasPrefix($0.prefix) } ?? (prefix: "", input: 3, output: 15)
        return (Double(inputTokens) * p.input + Double(outputTokens) * p.output) / 1_000_000
    }

    /// Under the lock. A new local date starts from nothing and reads the store before its first call.
    private func rollDay() {
        let d = clock.day(of: Int64(now().rounded(.down)))
        if d != day {
            day = d
            spent = unsaved[d] ?? 0
            reserved = 0
            refreshedAt = nil
        }
    }

    /// Reads the day's total from the store when it is due (outside the lock: a database round trip on
    /// the reasoning worker's thread, never on an event loop).
    private func refreshIfDue() {
        guard let store else { return }
        lock.lock()
        rollDay()
        let d = day
        let t = now()
        let due = refreshedAt.map { t - $0 >= refreshSeconds || t < $0 } ?? true
        guard due else {
            lock.unlock()
            return
        }
        issued += 1
        let ticket = issued
        lock.unlock()
        do {
            let total = try store.spend(day: d)
            lock.lock()
            defer { lock.unlock() }
            take(total, day: d, ticket: ticket)
            if d == day { refreshedAt = t }
        } catch {
            onStoreError(error)
            lock.lock()
            defer { lock.unlock() }
            if d == day { refreshedAt = t }
        }
    }

    /// Under the lock: the store's total for `day` as of round trip `ticket`, with what waits to be written.
    private func take(_ total: Double, day d: Int64, ticket: Int) {
        guard d == day, ticket > applied else { return }
        spent = total + (unsaved[d] ?? 0)
        applied = ticket
    }

    /// Adds an amount (a finished call's cost, a reservation's correction or its release) with anything left
    /// unsaved to the store and takes the day's total; `day` nil: today.
    @discardableResult
    private func save(_ c: Double, day target: Int64? = nil) -> Double? {
        lock.lock()
        rollDay()
        let d = target ?? day
        if d == day { spent += c }
        guard let store else {
            lock.unlock()
            return nil
        }
        unsaved[d, default: 0] += c
        let pending = unsaved
        unsaved = [:]
        issued += 1
        let ticket = issued
        lock.unlock()
        var failed: [Int64: Double] = [:]
        var totals: [Int64: Double] = [:]
        for (pd, amount) in pending.sorted(by: { $0.key < $1.key }) {
            do { totals[pd] = try store.addSpend(day: pd, usd: amount) } catch {
                failed[pd] = amount
                onStoreError(error)
            }
        }
        lock.lock()
        defer { lock.unlock() }
        for (pd, amount) in failed { unsaved[pd, default: 0] += amount }
        // The store's total includes this node's amount and what the others added.
        if let total = totals[day] {
            take(total, day: day, ticket: ticket)
            refreshedAt = now()
        }
        return failed[d] == nil ? totals[d] : nil
    }

    /// A call's worst-case cost held against the cap while it runs.
    package struct Reservation: Sendable {
        package let model: String
        let amount: Double
        let day: Int64
    }

    /// Reserves the worst case of a call (prompt estimate plus `maxOutputTokens`) if it fits under the
    /// cap together with what was spent and what calls under way may still spend — with a store, every
    /// node's — and nil when it does not. Concurrent calls therefore cannot all pass the check before any
    /// of them is counted. With a store: one or two database round trips, so callers run off the event loops.
    package func reserve(model: String, inputTokens: Int, maxOutputTokens: Int) -> Reservation? {
        let c = cost(model: model, inputTokens: inputTokens, outputTokens: maxOutputTokens)
        if store != nil {
            lock.lock()
            rollDay()
            let d = day
            lock.unlock()
            if let total = save(c, day: d) {
                if total <= dailyCapUSD + 1e-12 { return Reservation(model: model, amount: c, day: d) }
                save(-c, day: d)  // over the cap with the others' calls: take it back
                return nil
            }
            // The store did not take it: the amount waits in `unsaved` (and counts in `spent`) as the
            // call's worst case; the call may go ahead on this node's own figures.
            lock.lock()
            defer { lock.unlock() }
            rollDay()
            if d == day && spent <= dailyCapUSD + 1e-12 { return Reservation(model: model, amount: c, day: d) }
            if d == day { spent -= c }
            unsaved[d, default: 0] -= c
            return nil
        }
        lock.lock()
        defer { lock.unlock() }
        rollDay()
        guard spent + reserved + c <= dailyCapUSD else { return nil }
        reserved += c
        return Reservation(model: model, amount: c, day: day)
    }

    /// Ends a reservation with what the call really used (also for cancelled and failed streams, whose
    /// prompt and relayed text are billed); returns the cost recorded.
    @discardableResult
    package func settle(_ r: Reservation, usage: TokenUsage) -> Double {
        let c = cost(model: r.model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        if store != nil {
            // The worst case is in the day's total already (or waits to be written): add the difference.
            save(c - r.amount, day: r.day)
            return c
        }
        lock.lock()
        rollDay()
        if r.day == day { reserved = max(0, reserved - r.amount) }
        lock.unlock()
        save(c)
        return c
    }

    /// Today's spend as this node knows it (the store's total as last read, with what it settled since).
    package var spentToday: Double {
        lock.lock()
        defer { lock.unlock() }
        rollDay()
        return spent
    }

    /// Whether a call of at most this size fits under today's cap.
    package func allows(model: String, inputTokens: Int, maxOutputTokens: Int) -> Bool {
        let c = cost(model: model, inputTokens: inputTokens, outputTokens: maxOutputTokens)
        refreshIfDue()
        lock.lock()
        defer { lock.unlock() }
        rollDay()
        return spent + c <= dailyCapUSD
    }

    /// Records a finished call; returns its cost.
    @discardableResult
    package func record(model: String, usage: TokenUsage) -> Double {
        let c = cost(model: model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        save(c)
        return c
    }
}

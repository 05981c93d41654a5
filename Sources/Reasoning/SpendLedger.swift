import Foundation

/// Estimated spend per UTC day against a cap. Prices are US dollars per million tokens (input, output),
/// matched by model-name prefix; defaults from Anthropic's published price list (anthropic.com/pricing,
/// read 2026-11): Haiku 4.5 $1/$5, Sonnet 4.x $3/$15, Opus 4.5 $5/$25; an unknown model is priced as
/// Sonnet. Before a call, the prompt estimate plus `max_tokens` of output must fit under the cap.
public final class SpendLedger: @unchecked Sendable {
    public static let defaultPrices: [(prefix: String, input: Double, output: Double)] = [
        ("claude-haiku", 1, 5), ("claude-3-5-haiku", 0.8, 4), ("claude-sonnet", 3, 15), ("claude-opus-4-5", 5, 25), ("claude-opus", 15, 75),
    ]
    private let lock = NSLock()
    private var day: Int64 = -1
    private var spent = 0.0
    /// Worst-case cost of calls under way (reserved before they start, settled when they end).
    private var reserved = 0.0
    public let dailyCapUSD: Double
    let prices: [(prefix: String, input: Double, output: Double)]
    let now: @Sendable () -> Double

    public init(dailyCapUSD: Double, prices: [(prefix: String, input: Double, output: Double)] = SpendLedger.defaultPrices,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.dailyCapUSD = dailyCapUSD; self.prices = prices; self.now = now
    }

    public func cost(model: String, inputTokens: Int, outputTokens: Int) -> Double {
        let p = prices.first { model.hasPrefix($0.prefix) } ?? (prefix: "", input: 3, output: 15)
        return (Double(inputTokens) * p.input + Double(outputTokens) * p.output) / 1_000_000
    }

    private func rollDay() {
        let d = Int64(now() / 86_400)
        if d != day { day = d; spent = 0; reserved = 0 }
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
        lock.lock(); defer { lock.unlock() }
        rollDay()
        if r.day == day { reserved = max(0, reserved - r.amount) }
        spent += c
        return c
    }

    public var spentToday: Double { lock.lock(); defer { lock.unlock() }; rollDay(); return spent }

    /// Whether a call of at most this size fits under today's cap.
    public func allows(model: String, inputTokens: Int, maxOutputTokens: Int) -> Bool {
        let c = cost(model: model, inputTokens: inputTokens, outputTokens: maxOutputTokens)
        lock.lock(); defer { lock.unlock() }
        rollDay()
        return spent + c <= dailyCapUSD
    }

    /// Records a finished call; returns its cost.
    @discardableResult
    public func record(model: String, usage: TokenUsage) -> Double {
        let c = cost(model: model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        lock.lock(); defer { lock.unlock() }
        rollDay()
        spent += c
        return c
    }
}

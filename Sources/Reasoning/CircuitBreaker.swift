import Foundation

/// Stops calling a failing API for a while. Closed: calls go through; `threshold` failures in a row open
/// it for `cooldown` seconds (calls refused); then one trial call is let through (half-open): success
/// closes it, failure opens it again.
package final class CircuitBreaker: @unchecked Sendable {
    package enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }
    private let lock = NSLock()
    private var failures = 0
    private var openedAt: Double?
    private var trialInFlight = false
    package let threshold: Int
    package let cooldown: Double
    let now: @Sendable () -> Double

    package init(
        threshold: Int = 5,
        cooldown: Double = 30,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.now = now
    }

    package var state: State {
        lock.lock()
        defer { lock.unlock() }
        guard let at = openedAt else { return .closed }
        return now() - at >= cooldown ? .halfOpen : .open
    }

    /// Whether a call may be made now (in half-open state, only the first caller gets the trial).
    package func allow() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let at = openedAt else { return true }
        if now() - at < cooldown || trialInFlight { return false }
        trialInFlight = true
        return true
    }

    package func success() {
        lock.lock()
        defer { lock.unlock() }
        failures = 0
        openedAt = nil
        trialInFlight = false
    }

    /// Returns true when this failure opened (or re-opened) the breaker.
    @discardableResult
    package func failure() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        failures += 1
        if trialInFlight || (openedAt == nil && failures >= threshold) {
            openedAt = now()
            trialInFlight = false
            return true
        }
        return false
    }
}

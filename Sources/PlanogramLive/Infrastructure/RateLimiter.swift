import Foundation
import HTTPAPI
import Metrics

/// A rate and a burst: `rate` requests per second on average, up to `burst` at once. A rate of 0 means
/// no limit.
package struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    package var rate: Double
    package var burst: Double

    package init(rate: Double, burst: Double? = nil) {
        self.rate = rate
        self.burst = burst ?? max(1, rate * 2)
    }

    package static let unlimited = RateLimit(rate: 0, burst: 0)

    /// Parses `RATE` or `RATE:BURST` (e.g. `200` or `200:400`); `0` or `off` turns the limit off.
    package init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "0" {
            self = .unlimited
            return
        }
        let parts = t.split(separator: ":")
        guard (1...2).contains(parts.count), let r = Double(parts[0]), r > 0, r.isFinite else { return nil }
        var b: Double?
        if parts.count == 2 {
            guard let x = Double(parts[1]), x >= 1, x.isFinite else { return nil }
            b = x
        }
        self.init(rate: r, burst: b)
    }

    package var description: String { rate == 0 ? "off" : "\(rate)/s burst \(burst)" }
}

/// Per-token rate limits (token buckets keyed by the token's subject and a route class): a request over
/// the limit is answered 429 with `Retry-After` (whole seconds until a token is free) and counted in
/// `/metrics` as `rate_limited_total{route}`. Memory is bounded: buckets idle for a minute are dropped
/// when the table grows past `maxBuckets`. Thread-safe (one lock; the work under it is a few arithmetic
/// operations).
package final class RateLimiter: @unchecked Sendable {
    package enum Route: String, Sendable, CaseIterable {
        case ops, drags, score, predict, explain
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let limits: [Route: RateLimit]
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private let maxBuckets: Int
    private let now: @Sendable () -> Double
    private let counters: [Route: Counter]
    /// Requests allowed here since the last `drainTaken()`, by bucket key (only while `sharing`).
    private var taken: [String: Int] = [:]
    /// Set on a cluster's node: allowed requests are counted for `SharedRateLimits`.
    package var sharing = false

    package init(
        limits: [Route: RateLimit],
        maxBuckets: Int = 100_000,
        now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    ) {
        self.limits = limits
        self.maxBuckets = maxBuckets
        self.now = now
        counters = Dictionary(
            uniqueKeysWithValues: Route.allCases.map {
                ($0, Counter(label: "rate_limited_total", dimensions: [("route", $0.rawValue)]))
            }
        )
    }

    /// Takes one request from `subject`'s bucket for `route`. Nil when allowed; otherwise the seconds
    /// until the next request would be allowed.
    package func take(_ route: Route, subject: String) -> Double? {
        guard let limit = limits[route], limit.rate > 0 else { return nil }
        let key = route.rawValue + "\u{1F}" + subject
        let t = now()
        lock.lock()
        var b = buckets[key] ?? Bucket(tokens: limit.burst, updated: t)
        b.tokens = min(limit.burst, b.tokens + (t - b.updated) * limit.rate)
        b.updated = t
        var wait: Double?
        if b.tokens >= 1 {
            b.tokens -= 1
            if sharing { taken[key, default: 0] += 1 }
        } else {
            wait = (1 - b.tokens) / limit.rate
        }
        buckets[key] = b
        if buckets.count > maxBuckets { buckets = buckets.filter { t - $0.value.updated < 60 } }
        lock.unlock()
        if wait != nil { counters[route]?.increment() }
        return wait
    }

    /// The requests this node allowed since the last call, by bucket key (for the cluster's counters).
    func drainTaken() -> [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        let out = taken
        taken = [:]
        return out
    }

    /// Takes `count` tokens that other nodes spent from the bucket `key` (it may go below zero: the
    /// subject then waits until the cluster's spending is paid back at the limit's rate).
    func debit(key: String, count: Int) {
        guard let route = Route(rawValue: String(key.prefix { $0 != "\u{1F}" })), let limit = limits[route],
            limit.rate > 0
        else { return }
        let t = now()
        lock.lock()
        var b = buckets[key] ?? Bucket(tokens: limit.burst, updated: t)
        b.tokens = min(limit.burst, b.tokens + (t - b.updated) * limit.rate) - Double(count)
        b.updated = t
        buckets[key] = b
        lock.unlock()
    }

    /// The 429 for a refused request.
    static func error(retryAfter seconds: Double) -> APIError {
        let whole = max(1, Int(seconds.rounded(.up)))
        return APIError(
            429,
            "rate_limited",
            "too many requests; retry in \(whole) s",
            details: ["retry_after_seconds": whole]
        )
    }
}

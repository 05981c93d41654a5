import Cluster
import Dispatch
import Foundation
import Logging

/// Rate limits that hold across a cluster (docs/OPERATIONS.md): each node keeps its token buckets (so a request is
/// decided at once, on the loop, without a network round trip) and every `interval` adds what it allowed
/// to a counter per bucket and second in Redis (`INCRBY`, expiring after 5 s); what the counter grew by
/// beyond this node's own additions is what the other nodes allowed in that second, and is taken from
/// the local bucket. A subject spread over N nodes therefore gets the limit once, not N times, give or
/// take one interval's requests. Redis away: each node limits alone until it is back.
/// Confinement: `seen` only on `queue`.
final class SharedRateLimits: @unchecked Sendable {
    static let prefix = "planogram:rl:"
    private let limiter: RateLimiter
    private let url: RedisURL
    private let logger: Logger
    private let queue = DispatchQueue(label: "planogram.ratelimits")
    private var connection: RedisConnection?
    private var timer: DispatchSourceTimer?
    /// Per bucket key: the second of the counter last read, its value then, and when the key was last
    /// active here.
    private var seen: [String: (window: Int, total: Int64, at: Double)] = [:]

    private let now: @Sendable () -> Double

    init(
        limiter: RateLimiter,
        url: RedisURL,
        logger: Logger,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.limiter = limiter
        self.url = url
        self.logger = logger
        self.now = now
        limiter.sharing = true
    }

    func start(interval: Double = 0.2) {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + interval, repeating: interval)
        t.setEventHandler { [weak self] in self?.syncOnce() }
        t.resume()
        timer = t
    }

    func stop() { timer?.cancel() }

    /// One exchange with Redis: push this node's allowed requests, pull the others'. On the queue (or a
    /// test's thread with no timer running).
    func syncOnce() {
        let mine = limiter.drainTaken()
        let now = self.now()
        // Keys active here in the last minute are read even without new local requests, so the others'
        // spending reaches this node's bucket before its next request.
        var keys = Set(mine.keys)
        for (k, v) in seen where now - v.at < 60 { keys.insert(k) }
        seen = seen.filter { now - $0.value.at < 60 }
        let window = Int(now)
        do {
            if connection == nil { connection = try RedisConnection(url: url, timeoutSeconds: 0.5) }
            for key in keys {
                let redisKey = Self.prefix + key.replacingOccurrences(of: "\u{1F}", with: ":") + ":\(window)"
                let added = mine[key] ?? 0
                let total = try connection!.command(["INCRBY", redisKey, String(added)]).integer ?? 0
                if added > 0 { try connection!.command(["EXPIRE", redisKey, "5"]) }
                // Within the same second: the growth since the last read; in a new second: all of it.
                let before = seen[key].flatMap { $0.window == window ? $0.total : nil } ?? 0
                let others = Int(total - before) - added
                if others > 0 { limiter.debit(key: key, count: others) }
                seen[key] = (window, total, added > 0 ? now : (seen[key]?.at ?? now))
            }
        } catch {
            connection = nil
            logger.warning("shared rate limits: redis unavailable; limiting per node", metadata: ["error": "\(error)"])
        }
    }
}

import Cluster
import Foundation
import Logging
import Reasoning

/// The reasoning cache's shared tier on a cluster (docs/OPERATIONS.md, the plan's 1 h tier): each node keeps its
/// own memory tier (5 min), every node reads and writes this one in Redis (`ttl`, 1 h by default, kept by
/// Redis with EX), and behind it the database's table (24 h). A miss here falls through to the database
/// and a hit there is put back here. Redis failing never fails an explanation: after an error the tier is
/// skipped for `pause` seconds and the database answers. Calls block; they run on reasoning worker
/// threads (one connection under a lock).
final class RedisReasoningStore: ReasoningStore, @unchecked Sendable {
    static let prefix = "planogram:reasoning:"

    private let url: RedisURL
    private let ttl: Int
    private let fallback: ReasoningStore
    private let logger: Logger
    private let pause: Double
    private let lock = NSLock()
    private var connection: RedisConnection?
    private var skipUntil = 0.0

    init(url: RedisURL, ttl: Int = 3600, fallback: ReasoningStore, logger: Logger, pause: Double = 5) {
        self.url = url
        self.ttl = ttl
        self.fallback = fallback
        self.logger = logger
        self.pause = pause
    }

    private struct Entry: Codable {
        var text: String
        var model: String
        var input: Int
        var output: Int
        var at: Int64
    }

    /// Runs `body` with the connection, or returns nil when Redis is paused or fails (and pauses it).
    private func redis<T>(_ body: (RedisConnection) throws -> T) -> T? {
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        guard now >= skipUntil else { return nil }
        do {
            if connection == nil { connection = try RedisConnection(url: url, timeoutSeconds: 0.5) }
            return try body(connection!)
        } catch {
            connection = nil
            skipUntil = now + pause
            logger.warning("reasoning cache: redis skipped", metadata: ["error": "\(error)", "seconds": "\(pause)"])
            return nil
        }
    }

    func loadReasoning(hash: String, notBefore: Int64) -> CachedReasoning? {
        if let value = redis({ try $0.command(["GET", Self.prefix + hash]) }), case .string(let bytes) = value,
            let e = try? JSONDecoder().decode(Entry.self, from: Data(bytes)), e.at >= notBefore
        {
            return CachedReasoning(
                text: e.text,
                model: e.model,
                usage: TokenUsage(inputTokens: e.input, outputTokens: e.output)
            )
        }
        guard let found = fallback.loadReasoning(hash: hash, notBefore: notBefore) else { return nil }
        put(hash, found, at: Int64(Date().timeIntervalSince1970))
        return found
    }

    func saveReasoning(hash: String, _ entry: CachedReasoning, at: Int64) {
        put(hash, entry, at: at)
        fallback.saveReasoning(hash: hash, entry, at: at)
    }

    private func put(_ hash: String, _ e: CachedReasoning, at: Int64) {
        guard
            let body = try? JSONEncoder().encode(
                Entry(text: e.text, model: e.model, input: e.usage.inputTokens, output: e.usage.outputTokens, at: at)
            )
        else { return }
        _ = redis {
            try $0.command([
                Array("SET".utf8), Array((Self.prefix + hash).utf8), Array(body), Array("EX".utf8),
                Array(String(ttl).utf8),
            ])
        }
    }
}

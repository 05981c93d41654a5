import Crypto
import Foundation

/// A finished explanation, as cached and replayed.
package struct CachedReasoning: Sendable, Equatable {
    package var text: String
    package var model: String
    package var usage: TokenUsage
    package init(text: String, model: String, usage: TokenUsage) {
        self.text = text
        self.model = model
        self.usage = usage
    }
}

/// Durable second level of the cache (the app keeps it in SQLite). Calls block; they run on reasoning
/// worker threads, never on an event loop or a session queue.
package protocol ReasoningStore: Sendable {
    func loadReasoning(hash: String, notBefore: Int64) -> CachedReasoning?
    func saveReasoning(hash: String, _ entry: CachedReasoning, at: Int64)
}

/// Explanations by prompt hash: memory first (`memoryTTL`, default 5 min, at most `memoryEntries`), then
/// the store (`storeTTL`, default 24 h). A hit in the store is brought back into memory.
package final class ReasoningCache: @unchecked Sendable {
    private let lock = NSLock()
    private var memory: [String: (entry: CachedReasoning, at: Double)] = [:]
    package let memoryTTL: Double
    package let storeTTL: Double
    package let memoryEntries: Int
    let store: ReasoningStore?
    let now: @Sendable () -> Double

    package init(
        store: ReasoningStore?,
        memoryTTL: Double = 300,
        storeTTL: Double = 86_400,
        memoryEntries: Int = 2_000,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.store = store
        self.memoryTTL = memoryTTL
        self.storeTTL = storeTTL
        self.memoryEntries = memoryEntries
        self.now = now
    }

    /// The cache key: SHA-256 over everything that shapes the answer.
    package static func key(_ r: MessageRequest) -> String {
        var h = SHA256()
        for part in [r.model, String(r.maxTokens), String(r.temperature), r.system, r.prompt] {
            h.update(data: Array(part.utf8))
            h.update(data: [0])
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    package enum Level: String, Sendable { case memory, store }

    package func lookup(_ key: String) -> (CachedReasoning, Level)? {
        let t = now()
        lock.lock()
        if let hit = memory[key] {
            if t - hit.at <= memoryTTL {
                lock.unlock()
                return (hit.entry, .memory)
            }
            memory[key] = nil
        }
        lock.unlock()
        guard let entry = store?.loadReasoning(hash: key, notBefore: Int64(t - storeTTL)) else { return nil }
        remember(key, entry, at: t)
        return (entry, .store)
    }

    package func insert(_ key: String, _ entry: CachedReasoning) {
        let t = now()
        remember(key, entry, at: t)
        store?.saveReasoning(hash: key, entry, at: Int64(t))
    }

    private func remember(_ key: String, _ entry: CachedReasoning, at t: Double) {
        lock.lock()
        defer { lock.unlock() }
        if memory.count >= memoryEntries {
            memory = memory.filter { t - $0.value.at <= memoryTTL }
            if memory.count >= memoryEntries, let oldest = memory.min(by: { $0.value.at < $1.value.at })?.key {
                memory[oldest] = nil
            }
        }
        memory[key] = (entry, t)
    }
}

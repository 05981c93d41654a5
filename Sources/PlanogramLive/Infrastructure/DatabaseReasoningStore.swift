import Foundation
import Reasoning
import Store

/// The database tier of the reasoning cache: the `reasoning_cache` table (SQLite or PostgreSQL; on a cluster
/// behind `RedisReasoningStore`). Entries older than the store TTL
/// are not returned and are deleted as new ones are written (at most once a minute).
final class DatabaseReasoningStore: ReasoningStore, @unchecked Sendable {
    let store: Store
    let ttl: Double
    private let lock = NSLock()
    private var lastPrune = 0.0

    init(store: Store, ttl: Double) {
        self.store = store
        self.ttl = ttl
    }

    func loadReasoning(hash: String, notBefore: Int64) -> CachedReasoning? {
        (try? store.read { db in
            try db.query(
                "SELECT text, model, input_tokens, output_tokens FROM reasoning_cache WHERE prompt_hash = ? AND created_at >= ?",
                [.text(hash), .int(notBefore)]
            ) {
                CachedReasoning(
                    text: $0.text(0),
                    model: $0.text(1),
                    usage: TokenUsage(inputTokens: $0.int(2), outputTokens: $0.int(3))
                )
            }
        })?.first
    }

    func saveReasoning(hash: String, _ e: CachedReasoning, at: Int64) {
        lock.lock()
        let prune = Double(at) - lastPrune > 60
        if prune { lastPrune = Double(at) }
        lock.unlock()
        _ = try? store.write { db in
            try db.run(
                """
                INSERT INTO reasoning_cache (prompt_hash, model, text, input_tokens, output_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (prompt_hash) DO UPDATE SET model = excluded.model, text = excluded.text, input_tokens = excluded.input_tokens,
                  output_tokens = excluded.output_tokens, created_at = excluded.created_at
                """,
                [
                    .text(hash), .text(e.model), .text(e.text), .int(Int64(e.usage.inputTokens)),
                    .int(Int64(e.usage.outputTokens)), .int(at),
                ]
            )
            if prune { try db.run("DELETE FROM reasoning_cache WHERE created_at < ?", [.int(at - Int64(ttl))]) }
        }
    }
}

import Foundation
import Reasoning
import Store

/// The day's estimated Claude spend in the `ai_spend` table (SQLite or PostgreSQL): one row per local date,
/// added to in one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so nodes adding at once each
/// see a total that includes the other's cost. Rows older than 90 days are deleted as new days begin.
final class DatabaseSpendStore: SpendStore, @unchecked Sendable {
    let store: Store
    let now: @Sendable () -> Double

    init(store: Store, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.now = now
    }

    func addSpend(day: Int64, usd: Double) throws -> Double {
        let at = Int64(now())
        return try store.write { db in
            let total =
                try db.query(
                    """
                    INSERT INTO ai_spend (day, usd, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (day) DO UPDATE SET usd = ai_spend.usd + excluded.usd, updated_at = excluded.updated_at
                    RETURNING usd
                    """,
                    [.int(day), .double(usd), .int(at)]
                ) { $0.double(0) }.first ?? usd
            try db.run("DELETE FROM ai_spend WHERE day < ?", [.int(day - 90)])
            return total
        }
    }

    func spend(day: Int64) throws -> Double {
        try store.read { db in
            try db.query("SELECT usd FROM ai_spend WHERE day = ?", [.int(day)]) { $0.double(0) }.first ?? 0
        }
    }
}

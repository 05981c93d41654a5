import Foundation

/// The planned routes of a day (docs/API.md), kept as the JSON the planner wrote: a new plan for a date
/// replaces the old one whole.
package struct StoredRoutePlan: Sendable {
    package var date: String
    package var jobID: String
    package var plannedBy: String
    package var plannedAt: Int64
    package var body: Data

    package init(date: String, jobID: String, plannedBy: String, plannedAt: Int64, body: Data) {
        self.date = date
        self.jobID = jobID
        self.plannedBy = plannedBy
        self.plannedAt = plannedAt
        self.body = body
    }
}

extension Store {
    /// Saves a day's plan. `mayReplace` sees the plan stored for that date (if any) inside the same
    /// transaction and throws to keep it: nothing is written then.
    package func saveRoutePlan(_ plan: StoredRoutePlan, mayReplace: (StoredRoutePlan) throws -> Void = { _ in }) throws
    {
        try write { db in
            if let old = try Self.routePlan(db, date: plan.date) { try mayReplace(old) }
            try db.run(
                """
                INSERT INTO route_plans(date, job_id, planned_by, planned_at, body) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(date) DO UPDATE SET job_id = excluded.job_id, planned_by = excluded.planned_by,
                  planned_at = excluded.planned_at, body = excluded.body
                """,
                [
                    .text(plan.date), .text(plan.jobID), .text(plan.plannedBy), .of(Int(plan.plannedAt)),
                    .text(String(decoding: plan.body, as: UTF8.self)),
                ]
            )
        }
    }

    package func routePlan(date: String) throws -> StoredRoutePlan? {
        try read { db in try Self.routePlan(db, date: date) }
    }

    static func routePlan(_ db: any SQLConnection, date: String) throws -> StoredRoutePlan? {
        try db.query("SELECT date, job_id, planned_by, planned_at, body FROM route_plans WHERE date = ?", [.text(date)])
        {
            StoredRoutePlan(
                date: $0.text(0),
                jobID: $0.text(1),
                plannedBy: $0.text(2),
                plannedAt: Int64($0.int(3)),
                body: Data($0.text(4).utf8)
            )
        }.first
    }
}

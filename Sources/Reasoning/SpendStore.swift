import Foundation

/// Where the day's estimated Claude spend is kept beyond one process: the database (`ai_spend`), shared by
/// every node of a cluster and surviving a restart. `SpendLedger` adds a call's worst case before it starts
/// (admitting it if the total that comes back is within the cap, else taking it back) and the difference
/// to its real cost when it ends, so amounts may be negative.
package protocol SpendStore: Sendable {
    /// Adds `usd` (negative: takes it off) to the spend of the local date `day` (days since 1970-01-01 on the fleet's clock) and
    /// returns that day's total, everything every node added included. Atomic against concurrent adders.
    func addSpend(day: Int64, usd: Double) throws -> Double
    /// The day's total so far (0 for a day nothing was spent on).
    func spend(day: Int64) throws -> Double
}

import Foundation
import Insights
import PlanogramDomain

/// The forecast of one slot over a horizon (docs/MODELS.md `GET /api/devices/{id}/forecast`).
package struct SlotOutlook: Sendable, Equatable {
    package let cabinetIndex: Int
    package let slot: SlotCode
    package let productID: String
    package let capacity: Int
    /// Mean units demanded per day over the horizon.
    package let unitsPerDay: Double
    /// Units demanded over the horizon, and a 90 % predictive interval.
    package let expectedUnits: Double
    package let interval: (lower: Int, upper: Int)
    /// Units in the slot now; nil when its stock is unknown (`stockBasis`).
    package let stockNow: Int?
    package let stockBasis: StockBasis
    /// Median time the slot runs empty, if within the horizon (nil too when the stock is unknown).
    package let emptyAt: Int64?
    /// Probability the slot runs empty before the next planned visit; nil when the stock is unknown.
    package let stockoutProbability: Double?
    /// Units good now that pass their date before the next visit, and the earliest such date.
    package let expiringUnits: Int
    package let expiresAt: Int64?
    /// Units already past their date.
    package let expiredUnits: Int

    package static func == (a: SlotOutlook, b: SlotOutlook) -> Bool {
        a.cabinetIndex == b.cabinetIndex && a.slot == b.slot && a.productID == b.productID
            && a.expectedUnits == b.expectedUnits
            && a.interval == b.interval && a.stockNow == b.stockNow && a.stockBasis == b.stockBasis
            && a.emptyAt == b.emptyAt
            && a.stockoutProbability == b.stockoutProbability && a.expiringUnits == b.expiringUnits
    }
}

/// A device's slots over the next days: demand (count model), stock by lot, when each slot runs empty, the
/// chance it does before the next visit, and what expires. Pure: the caller brings the models, the
/// stock ledger, the planograms in effect and the time of the next visit.
package enum DeviceForecast {
    package static func slots(
        deviceID: String,
        cabinets: [Cabinet],
        planograms: [Int: Planogram],
        ledger: StockLedger,
        model: DemandModel,
        counts: DemandCounts,
        now: Int64,
        days: Int,
        nextVisit: Int64,
        clock: FleetClock = .utc,
        levels: SlotLevels = SlotLevels()
    ) -> [SlotOutlook] {
        let horizon = now + Int64(days) * 86_400
        let today = clock.day(of: now)
        var out: [SlotOutlook] = []
        for cabinet in cabinets.sorted(by: { $0.index < $1.index }) {
            guard let plan = planograms[cabinet.index] else { continue }
            for (slot, facing) in plan.sortedFacings {
                let key = SlotKey(CabinetKey(deviceID, cabinet.index), slot)
                let path = levels.path(key, fromDay: today, days: days + 1, clock: clock) {
                    counts.path(
                        model: model,
                        deviceID: deviceID,
                        cabinet: cabinet,
                        slot: slot,
                        productID: facing.productID,
                        fromDay: today,
                        days: days + 1,
                        clock: clock
                    )
                }
                var stock = ledger.slots[key] ?? SlotStock(shelfLifeDays: nil)
                if ledger.productOf[key] != nil && ledger.productOf[key] != facing.productID {
                    stock = SlotStock(shelfLifeDays: nil)
                }
                let basis = ledger.basis(key, product: facing.productID)
                let known = basis != .unknown
                let units = stock.units
                let demand = path.distribution(from: now, to: horizon)
                let untilVisit = path.distribution(from: now, to: max(now, nextVisit))
                out.append(
                    SlotOutlook(
                        cabinetIndex: cabinet.index,
                        slot: slot,
                        productID: facing.productID,
                        capacity: facing.capacity,
                        unitsPerDay: demand.mean / Double(max(days, 1)),
                        expectedUnits: demand.mean,
                        interval: (demand.quantile(0.05), demand.quantile(0.95)),
                        stockNow: known ? units : nil,
                        stockBasis: basis,
                        emptyAt: known ? path.medianEmptyTime(stock: units, now: now, horizon: horizon) : nil,
                        stockoutProbability: known ? counts.sellOutProbability(untilVisit, units: units) : nil,
                        // Unknown stock claims no expiry either: its lots are the assumed starting level.
                        expiringUnits: known ? stock.expiring(after: now, before: max(now, nextVisit)) : 0,
                        expiresAt: known ? stock.nextExpiry(after: now) : nil,
                        expiredUnits: known ? stock.expired(at: now) : 0
                    )
                )
            }
        }
        return out
    }
}

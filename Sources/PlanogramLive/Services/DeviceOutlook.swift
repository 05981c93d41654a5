import Forecasting
import Foundation
import Insights
import PlanogramDomain
import Store

enum DeviceOutlook {
    /// A device's slots over `days` from `now` (docs/MODELS.md): its published planograms, its stock, and the next
    /// visit expected — the last restock plus the device's usual interval, never earlier than an hour from now.
    /// The one computation behind the forecast route, the fleet plan job and `planogram-live plan`.
    static func outlook(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        deviceID: String,
        stock: FleetStock.DeviceStock?,
        now: Int64,
        days: Int
    ) throws -> (slots: [SlotOutlook], nextVisit: Int64) {
        let cabinets = app.catalog.current.cabinets(of: deviceID)
        var planograms: [Int: Planogram] = [:]
        for c in cabinets { planograms[c.index] = try app.published.current(CabinetKey(deviceID, c.index)) }
        let nextVisit = max(
            now + 3_600,
            (stock?.lastRestock ?? now) + Int64(snap.model.serviceInterval(deviceID) * 86_400)
        )
        let slots = DeviceForecast.slots(
            deviceID: deviceID,
            cabinets: cabinets,
            planograms: planograms,
            ledger: stock?.ledger ?? StockLedger(shelfLifeDays: { _ in nil }),
            model: snap.model,
            counts: snap.counts,
            now: now,
            days: days,
            nextVisit: nextVisit,
            clock: app.configuration.clock,
            levels: snap.levels
        )
        return (slots, nextVisit)
    }
}

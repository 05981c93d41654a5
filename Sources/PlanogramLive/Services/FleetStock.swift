import Forecasting
import Foundation
import PlanogramDomain
import Store

/// The stock by lot of devices at one time, replayed from the store: each slot starts full (the capacity
/// of the planogram then in effect) `windowDays` before — an assumption, so a slot's stock counts as known
/// only once a recorded fill followed (`StockLedger.basis`) — then restocks add lots, sales take the oldest,
/// pulls remove the oldest. One read of the events for a whole fleet, so planning a thousand devices costs
/// one pass, not a thousand.
struct FleetStock {
    struct DeviceStock {
        var ledger: StockLedger
        var lastRestock: Int64?
    }

    /// Four weeks: several restock cycles even of weekly machines, longer than any perishable lives; older
    /// lots cannot be known anyway (stock before the window is assumed full).
    static let windowDays: Int64 = 28

    static func load(store: Store, catalog: Catalog, deviceIDs: [String], now: Int64) throws -> [String: DeviceStock] {
        let products = catalog.products
        let shelfLife: @Sendable (String) -> Int? = { products[$0]?.shelfLifeDays }
        let since = now - windowDays * 86_400
        let wanted = Set(deviceIDs)
        var plans: [CabinetKey: [Planogram]] = [:]
        for id in deviceIDs {
            for c in catalog.cabinets(of: id) {
                plans[CabinetKey(id, c.index)] = try store.planogramHistory(deviceID: id, cabinetIndex: c.index)
            }
        }
        var out: [String: DeviceStock] = [:]
        for id in deviceIDs {
            var ledger = StockLedger(shelfLifeDays: shelfLife)
            for c in catalog.cabinets(of: id) {
                guard
                    let plan = plans[CabinetKey(id, c.index)]?.last(where: { $0.effectiveFrom <= since })
                        ?? plans[CabinetKey(id, c.index)]?.first
                else { continue }
                for (slot, f) in plan.sortedFacings {
                    ledger.restock(
                        SlotKey(CabinetKey(id, c.index), slot),
                        product: f.productID,
                        units: f.capacity,
                        at: since,
                        recorded: false
                    )
                }
            }
            out[id] = DeviceStock(ledger: ledger, lastRestock: nil)
        }
        let events = try VisitRepository.events(
            store,
            deviceID: deviceIDs.count == 1 ? deviceIDs[0] : nil,
            since: since
        )
        for e in events where e.ts <= now && wanted.contains(e.deviceID) {
            let cabinet = CabinetKey(e.deviceID, e.cabinetIndex)
            let key = SlotKey(cabinet, e.slot)
            switch e.kind {
            case .sale:
                out[e.deviceID]?.ledger.sale(key, product: e.productID, at: e.ts)
            case .restock:
                if let p = plans[cabinet]?.last(where: { $0.effectiveFrom <= e.ts })?.facings[e.slot]?.productID {
                    out[e.deviceID]?.ledger.restock(key, product: p, units: e.units, at: e.ts)
                }
                let last = out[e.deviceID]?.lastRestock
                out[e.deviceID]?.lastRestock = max(last ?? e.ts, e.ts)
            case .pull:
                out[e.deviceID]?.ledger.pull(key, units: e.units, at: e.ts)
            }
        }
        return out
    }
}

import Foundation
import Insights
import Logging
import PlanogramDomain
import Store

/// The fitted insights of the running server: the demand model, affinity, scorer and forecaster, built
/// from the stored history at start and rebuilt after every import (off the event loops). Readers get
/// an immutable snapshot; the swap is under a lock.
public final class InsightsEngine: @unchecked Sendable {
    public struct Snapshot: Sendable {
        public let model: DemandModel
        public let affinity: AffinityTable
        public let scorer: PlacementScorer
        public let forecaster: RevenueForecaster
        public let products: [String: Product]
        public let builtAt: Date
    }

    private let lock = NSLock()
    private var snapshot: Snapshot?
    let store: Store
    let logger: Logger

    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public var current: Snapshot? {
        lock.lock(); defer { lock.unlock() }
        return snapshot
    }

    /// Reads the history, fits, persists zone_performance and product_affinity, and swaps the snapshot.
    @discardableResult
    public func rebuild() throws -> Snapshot {
        let started = Date()
        let history = try Self.loadHistory(store)
        let model = DemandModel.fit(history)
        let affinity = AffinityTable(history: history)
        let products = Dictionary(uniqueKeysWithValues: history.products.map { ($0.id, $0) })
        let snap = Snapshot(model: model, affinity: affinity, scorer: PlacementScorer(model: model, affinity: affinity),
                            forecaster: RevenueForecaster(model: model, affinity: affinity), products: products, builtAt: Date())
        try persist(snap)
        lock.lock(); snapshot = snap; lock.unlock()
        logger.info("insights fitted", metadata: ["model": "\(DemandModel.version)", "slot_series": "\(history.series.count)",
                                                  "baskets": "\(history.baskets.count)", "pairs": "\(affinity.pairs.count)",
                                                  "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
        return snap
    }

    public static func loadHistory(_ store: Store) throws -> SalesHistory {
        let catalog = try store.loadCatalog()
        let planograms = try HistoryReader.planograms(store)
        let builder = HistoryBuilder(catalog: catalog.cabinets, devices: catalog.devices,
                                     products: catalog.products.values.sorted { $0.id < $1.id }, planograms: planograms)
        try HistoryReader.forEachEvent(store) { e in
            if e.isSale {
                builder.addSale(ts: e.ts, deviceID: e.deviceID, cabinetIndex: e.cabinetIndex, slot: e.slot, productID: e.productID,
                                price: e.price, transactionID: e.transactionID)
            } else {
                builder.addService(ts: e.ts, deviceID: e.deviceID, cabinetIndex: e.cabinetIndex, slot: e.slot, units: e.unitsAdded)
            }
        }
        return builder.finish()
    }

    private func persist(_ s: Snapshot) throws {
        let now = Int64(Date().timeIntervalSince1970)
        let h = s.model.history
        try store.write { db in
            try db.execute("DELETE FROM zone_performance; DELETE FROM product_affinity")
            let z = try db.statement("INSERT INTO zone_performance(device_id, cabinet_index, slot, value, position_multiplier, revenue_per_day, observations, model_version, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for (key, cab) in h.cabinets {
                guard let plan = h.planograms[key]?.last else { continue }
                for c in HeatMap.cells(model: s.model, forecaster: s.forecaster, cabinet: cab, planogram: plan) {
                    try z.bind([.text(key.deviceID), .of(key.index), .text(c.slot.description), .double(Double(c.value)),
                                .double(c.positionMultiplier), .double(c.revenuePerDay), .int(Int64(c.observations.rounded())),
                                .text(DemandModel.version), .int(now)])
                    try z.step(); z.reset()
                }
            }
            let a = try db.statement("INSERT INTO product_affinity(product_a, product_b, support, confidence, lift, baskets, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for p in s.affinity.pairs {
                try a.bind([.text(p.productA), .text(p.productB), .double(p.support), .double(p.confidence), .double(p.lift), .of(p.baskets), .int(now)])
                try a.step(); a.reset()
            }
        }
    }
}

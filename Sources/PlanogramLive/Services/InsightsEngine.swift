import Forecasting
import Foundation
import Insights
import Logging
import PlanogramDomain
import Store

/// The fitted insights of the running server: the demand model, affinity, scorer and forecaster.
///
/// Loaded, not waited for: the newest fitted set is kept in the store (`insights_models`) and loaded at
/// start in milliseconds; when it is missing or was fitted on older history (its fingerprint is the last
/// import), a refit runs in the background and is swapped in whole. Readers get an immutable snapshot;
/// the swap is under a lock, and `onChange` tells the live sessions. Nothing but the insight routes and
/// derived events depends on the models: ops take the catalogue from the store.
package final class InsightsEngine: @unchecked Sendable {
    package struct Snapshot: Sendable {
        package let model: DemandModel
        package let affinity: AffinityTable
        package let scorer: PlacementScorer
        package let forecaster: RevenueForecaster
        package let products: [String: Product]
        package let builtAt: Date
        /// The count side of demand (trend, overdispersion) for forecasts, stock-outs and pick lists.
        package let counts: DemandCounts
        /// Units and exposure per device and product, for venue-level demand (`VenueDemand`).
        package let exposure: VenueDemand.Exposure
        /// Pooled slot levels, served for devices whose history has dates only (`SlotLevels`).
        package let levels: SlotLevels
    }

    /// What the store keeps: the placement models and the count model, fitted together.
    struct StoredFit: Codable {
        static let format = 6
        var format = StoredFit.format
        var models: StoredModels
        var counts: DemandCounts
        var exposure: VenueDemand.Exposure
        var levels: SlotLevels
        /// What `predict/revenue` takes from the count model (fitted with the day series, which a
        /// restored history lacks).
        var revenueTerms: RevenueCountTerms
    }

    private let lock = NSLock()
    private var snapshot: Snapshot?
    private var fingerprint: String?
    private var onChange: [@Sendable () -> Void] = []
    private var onFit: [@Sendable () -> Void] = []
    private let fitQueue = DispatchQueue(label: "planogram.insights.fit", qos: .utility)
    let store: Store
    let logger: Logger
    /// The fleet's clock: the models' days are its local dates (`HistoryBuilder`).
    let clock: FleetClock

    package init(store: Store, logger: Logger, clock: FleetClock = .utc) {
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    package var current: Snapshot? {
        lock.lock()
        defer { lock.unlock() }
        return snapshot
    }

    /// Runs `handler` after every fit this process made and stored (not after loading stored models).
    func observeFits(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        onFit.append(handler)
        lock.unlock()
    }

    /// Runs `handler` after every swap.
    func observe(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        onChange.append(handler)
        lock.unlock()
    }

    /// The history the models should be fitted on: the newest import, and the zone its days are read in
    /// (models fitted on UTC days keep the fingerprint they had before zones: `import:N`).
    static func historyFingerprint(_ store: Store, clock: FleetClock) throws -> String {
        let run = try store.read { db in
            // DEX reads add interval counts to the history: their number is part of it (absent while there are
            // none, so a store without reads keeps the fingerprint it had).
            let reads = try db.scalarInt("SELECT count(*) FROM dex_reads") ?? 0
            return "import:\(try db.scalarInt("SELECT coalesce(max(id), 0) FROM import_runs") ?? 0)"
                + (reads > 0 ? "+dex:\(reads)" : "")
        }
        return clock.isUTC ? run : "\(run)@\(clock.identifier)"
    }

    /// Loads the newest stored models. Returns whether they match the current history (no refit needed).
    @discardableResult
    package func loadStored() -> Bool {
        let started = Date()
        do {
            let row = try store.read { db in
                try db.query(
                    "SELECT payload FROM insights_models WHERE model_version = ? ORDER BY id DESC LIMIT 1",
                    [.text(DemandModel.version)]
                ) { $0.blob(0) }.first
            }
            guard let row else { return false }
            let fit = try JSONDecoder().decode(StoredFit.self, from: Data(row))
            let stored = fit.models
            guard fit.format == StoredFit.format, stored.format == StoredModels.formatVersion else { return false }
            let (model, affinity) = stored.restore(clock: clock)
            swap(
                Self.snapshot(
                    model,
                    affinity,
                    fit.counts,
                    fit.revenueTerms,
                    fit.exposure,
                    fit.levels,
                    builtAt: Date(timeIntervalSince1970: stored.fittedAt)
                ),
                fingerprint: stored.fingerprint
            )
            let fresh = stored.fingerprint == (try Self.historyFingerprint(store, clock: clock))
            logger.info(
                "insights loaded from the store",
                metadata: [
                    "fitted_at": "\(Int(stored.fittedAt))", "current": "\(fresh)",
                    "milliseconds": "\(Int(Date().timeIntervalSince(started) * 1000))",
                ]
            )
            return fresh
        } catch {
            logger.warning("stored insights unreadable; refitting", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Refits in the background (one fit at a time) unless the loaded models are already current.
    func refitInBackground(force: Bool = false) {
        fitQueue.async { [self] in
            do {
                if !force, let f = lockedFingerprint(), f == (try Self.historyFingerprint(store, clock: clock)) {
                    return
                }
                try rebuild()
            } catch { logger.error("insights fit failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// Drops the models as if none had been fitted yet (fault tests: a first start before the fit).
    func unloadForTesting() {
        lock.lock()
        snapshot = nil
        fingerprint = nil
        lock.unlock()
    }

    private func lockedFingerprint() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return fingerprint
    }

    /// Reads the history, fits, persists zone_performance, product_affinity and the models, and swaps.
    @discardableResult
    package func rebuild() throws -> Snapshot {
        let started = Date()
        // Each stage's seconds go into the log line, so the share of each model in the fit is known.
        var stages: [(String, Double)] = []
        var mark = started
        func stage(_ name: String) {
            let now = Date()
            stages.append((name, now.timeIntervalSince(mark)))
            mark = now
        }
        let fingerprint = try Self.historyFingerprint(store, clock: clock)
        let history = try Self.loadHistory(store, clock: clock)
        stage("load_seconds")
        let model = DemandModel.fit(history)
        stage("demand_model_seconds")
        let affinity = AffinityTable(history: history)
        stage("affinity_seconds")
        let counts = DemandCounts.fit(model: model)
        stage("count_model_seconds")
        let revenueTerms = RevenueCountTerms.fit(counts: counts, model: model)
        stage("revenue_terms_seconds")
        let exposure = VenueDemand.exposure(history)
        stage("venue_seconds")
        let levels = SlotLevels(SparseSlotRates.fit(history, before: history.lastDay + 1), history: history)
        stage("slot_levels_seconds")
        let snap = Self.snapshot(model, affinity, counts, revenueTerms, exposure, levels, builtAt: Date())
        try persist(
            snap,
            StoredFit(
                models: StoredModels(
                    model: model,
                    affinity: affinity,
                    fingerprint: fingerprint,
                    fittedAt: snap.builtAt.timeIntervalSince1970
                ),
                counts: counts,
                exposure: exposure,
                levels: levels,
                revenueTerms: revenueTerms
            )
        )
        stage("persist_seconds")
        swap(snap, fingerprint: fingerprint)
        lock.lock()
        let fitHandlers = onFit
        lock.unlock()
        for h in fitHandlers { h() }
        var metadata: Logger.Metadata = [
            "model": "\(snap.forecaster.version)", "slot_series": "\(history.series.count)",
            "baskets": "\(history.baskets.count)", "pairs": "\(affinity.pairs.count)",
            "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
        ]
        for (name, seconds) in stages { metadata[name] = "\(String(format: "%.2f", seconds))" }
        logger.info("insights fitted", metadata: metadata)
        return snap
    }

    private static func snapshot(
        _ model: DemandModel,
        _ affinity: AffinityTable,
        _ counts: DemandCounts,
        _ revenueTerms: RevenueCountTerms,
        _ exposure: VenueDemand.Exposure,
        _ levels: SlotLevels,
        builtAt: Date
    ) -> Snapshot {
        Snapshot(
            model: model,
            affinity: affinity,
            scorer: PlacementScorer(model: model, affinity: affinity),
            forecaster: revenueTerms.forecaster(model: model, affinity: affinity),
            products: Dictionary(uniqueKeysWithValues: model.history.products.map { ($0.id, $0) }),
            builtAt: builtAt,
            counts: counts,
            exposure: exposure,
            levels: levels
        )
    }

    private func swap(_ snap: Snapshot, fingerprint f: String) {
        lock.lock()
        snapshot = snap
        fingerprint = f
        let handlers = onChange
        lock.unlock()
        for h in handlers { h() }
    }

    package static func loadHistory(_ store: Store, clock: FleetClock = .utc) throws -> SalesHistory {
        let catalog = try store.loadCatalog()
        let planograms = try HistoryReader.planograms(store)
        let builder = HistoryBuilder(
            catalog: catalog.cabinets,
            devices: catalog.devices,
            products: catalog.products.values.sorted { $0.id < $1.id },
            planograms: planograms,
            clock: clock
        )
        try HistoryReader.forEachEvent(store) { e in
            if e.isSale {
                builder.addSale(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    productID: e.productID,
                    price: e.price,
                    transactionID: e.transactionID
                )
            } else {
                builder.addService(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    units: e.unitsAdded
                )
            }
        }
        try HistoryReader.forEachDEXInterval(store) { device, cabinet, slot, from, to, units in
            builder.addIntervalCount(
                deviceID: device,
                cabinetIndex: cabinet,
                slot: slot,
                fromTs: from,
                toTs: to,
                units: units
            )
        }
        try HistoryReader.forEachDayCount(store) { c in
            builder.addDayCount(
                day: Int32(c.day),
                deviceID: c.deviceID,
                cabinetIndex: c.cabinetIndex,
                slot: c.slot,
                productID: c.productID,
                units: c.units,
                revenue: c.revenue
            )
        }
        return builder.finish()
    }

    private func persist(_ s: Snapshot, _ fit: StoredFit) throws {
        let now = Int64(Date().timeIntervalSince1970)
        let h = s.model.history
        let payload = Array(try StoredModels.encoder.encode(fit))
        let stored = fit.models
        try store.write { db in
            try db.execute("DELETE FROM zone_performance; DELETE FROM product_affinity")
            let z =
                "INSERT INTO zone_performance(device_id, cabinet_index, slot, value, position_multiplier, revenue_per_day, observations, model_version, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            for (key, cab) in h.cabinets {
                guard let plan = h.planograms[key]?.last else { continue }
                for c in HeatMap.cells(model: s.model, forecaster: s.forecaster, cabinet: cab, planogram: plan) {
                    try db.run(
                        z,
                        [
                            .text(key.deviceID), .of(key.index), .text(c.slot.description), .double(Double(c.value)),
                            .double(c.positionMultiplier), .double(c.revenuePerDay),
                            .int(Int64(c.observations.rounded())),
                            .text(DemandModel.version), .int(now),
                        ]
                    )
                }
            }
            for p in s.affinity.pairs {
                try db.run(
                    "INSERT INTO product_affinity(product_a, product_b, support, confidence, lift, baskets, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        .text(p.productA), .text(p.productB), .double(p.support), .double(p.confidence),
                        .double(p.lift), .of(p.baskets), .int(now),
                    ]
                )
            }
            // Out-of-stock slot-days per device and day, from the history the models were fitted on.
            if !h.series.isEmpty {
                var out: [String: [Int32: (Double, Int)]] = [:]
                for series in h.series {
                    for d in series.days where d.product >= 0 {
                        let old = out[series.cabinet.deviceID]?[d.day] ?? (0, 0)
                        out[series.cabinet.deviceID, default: [:]][d.day] = (old.0 + Double(1 - d.inStock), old.1 + 1)
                    }
                }
                try db.run("DELETE FROM stockouts_daily")
                for (device, days) in out {
                    for (day, v) in days {
                        try db.run(
                            "INSERT INTO stockouts_daily(device_id, day, slot_days_out, slots) VALUES (?, ?, ?, ?)",
                            [.text(device), .of(Int(day)), .double(v.0), .of(v.1)]
                        )
                    }
                }
            }
            try db.run("DELETE FROM insights_models")
            try db.run(
                "INSERT INTO insights_models(model_version, fingerprint, fitted_at, payload) VALUES (?, ?, ?, ?)",
                [.text(DemandModel.version), .text(stored.fingerprint), .int(now), .blob(payload)]
            )
        }
    }
}

import Foundation
import PlanogramDomain

/// The fitted models in a form the store keeps (`insights_models`), so a restart loads them in
/// milliseconds instead of refitting: the demand model's parameters, the affinity pairs, and the part of
/// the history that scoring and prediction read at run time (catalogue, planogram versions, service
/// intervals). The day-by-day series stay out: they are only needed to fit. `fingerprint` names the
/// history the models were fitted on (it changes with every import), so a stale set is refitted.
package struct StoredModels: Codable, Sendable {
    package static let formatVersion = 3

    package var format = StoredModels.formatVersion
    package var modelVersion: String
    package var fingerprint: String
    package var fittedAt: Double
    var position: [String: [Double]]
    var positionObservations: [String: [Double]]
    var productEffect: [Double]
    var categoryEffect: [String: [String: Double]]
    @OrderedInt32Keys var interaction: [String: [Int32: Double]]
    var weekday: [String: [Double]]
    var weeklyRelativeSD: Double
    var revenueLevel: Double?
    var fittedBefore: Int32
    var cabinets: [Cabinet]
    var devices: [Device]
    var products: [Product]
    var planograms: [Planogram]
    var serviceIntervalDays: [String: Double]
    var firstDay: Int32
    var lastDay: Int32
    var pairs: [PairAffinity]

    package init(model m: DemandModel, affinity: AffinityTable, fingerprint: String, fittedAt: Double) {
        modelVersion = DemandModel.version
        self.fingerprint = fingerprint
        self.fittedAt = fittedAt
        position = m.position
        positionObservations = m.positionObservations
        productEffect = m.productEffect
        categoryEffect = m.categoryEffect
        interaction = m.interaction
        weekday = m.weekday
        weeklyRelativeSD = m.weeklyRelativeSD
        revenueLevel = m.revenueLevel
        fittedBefore = m.fittedBefore
        let h = m.history
        cabinets = h.cabinets.values.sorted { CabinetKey($0.deviceID, $0.index) < CabinetKey($1.deviceID, $1.index) }
        devices = h.devices.values.sorted { $0.id < $1.id }
        products = h.products
        planograms = h.planograms.keys.sorted().flatMap { h.planograms[$0]! }
        serviceIntervalDays = h.serviceIntervalDays
        firstDay = h.firstDay
        lastDay = h.lastDay
        pairs = affinity.pairs
    }

    /// The demand model and affinity table again (the history holds no day series); `clock` is the one
    /// the fit's history was read on (the fingerprint names it).
    package func restore(clock: FleetClock = .utc) -> (DemandModel, AffinityTable) {
        var byCabinet: [CabinetKey: [Planogram]] = [:]
        for p in planograms { byCabinet[CabinetKey(p.deviceID, p.cabinetIndex), default: []].append(p) }
        let index = Dictionary(uniqueKeysWithValues: products.enumerated().map { ($0.element.id, Int32($0.offset)) })
        var history = SalesHistory(
            cabinets: Dictionary(uniqueKeysWithValues: cabinets.map { (CabinetKey($0.deviceID, $0.index), $0) }),
            devices: Dictionary(uniqueKeysWithValues: devices.map { ($0.id, $0) }),
            products: products,
            productIndex: index,
            series: [],
            deviceDayRevenue: [:],
            deviceDayUnits: [:],
            baskets: [],
            transactionCount: 0,
            transactionsWithProduct: [:],
            serviceIntervalDays: serviceIntervalDays,
            planograms: byCabinet,
            firstDay: firstDay,
            lastDay: lastDay
        )
        history.clock = clock
        var model = DemandModel(
            position: position,
            positionObservations: positionObservations,
            productEffect: productEffect,
            categoryEffect: categoryEffect,
            interaction: interaction,
            weekday: weekday,
            weeklyRelativeSD: weeklyRelativeSD,
            history: history,
            fittedBefore: fittedBefore
        )
        model.revenueLevel = revenueLevel ?? 1
        return (model, AffinityTable(pairs: pairs))
    }

    /// The same models are the same bytes (object keys and the per-product maps in order).
    package func encoded() throws -> [UInt8] { Array(try Self.encoder.encode(self)) }

    /// Sorted keys: with `OrderedInt32Keys`, a fit's stored bytes do not depend on the process's hash seed.
    package static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    package static func decode(_ bytes: [UInt8]) throws -> StoredModels {
        try JSONDecoder().decode(StoredModels.self, from: Data(bytes))
    }
}

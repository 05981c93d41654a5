import Dispatch
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain

/// What the derived-event scheduler of a session remembers (confined to the session queue): which slots
/// changed since the last round, whether a round is under way, the fingerprint of the last event of each
/// kind (an identical one is not sent again), and the newest heat map and forecast, which snapshots reuse.
struct DerivedState {
    var scheduled = false
    var lastRun: UInt64 = 0
    var dirtySlots = Set<SlotCode>()
    /// A round is owed even with no dirty slot (new models, a resume that found no heat map).
    var wholeCabinetDue = false
    var fingerprints: [String: [UInt8]] = [:]
    var heatmap: SessionHeatmapEvent?
    var revenue: SessionRevenueEvent?
}

/// One event of a round of derived events, with the state key it replaces.
enum DerivedEvent: Sendable {
    case score(key: String, ScoreBody)
    case heatmap(SessionHeatmapEvent)
    case revenue(SessionRevenueEvent)

    var key: String {
        switch self {
        case .score(let key, _): key
        case .heatmap: "heatmap"
        case .revenue: "revenue"
        }
    }

    /// The event's content without its version: the same content under a newer version is nothing new.
    var fingerprint: [UInt8] {
        switch self {
        case .score(_, let body): return (try? APIJSON.encode(body)) ?? []
        case .heatmap(var body):
            body.version = 0
            return (try? APIJSON.encode(body)) ?? []
        case .revenue(var body):
            body.version = 0
            return (try? APIJSON.encode(body)) ?? []
        }
    }
}

extension LiveSession {
    /// Scores of the touched slots, the heat map and the forecast of the committed draft, at most once
    /// per `derivedInterval`: a burst of ops gives one round that reflects the newest state, and
    /// superseded states are never scored. The round is computed off the session queue (ops never wait
    /// for it) and emitted back on it. Without fitted models nothing is lost: the slots stay dirty and
    /// the round runs when the models arrive (`modelsChanged`). The op events themselves are never delayed.
    func scheduleDerived() {
        guard !derived.scheduled else { return }
        guard !derived.dirtySlots.isEmpty || derived.wholeCabinetDue else { return }
        guard env.models() != nil else { return }
        derived.scheduled = true
        let now = DispatchTime.now().uptimeNanoseconds
        let due = max(now, derived.lastRun + UInt64(env.derivedInterval * 1e9))
        queue.asyncAfter(deadline: .init(uptimeNanoseconds: due)) { [self] in runDerivedRound() }
    }

    /// The models were swapped (a start-up fit, a refit after an import): everything derived is due again.
    func modelsChanged() {
        derived.wholeCabinetDue = true
        scheduleDerived()
    }

    private func runDerivedRound() {
        derived.lastRun = DispatchTime.now().uptimeNanoseconds
        guard let models = env.models() else {
            derived.scheduled = false
            return
        }
        let slots = derived.dirtySlots.sorted()
        derived.dirtySlots = []
        derived.wholeCabinetDue = false
        let plan = state.committed.planogram
        let version = state.committed.version
        let base = published
        let cabinet = self.cabinet
        let cost = env.changeCostPerSlot
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var events: [DerivedEvent] = []
            for slot in slots {
                guard let f = plan.facings[slot] else { continue }
                let score = models.scorer.score(
                    productID: f.productID,
                    at: slot,
                    cabinet: cabinet,
                    draft: plan,
                    capacity: f.capacity,
                    catalog: models.products
                )
                var body = ScoreBody(score)
                body.slot = slot.description
                events.append(.score(key: "score:\(slot)", body))
            }
            let (heatmap, revenue) = Self.derivedState(
                models: models,
                cabinet: cabinet,
                plan: plan,
                published: base,
                version: version,
                cost: cost
            )
            events.append(.heatmap(heatmap))
            events.append(.revenue(revenue))
            let ready = events.map { ($0, $0.fingerprint) }
            queue.async { [self] in
                for (event, fingerprint) in ready {
                    let key = event.key
                    if case .heatmap(let h) = event { derived.heatmap = h }
                    if case .revenue(let r) = event { derived.revenue = r }
                    if derived.fingerprints[key] == fingerprint { continue }
                    derived.fingerprints[key] = fingerprint
                    switch event {
                    case .score(_, let body): bus.publish("score", data: body, changeSeq: nil, stateKey: key)
                    case .heatmap(let body): bus.publish("heatmap", data: body, changeSeq: nil, stateKey: key)
                    case .revenue(let body): bus.publish("revenue", data: body, changeSeq: nil, stateKey: key)
                    }
                }
                derived.scheduled = false
                scheduleDerived()
            }
        }
    }

    /// The heat map and forecast event data of a draft (pure; off the session queue).
    static func derivedState(
        models: SessionModels,
        cabinet: Cabinet,
        plan: Planogram,
        published: Planogram,
        version: Int,
        cost: Double
    ) -> (heatmap: SessionHeatmapEvent, revenue: SessionRevenueEvent) {
        let cells = HeatMap.cells(model: models.model, forecaster: models.forecaster, cabinet: cabinet, planogram: plan)
        let p = models.forecaster.predict(
            cabinet: cabinet,
            current: published,
            proposed: plan,
            forecastDays: 30,
            changeCostPerSlot: cost
        )
        return (SessionHeatmapEvent(cells, version: version), SessionRevenueEvent(p, version: version))
    }

    /// Makes sure a heat map and forecast exist for snapshots (computed off the queue the first time),
    /// then runs `then` on the session queue. Without models it runs at once (the snapshot has neither).
    package func withDerivedState(_ then: @escaping @Sendable () -> Void) {
        guard derived.heatmap == nil || derived.revenue == nil, let models = env.models() else {
            then()
            return
        }
        let plan = state.committed.planogram
        let version = state.committed.version
        let base = published
        let cabinet = self.cabinet
        let cost = env.changeCostPerSlot
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let (h, r) = Self.derivedState(
                models: models,
                cabinet: cabinet,
                plan: plan,
                published: base,
                version: version,
                cost: cost
            )
            queue.async { [self] in
                if derived.heatmap == nil || derived.revenue == nil {
                    derived.heatmap = h
                    derived.revenue = r
                }
                then()
            }
        }
    }
}

import Dispatch
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Reasoning

/// Explanations in a live session: on `explain`, and when a placement settles (no op on its slot for
/// the settle interval). The facts are gathered from the committed draft on the session queue, the
/// prompt is built off it, and the reasoning service streams; every output hops back onto the session
/// queue and goes to all subscribers: `reasoning` deltas (live only, not kept for resumes), then
/// `reasoning_error` if Claude failed (the rules narrator's deltas follow), then `reasoning_done` (kept
/// in the replay ring, so a client that reconnects gets the whole text). A newer request for the same
/// slot cancels the older one, which ends with `reasoning_done` and `cancelled: true`.
extension LiveSession {
    package static func newRequestID() -> String {
        "rsn_" + (0..<12).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
    }

    /// Starts an explanation of `slot` (nil: the whole cabinet). On the session queue.
    package func explain(slot: SlotCode?, requestID: String, reason: String) -> Result<Void, APIError> {
        guard let service = env.reasoning else {
            return .failure(APIError(503, "unavailable", "reasoning is not configured"))
        }
        guard let models = env.models() else {
            return .failure(
                APIError(
                    503,
                    "insights_unavailable",
                    "the models are not fitted yet; retry shortly",
                    details: ["retry_after_seconds": 1]
                )
            )
        }
        guard service.hasCapacity else {
            return .failure(
                APIError(
                    429,
                    "rate_limited",
                    "too many explanations in progress; retry shortly",
                    details: ["retry_after_seconds": 2]
                )
            )
        }
        let plan = state.committed.planogram
        let base = published
        let cabinet = self.cabinet
        let cost = env.changeCostPerSlot
        let widths: @Sendable (String) -> Int = { models.products[$0]?.widthColumns ?? 1 }
        var anchored = slot
        if let s = slot {
            guard let anchor = plan.anchor(of: s, widths: widths), plan.facings[anchor] != nil else {
                return .failure(.unprocessable("empty_slot", "slot \(s) holds no product to explain"))
            }
            anchored = anchor
        }
        let target = anchored
        let settings = service.settings
        let key = "\(id)#\(target?.description ?? "cabinet")"
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let lift = models.forecaster.predict(
                cabinet: cabinet,
                current: base,
                proposed: plan,
                forecastDays: 30,
                changeCostPerSlot: cost
            ).liftPercentage
            let cells = HeatMap.cells(
                model: models.model,
                forecaster: models.forecaster,
                cabinet: cabinet,
                planogram: plan
            )
            let cellBySlot = Dictionary(cells.map { ($0.slot, $0) }, uniquingKeysWith: { a, _ in a })
            let job: ReasoningJob
            if let slot = target, let facing = plan.facings[slot], let product = models.products[facing.productID] {
                let score = models.scorer.score(
                    productID: facing.productID,
                    at: slot,
                    cabinet: cabinet,
                    draft: plan,
                    capacity: facing.capacity,
                    catalog: models.products
                )
                let velocities = Set(plan.facings.values.map(\.productID)).map {
                    ($0, models.model.baseRate(productID: $0, deviceID: cabinet.deviceID))
                }
                let mine = models.model.baseRate(productID: product.id, deviceID: cabinet.deviceID)
                let facts = PlacementFacts(
                    product: product,
                    slot: slot,
                    cabinet: cabinet,
                    capacity: facing.capacity,
                    score: score,
                    velocityPerDay: mine,
                    velocityRank: 1 + velocities.filter { $0.1 > mine }.count,
                    productsInDraft: velocities.count,
                    slotValue: cellBySlot[slot]?.value ?? 0,
                    revenuePerDay: cellBySlot[slot]?.revenuePerDay ?? 0,
                    neighbours: plan.neighbours(of: slot, in: cabinet, widths: widths).compactMap {
                        models.products[$0]
                    }.map { ($0.name, $0.category) },
                    draftLiftPercentage: lift
                )
                job = ReasoningJob(
                    requestID: requestID,
                    key: key,
                    request: MessageRequest(
                        model: settings.placementModel,
                        maxTokens: settings.placementMaxTokens,
                        system: ReasoningPrompt.system,
                        prompt: ReasoningPrompt.placement(facts)
                    ),
                    rulesText: RulesNarrator.placement(facts)
                )
            } else {
                let lines: [CabinetLine] = plan.sortedFacings.compactMap { s, f in
                    guard let p = models.products[f.productID] else { return nil }
                    let sc = models.scorer.score(
                        productID: f.productID,
                        at: s,
                        cabinet: cabinet,
                        draft: plan,
                        capacity: f.capacity,
                        withSuggestions: false,
                        catalog: models.products
                    )
                    return CabinetLine(
                        slot: s.description,
                        productName: p.name,
                        category: p.category,
                        slotValue: cellBySlot[s]?.value ?? 0,
                        velocityPerDay: models.model.baseRate(productID: p.id, deviceID: cabinet.deviceID),
                        revenuePerDay: cellBySlot[s]?.revenuePerDay ?? 0,
                        score: sc.score
                    )
                }
                job = ReasoningJob(
                    requestID: requestID,
                    key: key,
                    request: MessageRequest(
                        model: settings.analysisModel,
                        maxTokens: settings.analysisMaxTokens,
                        system: ReasoningPrompt.system,
                        prompt: ReasoningPrompt.cabinet(cabinet, lines: lines, draftLiftPercentage: lift)
                    ),
                    rulesText: RulesNarrator.cabinet(lines: lines, draftLiftPercentage: lift)
                )
            }
            env.logger.debug(
                "reasoning requested",
                metadata: [
                    "session": "\(id)", "request_id": "\(requestID)", "slot": "\(target?.description ?? "cabinet")",
                    "why": "\(reason)",
                ]
            )
            let slotText = target?.description
            let started = service.start(job) { [self] output in
                queue.async { [self] in
                    switch output {
                    case .delta(let text, let source):
                        bus.publishTransient(
                            "reasoning",
                            data: ReasoningDeltaEvent(requestID: requestID, slot: slotText, delta: text, source: source)
                        )
                    case .error(let message, let fallback):
                        bus.publish(
                            "reasoning_error",
                            data: ReasoningErrorEvent(
                                requestID: requestID,
                                slot: slotText,
                                message: message,
                                fallback: fallback
                            ),
                            changeSeq: nil,
                            stateKey: nil
                        )
                    case .done(let text, let source, let model, let usage, let cached, let cancelled):
                        bus.publish(
                            "reasoning_done",
                            data: ReasoningDoneEvent(
                                requestID: requestID,
                                slot: slotText,
                                text: text,
                                source: source,
                                model: model,
                                usage: usage,
                                cached: cached,
                                cancelled: cancelled,
                                seq: state.committed.seq
                            ),
                            changeSeq: nil,
                            stateKey: nil
                        )
                    }
                }
            }
            if !started {
                queue.async { [self] in
                    bus.publish(
                        "reasoning_error",
                        data: ReasoningErrorEvent(
                            requestID: requestID,
                            slot: slotText,
                            message: "too many explanations in progress",
                            fallback: "none"
                        ),
                        changeSeq: nil,
                        stateKey: nil
                    )
                }
            }
        }
        return .success(())
    }

    /// Debounces the explanation of a placed slot: it starts once no op touched the slot for the settle
    /// interval. On the session queue.
    func placementChanged(_ slots: [SlotCode]) {
        guard env.reasoning != nil, env.settleInterval > 0 else { return }
        for slot in slots {
            let generation = (settleGenerations[slot] ?? 0) + 1
            settleGenerations[slot] = generation
            queue.asyncAfter(deadline: .now() + env.settleInterval) { [self] in
                guard settleGenerations[slot] == generation else { return }
                settleGenerations[slot] = nil
                guard state.committed.planogram.facings[slot] != nil else { return }
                _ = explain(slot: slot, requestID: Self.newRequestID(), reason: "settled")
            }
        }
    }
}

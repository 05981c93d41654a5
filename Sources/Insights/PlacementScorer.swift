import Foundation
import PlanogramDomain

/// One factor of a placement score: its value (0…1), its weight (points) and what it contributed.
package struct ScoreFactor: Sendable, Equatable {
    package let name: String
    package let value: Double
    package let weight: Double
    package var contribution: Double { (value * weight * 10).rounded() / 10 }
    package let detail: String
}

/// A suggestion: a better slot for the product, or a better product for the slot.
package struct PlacementSuggestion: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case moveToSlot = "move_to_slot"
        case replaceWithProduct = "replace_with_product"
    }
    package let kind: Kind
    package let slot: SlotCode
    package let productID: String
    package let score: Int
    package let message: String
}

/// The placement score of docs/MODELS.md.
package struct PlacementScore: Sendable {
    package let productID: String
    package let slot: SlotCode
    package let score: Int
    package let constraintsPassed: Bool
    package let violations: [PlacementError]
    package let factors: [ScoreFactor]
    package let reasoning: String
    package let suggestions: [PlacementSuggestion]
}

/// Scores product P in slot S of a draft, 0–100, from five soft factors (weights sum to 100):
/// visibility–velocity match 35, revenue potential 20, adjacency affinity 15, category clustering 15,
/// facings vs. demand 15. A broken hard rule makes the score 0 with `constraintsPassed` false.
/// Deterministic and pure; a score costs a pass over the cabinet's slots (suggestions: one per slot and
/// per candidate product, without recursion).
package struct PlacementScorer: Sendable {
    package let model: DemandModel
    package let affinity: AffinityTable?

    package init(model: DemandModel, affinity: AffinityTable?) {
        self.model = model
        self.affinity = affinity
    }

    /// What every factor of one scoring call shares, computed once per call (or once per draft
    /// version by callers that score the same draft many times, like drag previews).
    package struct Context: Sendable {
        let slotValues: [Double]  // position multipliers of the cabinet, sorted
        let draftVelocities: [Double]  // base rates of the draft's products, sorted
        let bestBaseRevenue: Double  // max over the draft's products of base rate × price
    }

    package func context(_ cab: Cabinet, _ draft: Planogram, _ catalog: [String: Product]) -> Context {
        let device = draft.deviceID
        var best = 0.0
        var velocities: [Double] = []
        for f in draft.facings.values {
            let r = model.baseRate(productID: f.productID, deviceID: device)
            velocities.append(r)
            if let p = catalog[f.productID] { best = max(best, r * p.price) }
        }
        return Context(
            slotValues: cab.allSlots.map { model.positionMultiplier(cab, $0) }.sorted(),
            draftVelocities: velocities.sorted(),
            bestBaseRevenue: best
        )
    }

    package func score(
        productID: String,
        at slot: SlotCode,
        cabinet: Cabinet,
        draft: Planogram,
        capacity: Int? = nil,
        withSuggestions: Bool = true,
        catalog: [String: Product]? = nil
    ) -> PlacementScore {
        let catalog = catalog ?? Dictionary(uniqueKeysWithValues: model.history.products.map { ($0.id, $0) })
        guard let product = catalog[productID] else {
            return PlacementScore(
                productID: productID,
                slot: slot,
                score: 0,
                constraintsPassed: false,
                violations: [.unknownProduct(productID)],
                factors: [],
                reasoning: "unknown product \(productID)",
                suggestions: []
            )
        }
        let cap = capacity ?? draft.facings[slot]?.capacity ?? 8
        let violations = PlacementRules.violations(
            placing: product,
            capacity: cap,
            at: slot,
            in: cabinet,
            planogram: draft,
            ignoring: draft.facings[slot]?.productID == productID ? [] : [],
            products: catalog
        )
        let ctx = context(cabinet, draft, catalog)
        var factors = softFactors(product, slot, cabinet, draft, cap, catalog, ctx)
        var total = factors.reduce(0) { $0 + $1.value * $1.weight }
        if !violations.isEmpty {
            total = 0
            factors.insert(
                ScoreFactor(
                    name: "hard_constraints",
                    value: 0,
                    weight: 0,
                    detail: violations.map(\.description).joined(separator: "; ")
                ),
                at: 0
            )
        }
        let score = Int(total.rounded())
        let suggestions = withSuggestions ? suggest(product, slot, cabinet, draft, cap, score, catalog, ctx) : []
        return PlacementScore(
            productID: productID,
            slot: slot,
            score: score,
            constraintsPassed: violations.isEmpty,
            violations: violations,
            factors: factors,
            reasoning: reasoning(product, slot, score, violations, factors),
            suggestions: suggestions
        )
    }

    /// The five factor values (0…1) and what their details need, without building any text.
    struct FactorValues {
        var visibility = 0.0, revenue = 0.0, affinity = 0.0, cluster = 0.0, facings = 0.0
        var slotValue = 0.0, slotPct = 0.0, velocity = 0.0, here = 0.0, bestLift = 1.0
        var neighbours = 0, sameCategory = 0, daysOfSupply = 0.0, interval = 0.0
        var total: Double { visibility * 35 + revenue * 20 + affinity * 15 + cluster * 15 + facings * 15 }
    }

    /// The score alone (no factors text, no suggestions): the drag preview's hot path.
    package func preview(
        productID: String,
        at slot: SlotCode,
        cabinet: Cabinet,
        draft: Planogram,
        catalog: [String: Product],
        context given: Context? = nil
    ) -> (score: Int, constraintsPassed: Bool) {
        guard let product = catalog[productID] else { return (0, false) }
        let cap = draft.facings[slot]?.capacity ?? 8
        guard
            PlacementRules.violations(
                placing: product,
                capacity: cap,
                at: slot,
                in: cabinet,
                planogram: draft,
                products: catalog
            ).isEmpty
        else {
            return (0, false)
        }
        return (
            Int(
                values(product, slot, cabinet, draft, cap, catalog, given ?? context(cabinet, draft, catalog)).total
                    .rounded()
            ), true
        )
    }

    func values(
        _ p: Product,
        _ slot: SlotCode,
        _ cab: Cabinet,
        _ draft: Planogram,
        _ capacity: Int,
        _ catalog: [String: Product],
        _ ctx: Context
    ) -> FactorValues {
        var v = FactorValues()
        let device = draft.deviceID
        // Visibility of the slot within its cabinet, and velocity of the product among the draft's products.
        v.slotValue = model.positionMultiplier(cab, slot)
        v.slotPct = percentile(v.slotValue, in: ctx.slotValues)
        v.velocity = model.baseRate(productID: p.id, deviceID: device)
        let velPct = percentile(v.velocity, in: ctx.draftVelocities, including: true)
        // A fast seller low down costs much; a slow seller high up wastes a little.
        v.visibility = clamp(1 - max(0, velPct - v.slotPct) - 0.5 * max(0, v.slotPct - velPct))
        // Revenue potential: this product's expected revenue here vs. the best the draft's products would make here.
        v.here = v.velocity * v.slotValue * p.price
        let best = max(v.here, ctx.bestBaseRevenue * v.slotValue)
        v.revenue = best > 0 ? clamp(v.here / best) : 0.5
        // Adjacency affinity and category clustering with the neighbours.
        let neighbours = draft.neighbours(
            of: slot,
            width: p.widthColumns,
            in: cab,
            widths: { catalog[$0]?.widthColumns ?? 1 }
        )
        v.neighbours = neighbours.count
        for n in neighbours {
            v.bestLift = max(v.bestLift, affinity?.lift(p.id, n) ?? 1)
            if catalog[n]?.category == p.category { v.sameCategory += 1 }
        }
        v.affinity = neighbours.isEmpty ? 0.5 : clamp(0.5 + (v.bestLift - 1) / 4)
        v.cluster = neighbours.isEmpty ? 0.5 : clamp(0.4 + 0.6 * Double(v.sameCategory) / Double(neighbours.count))
        // Facings vs. demand between restocks.
        let demand = v.velocity * v.slotValue
        v.interval = model.serviceInterval(device)
        v.daysOfSupply = demand > 0 ? Double(capacity) / demand : 99
        v.facings = 1
        if v.daysOfSupply < v.interval * 1.2 {
            v.facings = clamp(v.daysOfSupply / (v.interval * 1.2))
        } else if v.daysOfSupply > max(v.interval * 6, Double(p.shelfLifeDays)) {
            v.facings = 0.6
        }
        return v
    }

    func softFactors(
        _ p: Product,
        _ slot: SlotCode,
        _ cab: Cabinet,
        _ draft: Planogram,
        _ capacity: Int,
        _ catalog: [String: Product],
        _ ctx: Context
    ) -> [ScoreFactor] {
        let v = values(p, slot, cab, draft, capacity, catalog, ctx)
        return [
            ScoreFactor(
                name: "visibility_velocity",
                value: v.visibility,
                weight: 35,
                detail:
                    "slot value \(Int((v.slotValue * 100).rounded()))/100 (top \(Int(((1 - v.slotPct) * 100).rounded()))% of the cabinet), product velocity \(String(format: "%.2f", v.velocity)) units/day at the best slot"
            ),
            ScoreFactor(
                name: "revenue_potential",
                value: v.revenue,
                weight: 20,
                detail: String(format: "%.2f/day expected here", v.here)
            ),
            ScoreFactor(
                name: "adjacency_affinity",
                value: v.affinity,
                weight: 15,
                detail: v.neighbours == 0
                    ? "no neighbours" : String(format: "best co-purchase lift with a neighbour %.2f", v.bestLift)
            ),
            ScoreFactor(
                name: "category_clustering",
                value: v.cluster,
                weight: 15,
                detail: "\(v.sameCategory) of \(v.neighbours) neighbours are \(p.category)"
            ),
            ScoreFactor(
                name: "facings_vs_demand",
                value: v.facings,
                weight: 15,
                detail: String(
                    format: "capacity %d covers %.1f days of demand; restocks every %.1f days",
                    capacity,
                    v.daysOfSupply,
                    v.interval
                )
            ),
        ]
    }

    func suggest(
        _ p: Product,
        _ slot: SlotCode,
        _ cab: Cabinet,
        _ draft: Planogram,
        _ capacity: Int,
        _ current: Int,
        _ catalog: [String: Product],
        _ ctx: Context
    ) -> [PlacementSuggestion] {
        var out: [PlacementSuggestion] = []
        // Better slots for this product: empty slots, or swaps, where it would score higher.
        var without = draft
        if draft.facings[slot]?.productID == p.id { without.facings[slot] = nil }
        var slotCandidates: [(SlotCode, Int)] = []
        for s in cab.allSlots where s != slot {
            let occupied = without.anchor(of: s, widths: { catalog[$0]?.widthColumns ?? 1 }) != nil
            guard !occupied else { continue }
            guard
                PlacementRules.violations(
                    placing: p,
                    capacity: capacity,
                    at: s,
                    in: cab,
                    planogram: without,
                    products: catalog
                ).isEmpty
            else { continue }
            let sc = Int(values(p, s, cab, without, capacity, catalog, ctx).total.rounded())
            if sc > current + 2 { slotCandidates.append((s, sc)) }
        }
        for (s, sc) in slotCandidates.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }).prefix(2) {
            out.append(
                PlacementSuggestion(
                    kind: .moveToSlot,
                    slot: s,
                    productID: p.id,
                    score: sc,
                    message: "\(p.name) would score \(sc) in \(s) (free)"
                )
            )
        }
        // A better product for this slot among the catalogue's products not yet in the draft.
        let inDraft = Set(draft.facings.values.map(\.productID))
        var productCandidates: [(Product, Int)] = []
        for q in catalog.values where q.id != p.id && !inDraft.contains(q.id) {
            guard
                PlacementRules.violations(
                    placing: q,
                    capacity: capacity,
                    at: slot,
                    in: cab,
                    planogram: without,
                    products: catalog
                ).isEmpty
            else { continue }
            let sc = Int(values(q, slot, cab, without, capacity, catalog, ctx).total.rounded())
            if sc > current + 2 { productCandidates.append((q, sc)) }
        }
        if let (q, sc) = productCandidates.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.id < $1.0.id }).first {
            out.append(
                PlacementSuggestion(
                    kind: .replaceWithProduct,
                    slot: slot,
                    productID: q.id,
                    score: sc,
                    message: "\(q.name) would score \(sc) in \(slot)"
                )
            )
        }
        return Array(out.prefix(3))
    }

    func reasoning(
        _ p: Product,
        _ slot: SlotCode,
        _ score: Int,
        _ violations: [PlacementError],
        _ factors: [ScoreFactor]
    ) -> String {
        if let v = violations.first { return "\(p.name) cannot go in \(slot): \(v.description)." }
        let soft = factors.filter { $0.weight > 0 }
        let strongest = soft.max { $0.value * $0.weight < $1.value * $1.weight }!
        let weakest = soft.min { ($0.value - 1) * $0.weight < ($1.value - 1) * $1.weight }!
        let verdict = score >= 75 ? "a strong placement" : score >= 50 ? "a reasonable placement" : "a weak placement"
        return
            "\(p.name) in \(slot) is \(verdict) (\(score)/100): best on \(strongest.name.replacingOccurrences(of: "_", with: " ")), weakest on \(weakest.name.replacingOccurrences(of: "_", with: " "))."
    }
}

func clamp(_ x: Double) -> Double { min(1, max(0, x)) }

/// Rank of `x` in `sorted` as a share (0 = lowest, 1 = highest), ties counted half. With `including`,
/// `x` is treated as one more member of the set.
func percentile(_ x: Double, in sorted: [Double], including: Bool = false) -> Double {
    var below = 0
    var equal = 0
    for v in sorted { if v < x - 1e-12 { below += 1 } else if abs(v - x) <= 1e-12 { equal += 1 } }
    if including { equal += 1 }
    let n = sorted.count + (including ? 1 : 0)
    guard n > 1 else { return 0.5 }
    return (Double(below) + Double(max(equal - 1, 0)) / 2) / Double(n - 1)
}

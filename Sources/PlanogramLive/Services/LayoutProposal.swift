import Foundation
import HTTPAPI
import Insights
import Optimizer
import PlanogramDomain

/// The optimizer applied to one cabinet (docs/MODELS.md): the request's options and the models become a
/// `LayoutProblem` (each candidate's value at each slot: price, or margin, × the demand model's rate there —
/// venue-level demand for a product the device has never sold — × availability of the slot's capacity over
/// the device's service interval, with the count model's overdispersion), CBC solves it, and the answer is compared with the current layout by the first
/// forecaster and turned into the ordinary ops that lead there (clears first, then placements).
enum LayoutProposal {
    struct Options: Sendable {
        var objective = "revenue"
        /// Slots kept as they are (with their current product).
        var lockedSlots: [SlotCode] = []
        var candidates: [String]?
        var minFacings: [String: Int] = [:]
        var maxFacings: [String: Int] = [:]
        var timeLimit = 10.0
    }

    static let defaultCapacity = 8

    /// Reads and checks the request's options against the cabinet and catalogue (400/422 naming the conflict).
    static func options(
        _ body: [String: Any],
        cabinet: Cabinet,
        products: [String: Product]
    ) throws(APIError) -> Options {
        var o = Options()
        if let v = body["objective"] {
            guard let s = v as? String, ["revenue", "margin"].contains(s) else {
                throw .badRequest("objective must be revenue or margin")
            }
            o.objective = s
        }
        if let v = body["locked_slots"] {
            guard let list = v as? [String] else { throw .badRequest("locked_slots must be an array of slot codes") }
            for text in list {
                do { o.lockedSlots.append(try cabinet.slot(text)) } catch {
                    throw .unprocessable("slot_outside_cabinet", "locked_slots: \(error)")
                }
            }
        }
        if let v = body["candidate_products"] {
            guard let list = v as? [String], !list.isEmpty else {
                throw .badRequest("candidate_products must be a non-empty array of product ids")
            }
            if let unknown = list.first(where: { products[$0] == nil }) {
                throw .unprocessable("unknown_product", "no product \(unknown)")
            }
            o.candidates = list
        }
        func facings(_ key: String) throws(APIError) -> [String: Int] {
            guard let v = body[key] else { return [:] }
            guard let m = v as? [String: Int], m.values.allSatisfy({ (0...20).contains($0) }) else {
                throw .badRequest("\(key) must map product ids to whole numbers 0…20")
            }
            if let unknown = m.keys.first(where: { products[$0] == nil }) {
                throw .unprocessable("unknown_product", "\(key): no product \(unknown)")
            }
            return m
        }
        o.minFacings = try facings("min_facings")
        o.maxFacings = try facings("max_facings")
        // What cannot fit this cabinet at all is a conflict of the request, named before any solving.
        for id in o.minFacings.keys where (o.minFacings[id] ?? 0) > 0 {
            guard let p = products[id], p.temperature.fits(in: cabinet.temperature),
                cabinet.rowHeightsMM.contains(where: { p.heightMM <= $0 })
            else {
                throw .unprocessable(
                    "no_fit",
                    "min_facings: \(id) fits no slot of this \(cabinet.temperature.rawValue) cabinet"
                )
            }
            if let m = o.maxFacings[id], m < o.minFacings[id]! {
                throw .unprocessable("facings_conflict", "\(id): min_facings is above max_facings")
            }
        }
        if let c = o.candidates, !c.contains(where: { products[$0]!.temperature.fits(in: cabinet.temperature) }) {
            throw .unprocessable(
                "no_fit",
                "none of candidate_products fits this \(cabinet.temperature.rawValue) cabinet"
            )
        }
        if !products.values.contains(where: { p in
            p.temperature.fits(in: cabinet.temperature) && cabinet.rowHeightsMM.contains { p.heightMM <= $0 }
        }) {
            throw .unprocessable(
                "no_fit",
                "no product of the catalogue fits this \(cabinet.temperature.rawValue) cabinet"
            )
        }
        if let v = body["time_limit_seconds"] {
            guard let t = JSONReply.number(v), t >= 1, t <= 120 else {
                throw .badRequest("time_limit_seconds must be 1…120")
            }
            o.timeLimit = t
        }
        return o
    }

    struct Outcome {
        var proposal: Planogram
        var changes: [SessionOp]
        var prediction: RevenuePrediction
        var solution: LayoutSolution
        /// The lift by the optimizer's own model (extra facings share their product's demand), against
        /// the current layout's value under the same model; the first forecaster counts every facing's
        /// demand in full, so its lift is larger wherever the proposal repeats a product.
        var modelLiftPercentage: Double
    }

    /// Locked slots must hold a product in `current` (they keep it).
    static func checkLocked(_ o: Options, current: Planogram) throws(APIError) {
        if let s = o.lockedSlots.first(where: { current.facings[$0] == nil }) {
            throw .unprocessable("locked_empty_slot", "locked slot \(s) holds no product")
        }
    }

    static func solve(
        current: Planogram,
        cabinet: Cabinet,
        models: InsightsEngine.Snapshot,
        venues: VenueDemand? = nil,
        options o: Options
    ) throws(APIError) -> Outcome {
        let catalog = models.products
        var candidates = (o.candidates ?? catalog.keys.sorted()).compactMap { catalog[$0] }.filter {
            $0.temperature.fits(in: cabinet.temperature)
        }
        // Locked slots keep their product; every product a request names stays a candidate.
        var locked: [SlotCode: String] = [:]
        for s in o.lockedSlots {
            guard let f = current.facings[s] else {
                throw .unprocessable("locked_empty_slot", "locked slot \(s) holds no product")
            }
            locked[s] = f.productID
        }
        let named = Set(locked.values).union(o.minFacings.keys)
        for id in named where !candidates.contains(where: { $0.id == id }) {
            if let p = catalog[id] { candidates.append(p) }
        }
        let capacities = current.facings.values.map(\.capacity).sorted()
        let capacity = capacities.isEmpty ? defaultCapacity : capacities[capacities.count / 2]
        let f = models.forecaster
        let value = candidates.map { p -> [Double] in
            let unitValue = o.objective == "margin" ? p.price - p.unitCost : p.price
            return (0..<(cabinet.rows * cabinet.columns)).map { k in
                let slot = SlotCode(row: k / cabinet.columns, column: k % cabinet.columns)
                // A product the device has never sold: its venue-level demand (docs/MODELS.md) at that position.
                let base =
                    venues.flatMap { v in
                        v.carried(productID: p.id, deviceID: cabinet.deviceID)
                            ? nil : v.rate(productID: p.id, deviceID: cabinet.deviceID)?.rate
                    }
                    ?? models.model.baseRate(productID: p.id, deviceID: cabinet.deviceID)
                let lambda = base * models.model.positionMultiplier(cabinet, slot)
                return unitValue * lambda
                    * f.slotAvailability(deviceID: cabinet.deviceID, lambdaPerDay: lambda, capacity: capacity)
            }
        }
        var problem = LayoutProblem(cabinet: cabinet, products: candidates, value: value, capacity: capacity)
        problem.locked = locked
        problem.minFacings = o.minFacings
        problem.maxFacings = o.maxFacings
        let solution: LayoutSolution
        do { solution = try LayoutOptimizer.solve(problem, seconds: o.timeLimit) } catch {
            throw .unprocessable("optimizer_conflict", error.description)
        }
        var proposal = Planogram(
            deviceID: cabinet.deviceID,
            cabinetIndex: cabinet.index,
            version: current.version,
            effectiveFrom: current.effectiveFrom
        )
        for (slot, id) in solution.facings {
            proposal.facings[slot] = Facing(
                productID: id,
                capacity: current.facings[slot]?.productID == id
                    ? current.facings[slot]!.capacity
                    : current.facings[slot]?.capacity ?? capacity
            )
        }
        let prediction = f.predict(
            cabinet: cabinet,
            current: current,
            proposed: proposal,
            forecastDays: 30,
            changeCostPerSlot: 0
        )
        let before = problem.objective(current.facings.mapValues(\.productID))
        return Outcome(
            proposal: proposal,
            changes: changes(from: current, to: proposal),
            prediction: prediction,
            solution: solution,
            modelLiftPercentage: before > 0 ? (solution.objective - before) / before * 100 : 0
        )
    }

    /// The ops that turn `current` into `proposal`: clears of the slots that end up empty (or under the
    /// right half of a 2-wide product) first, so every 2-wide product finds its neighbour free; then, in
    /// slot order, a placement wherever the product changes (a placement replaces what the slot held).
    static func changes(from current: Planogram, to proposal: Planogram) -> [SessionOp] {
        var clears: [SessionOp] = []
        var places: [SessionOp] = []
        for (slot, _) in current.sortedFacings where proposal.facings[slot] == nil {
            clears.append(.clear(slot: slot))
        }
        for (slot, f) in proposal.sortedFacings {
            if current.facings[slot]?.productID != f.productID {
                places.append(.place(slot: slot, productID: f.productID, capacity: f.capacity))
            } else if current.facings[slot]?.capacity != f.capacity {
                places.append(.setCapacity(slot: slot, capacity: f.capacity))
            }
        }
        return clears + places
    }

    /// The result body of the optimize job and the `proposal` event.
    static func body(_ o: Outcome, proposalID: String? = nil) -> [String: Any] {
        var b: [String: Any] = [
            "planogram": [
                "slots": o.proposal.sortedFacings.map {
                    ["slot": $0.0.description, "product_id": $0.1.productID, "capacity": $0.1.capacity]
                }
            ],
            "predicted_revenue": InsightJSON.round2(o.prediction.predictedRevenue),
            "baseline_revenue": InsightJSON.round2(o.prediction.baselineRevenue),
            "lift_percentage": InsightJSON.round2(o.prediction.liftPercentage),
            "forecast_days": o.prediction.forecastDays,
            "model_lift_percentage": InsightJSON.round2(o.modelLiftPercentage),
            "gap": (o.solution.gap * 1e6).rounded() / 1e6, "proven_optimal": o.solution.provenOptimal,
            "solver_seconds": (o.solution.seconds * 100).rounded() / 100, "changes": o.changes.map(\.json),
        ]
        if let proposalID { b["proposal_id"] = proposalID }
        return b
    }
}

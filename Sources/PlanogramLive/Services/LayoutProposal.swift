import Foundation
import HTTPAPI
import Insights
import Optimizer
import PlanogramDomain
import Sessions

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
        _ body: LayoutOptionsRequest,
        cabinet: Cabinet,
        products: [String: Product]
    ) throws(APIError) -> Options {
        var o = Options()
        if let s = body.objective {
            guard ["revenue", "margin"].contains(s) else { throw .badRequest("objective must be revenue or margin") }
            o.objective = s
        }
        if let list = body.lockedSlots {
            for text in list {
                do { o.lockedSlots.append(try cabinet.slot(text)) } catch {
                    throw .unprocessable("slot_outside_cabinet", "locked_slots: \(error)")
                }
            }
        }
        if let list = body.candidateProducts {
            guard !list.isEmpty else {
                throw .badRequest("candidate_products must be a non-empty array of product ids")
            }
            if let unknown = list.first(where: { products[$0] == nil }) {
                throw .unprocessable("unknown_product", "no product \(unknown)")
            }
            o.candidates = list
        }
        func facings(_ key: String, _ given: [String: Int]?) throws(APIError) -> [String: Int] {
            guard let m = given else { return [:] }
            guard m.values.allSatisfy({ (0...20).contains($0) }) else {
                throw .badRequest("\(key) must map product ids to whole numbers 0…20")
            }
            if let unknown = m.keys.first(where: { products[$0] == nil }) {
                throw .unprocessable("unknown_product", "\(key): no product \(unknown)")
            }
            return m
        }
        o.minFacings = try facings("min_facings", body.minFacings)
        o.maxFacings = try facings("max_facings", body.maxFacings)
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
        if let t = body.timeLimitSeconds {
            guard t >= 1, t <= 120 else {
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
    static func body(_ o: Outcome, proposalID: String? = nil) -> LayoutProposalBody {
        LayoutProposalBody(
            planogram: .init(
                slots: o.proposal.sortedFacings.map {
                    .init(slot: $0.0.description, productID: $0.1.productID, capacity: $0.1.capacity)
                }
            ),
            predictedRevenue: Rounding.round2(o.prediction.predictedRevenue),
            baselineRevenue: Rounding.round2(o.prediction.baselineRevenue),
            liftPercentage: Rounding.round2(o.prediction.liftPercentage),
            forecastDays: o.prediction.forecastDays,
            modelLiftPercentage: Rounding.round2(o.modelLiftPercentage),
            gap: (o.solution.gap * 1e6).rounded() / 1e6,
            provenOptimal: o.solution.provenOptimal,
            solverSeconds: (o.solution.seconds * 100).rounded() / 100,
            changes: o.changes,
            proposalID: proposalID
        )
    }
}

/// A proposed layout: the optimize job's result, and a session's `proposal` event (with `proposal_id`).
struct LayoutProposalBody: Encodable, Sendable {
    let planogram: Layout
    let predictedRevenue: Double
    let baselineRevenue: Double
    let liftPercentage: Double
    let forecastDays: Int
    let modelLiftPercentage: Double
    let gap: Double
    let provenOptimal: Bool
    let solverSeconds: Double
    /// The proposal as session ops (`place`, `clear`, `set_capacity`), in the order they apply.
    let changes: [SessionOp]
    let proposalID: String?

    struct Layout: Encodable, Sendable {
        let slots: [Slot]
    }

    struct Slot: Encodable, Sendable {
        let slot: String
        let productID: String
        let capacity: Int

        enum CodingKeys: String, CodingKey {
            case slot
            case productID = "product_id"
            case capacity
        }
    }

    enum CodingKeys: String, CodingKey {
        case planogram
        case predictedRevenue = "predicted_revenue"
        case baselineRevenue = "baseline_revenue"
        case liftPercentage = "lift_percentage"
        case forecastDays = "forecast_days"
        case modelLiftPercentage = "model_lift_percentage"
        case gap
        case provenOptimal = "proven_optimal"
        case solverSeconds = "solver_seconds"
        case changes
        case proposalID = "proposal_id"
    }
}

/// The optimizer's options in a request (`POST /api/planograms/optimize`, `POST /api/sessions/{sid}/propose`),
/// checked against the cabinet and catalogue by `LayoutProposal.options`.
struct LayoutOptionsRequest: Decodable, Sendable {
    var objective: String?
    var lockedSlots: [String]?
    var candidateProducts: [String]?
    var minFacings: [String: Int]?
    var maxFacings: [String: Int]?
    var timeLimitSeconds: Double?

    init() {}

    enum CodingKeys: String, CodingKey {
        case objective
        case lockedSlots = "locked_slots"
        case candidateProducts = "candidate_products"
        case minFacings = "min_facings"
        case maxFacings = "max_facings"
        case timeLimitSeconds = "time_limit_seconds"
    }
}

/// `POST /api/planograms/optimize`: the cabinet (index 0 unless given) and the optimizer's options.
struct OptimizeRequest: Decodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int?
    let options: LayoutOptionsRequest

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deviceID = try c.decode(String.self, forKey: .deviceID)
        cabinetIndex = try c.decodeIfPresent(Int.self, forKey: .cabinetIndex)
        options = try LayoutOptionsRequest(from: decoder)
    }
}

/// `POST /api/planograms/optimize/batch`: the devices (`device_ids`, or those of `venue_type`, or every device
/// the token covers) and the time limit per cabinet.
struct OptimizeBatchRequest: Decodable, Sendable {
    var deviceIDs: [String]?
    var venueType: String?
    var timeLimitSeconds: Double?

    init() {}

    enum CodingKeys: String, CodingKey {
        case deviceIDs = "device_ids"
        case venueType = "venue_type"
        case timeLimitSeconds = "time_limit_seconds"
    }
}

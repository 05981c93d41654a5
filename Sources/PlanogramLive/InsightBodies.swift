import HTTPAPI
import Insights
import PlanogramDomain
import Sessions

// The request and response bodies of the insight routes (docs/MODELS.md), as Codable structs written by
// `APIJSON.encode` (keys sorted); the score's body (`ScoreBody`) is shared with the live sessions' `score` event.

/// One slot's forecast in a prediction's `per_slot`.
struct SlotPredictionBody: Encodable, Sendable {
    let productID: String
    let demandPerDay: Double
    let availability: Double
    let unitsPerDay: Double
    let revenuePerDay: Double

    init(_ f: SlotForecast) {
        productID = f.productID
        demandPerDay = Rounding.round3(f.demandPerDay)
        availability = Rounding.round3(f.availability)
        unitsPerDay = Rounding.round3(f.unitsPerDay)
        revenuePerDay = Rounding.round2(f.revenuePerDay)
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case demandPerDay = "demand_per_day"
        case availability
        case unitsPerDay = "units_per_day"
        case revenuePerDay = "revenue_per_day"
    }
}

struct PerSlotBody: Encodable, Sendable {
    let slot: String
    @Null var baseline: SlotPredictionBody?
    @Null var proposed: SlotPredictionBody?
}

/// `POST /api/planograms/predict/revenue` (with `prediction_id` and `expires_at` once stored).
struct PredictionBody: Encodable, Sendable {
    let forecastDays: Int
    let baselineRevenue: Double
    let predictedRevenue: Double
    let liftPercentage: Double
    let confidenceInterval: [Double]
    let confidenceLevel = 0.95
    @Null var breakEvenDays: Double?
    let touchedSlots: [String]
    let perSlot: [PerSlotBody]
    let modelVersion: String
    var predictionID: Int64?
    var expiresAt: String?

    init(_ p: RevenuePrediction) {
        forecastDays = p.forecastDays
        baselineRevenue = Rounding.round2(p.baselineRevenue)
        predictedRevenue = Rounding.round2(p.predictedRevenue)
        liftPercentage = Rounding.round2(p.liftPercentage)
        confidenceInterval = [Rounding.round2(p.confidenceInterval.lower), Rounding.round2(p.confidenceInterval.upper)]
        breakEvenDays = p.breakEvenDays.map(Rounding.round2)
        touchedSlots = p.touchedSlots.map(\.description)
        perSlot = p.perSlot.map { b, q in
            PerSlotBody(
                slot: (b?.slot ?? q!.slot).description,
                baseline: b.map(SlotPredictionBody.init),
                proposed: q.map(SlotPredictionBody.init)
            )
        }
        modelVersion = p.modelVersion
    }

    enum CodingKeys: String, CodingKey {
        case forecastDays = "forecast_days"
        case baselineRevenue = "baseline_revenue"
        case predictedRevenue = "predicted_revenue"
        case liftPercentage = "lift_percentage"
        case confidenceInterval = "confidence_interval"
        case confidenceLevel = "confidence_level"
        case breakEvenDays = "break_even_days"
        case touchedSlots = "touched_slots"
        case perSlot = "per_slot"
        case modelVersion = "model_version"
        case predictionID = "prediction_id"
        case expiresAt = "expires_at"
    }
}

/// `GET /api/planograms/{device_id}/{cabinet_index}/heatmap`.
struct HeatmapBody: Encodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int
    let version: Int
    let modelVersion: String
    let cells: [Cell]

    struct Cell: Encodable, Sendable {
        let slot: String
        let value: Int
        let revenuePerDay: Double
        let observations: Int

        enum CodingKeys: String, CodingKey {
            case slot, value
            case revenuePerDay = "revenue_per_day"
            case observations
        }
    }

    init(_ cells: [HeatCell], plan: Planogram, modelVersion: String) {
        deviceID = plan.deviceID
        cabinetIndex = plan.cabinetIndex
        version = plan.version
        self.modelVersion = modelVersion
        self.cells = cells.map {
            Cell(
                slot: $0.slot.description,
                value: $0.value,
                revenuePerDay: Rounding.round2($0.revenuePerDay),
                observations: Int($0.observations.rounded())
            )
        }
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case version
        case modelVersion = "model_version"
        case cells
    }
}

/// `POST /api/planograms/realtime/score`: a product at a slot of a cabinet, on `planogram` (default: the
/// published one) with `capacity` (default: the slot's).
struct ScoreRequest: Decodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int
    let productID: String
    let slotPosition: String
    /// In any shape `PlanogramJSON` reads.
    let planogram: JSONValue?
    let capacity: Int?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case productID = "product_id"
        case slotPosition = "slot_position"
        case planogram, capacity
    }
}

/// `POST /api/planograms/predict/revenue`: a proposed layout against `current_planogram` (default: the published
/// one) over `forecast_days` (1…365, default 30).
struct PredictRequest: Decodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int
    let forecastDays: Int?
    /// In any shape `PlanogramJSON` reads.
    let proposedPlanogram: JSONValue
    let currentPlanogram: JSONValue?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case forecastDays = "forecast_days"
        case proposedPlanogram = "proposed_planogram"
        case currentPlanogram = "current_planogram"
    }
}

/// A cabinet named in a request body (`POST /api/sessions`).
struct CabinetRequest: Decodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
    }
}

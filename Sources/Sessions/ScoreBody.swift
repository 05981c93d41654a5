import HTTPAPI
import Insights
import PlanogramDomain

// A placement's score as `POST /api/planograms/realtime/score` answers it and a live session's `score` event
// carries it (docs/MODELS.md), as Codable structs written by `APIJSON.encode` (keys sorted).

/// A rule a placement breaks: `rule`, `message`, and `slot` when the rule is about one.
package struct ViolationBody: Encodable, Sendable {
    package let rule: String
    package let message: String
    package let slot: String?

    package init(_ v: PlacementError) {
        rule = v.rule
        message = v.description
        slot = v.slot
    }
}

/// `POST /api/planograms/realtime/score`, and a live session's `score` event (which adds `slot`).
package struct ScoreBody: Encodable, Sendable {
    package let productID: String
    package let slotPosition: String
    package let score: Int
    package let reasoning: String
    package let constraintsPassed: Bool
    package let violations: [ViolationBody]
    package let factors: [FactorBody]
    package let suggestions: [SuggestionBody]
    package let modelVersion: String
    /// The scored slot, on a session's `score` event only.
    package var slot: String?

    package init(_ s: PlacementScore) {
        productID = s.productID
        slotPosition = s.slot.description
        score = s.score
        reasoning = s.reasoning
        constraintsPassed = s.constraintsPassed
        violations = s.violations.map(ViolationBody.init)
        factors = s.factors.map(FactorBody.init)
        suggestions = s.suggestions.map(SuggestionBody.init)
        modelVersion = DemandModel.version
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case slotPosition = "slot_position"
        case score, reasoning
        case constraintsPassed = "constraints_passed"
        case violations, factors, suggestions
        case modelVersion = "model_version"
        case slot
    }
}

package struct FactorBody: Encodable, Sendable {
    package let name: String
    package let value: Double
    package let weight: Double
    package let contribution: Double
    package let detail: String

    package init(_ f: ScoreFactor) {
        name = f.name
        value = Rounding.round3(f.value)
        weight = f.weight
        contribution = f.contribution
        detail = f.detail
    }
}

package struct SuggestionBody: Encodable, Sendable {
    package let kind: String
    package let slot: String
    package let productID: String
    package let score: Int
    package let message: String

    package init(_ s: PlacementSuggestion) {
        kind = s.kind.rawValue
        slot = s.slot.description
        productID = s.productID
        score = s.score
        message = s.message
    }

    enum CodingKeys: String, CodingKey {
        case kind, slot
        case productID = "product_id"
        case score, message
    }
}

/// Money to the cent and rates to a thousandth, as the API shows them.
package enum Rounding {
    package static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
    package static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

import Foundation
import Insights

/// The explanation written from the score factors when Claude is not asked (no key, spend cap, open
/// breaker) or fails. Deterministic: the same facts give the same words. Streamed in small word groups
/// like Claude's deltas, so clients need one code path.
package enum RulesNarrator {
    package static let model = "rules-narrator-1"

    package static func placement(_ f: PlacementFacts) -> String {
        let s = f.score
        let name = f.product.name
        var out: [String] = []
        if !s.constraintsPassed {
            out.append("\(name) cannot go in \(f.slot): \(s.violations.map(\.description).joined(separator: "; ")).")
            if let alt = s.suggestions.first { out.append(alt.message + ".") }
            return out.joined(separator: " ")
        }
        let verdict =
            s.score >= 75 ? "a strong placement" : s.score >= 55 ? "a reasonable placement" : "a weak placement"
        out.append("\(name) in \(f.slot) scores \(s.score)/100, \(verdict).")
        let soft = s.factors.filter { $0.weight > 0 }
        // The best and the worst factor, by the share of their weight they earned.
        if let best = soft.max(by: { $0.value < $1.value }), best.value >= 0.7 {
            out.append("In its favour: \(label(best.name)) (\(best.detail)).")
        }
        if let worst = soft.min(by: { $0.value < $1.value }), worst.value < 0.7 {
            out.append("Holding it back: \(label(worst.name)) (\(worst.detail)).")
        }
        out.append(
            "It sells \(String(format: "%.2f", f.velocityPerDay)) a day here, number \(f.velocityRank) of \(f.productsInDraft) in this cabinet, in a slot worth \(f.slotValue)/100."
        )
        if let sug = s.suggestions.first, sug.score > s.score {
            out.append("Better: \(sug.message) (score \(sug.score)).")
        } else {
            out.append("Keep it there.")
        }
        return out.joined(separator: " ")
    }

    package static func cabinet(lines: [CabinetLine], draftLiftPercentage: Double) -> String {
        guard !lines.isEmpty else { return "The cabinet is empty." }
        let weak = lines.filter { $0.score < 55 }.sorted { $0.slotValue > $1.slotValue }
        let strong = lines.filter { $0.score >= 75 }.count
        var out = [
            "\(strong) of \(lines.count) facings score 75 or more; the draft is \(String(format: "%.1f", draftLiftPercentage))% against the published planogram."
        ]
        for w in weak.prefix(3) {
            out.append("\(w.productName) in \(w.slot) (slot value \(w.slotValue)) scores only \(w.score).")
        }
        if weak.isEmpty { out.append("No facing scores below 55.") }
        return out.joined(separator: " ")
    }

    static func label(_ factor: String) -> String {
        switch factor {
        case "visibility_velocity": return "its sales speed matches the slot's visibility"
        case "revenue_potential": return "revenue potential"
        case "adjacency_affinity": return "what its neighbours sell with it"
        case "category_clustering": return "category grouping"
        case "facings_vs_demand": return "capacity against demand"
        default: return factor.replacingOccurrences(of: "_", with: " ")
        }
    }

    /// Splits a text into stream deltas of a few words; their concatenation is the text.
    package static func deltas(_ text: String, wordsPerDelta: Int = 3) -> [String] {
        var out: [String] = []
        var current = ""
        var words = 0
        for ch in text {
            current.append(ch)
            if ch == " " {
                words += 1
                if words == wordsPerDelta {
                    out.append(current)
                    current = ""
                    words = 0
                }
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}

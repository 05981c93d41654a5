import Foundation
import Insights
import PlanogramDomain

/// What the placement prompt and the rules narrator say about one placement; filled by the app from the
/// draft, the score and the models.
package struct PlacementFacts: Sendable {
    package var product: Product
    package var slot: SlotCode
    package var cabinet: Cabinet
    package var capacity: Int
    package var score: PlacementScore
    /// Units per in-stock day of this product on this device, and its rank among the draft's products (1 = fastest).
    package var velocityPerDay: Double
    package var velocityRank: Int
    package var productsInDraft: Int
    /// The slot's heat value 0–100 and the revenue per day expected of this facing there.
    package var slotValue: Int
    package var revenuePerDay: Double
    /// Products in the neighbouring slots (name, category).
    package var neighbours: [(name: String, category: String)]
    /// Lift of the whole draft against the published planogram, percent.
    package var draftLiftPercentage: Double

    package init(
        product: Product,
        slot: SlotCode,
        cabinet: Cabinet,
        capacity: Int,
        score: PlacementScore,
        velocityPerDay: Double,
        velocityRank: Int,
        productsInDraft: Int,
        slotValue: Int,
        revenuePerDay: Double,
        neighbours: [(name: String, category: String)],
        draftLiftPercentage: Double
    ) {
        self.product = product
        self.slot = slot
        self.cabinet = cabinet
        self.capacity = capacity
        self.score = score
        self.velocityPerDay = velocityPerDay
        self.velocityRank = velocityRank
        self.productsInDraft = productsInDraft
        self.slotValue = slotValue
        self.revenuePerDay = revenuePerDay
        self.neighbours = neighbours
        self.draftLiftPercentage = draftLiftPercentage
    }
}

/// One line of the whole-cabinet analysis.
package struct CabinetLine: Sendable {
    package var slot: String, productName: String, category: String, slotValue: Int, velocityPerDay: Double,
        revenuePerDay: Double, score: Int
    package init(
        slot: String,
        productName: String,
        category: String,
        slotValue: Int,
        velocityPerDay: Double,
        revenuePerDay: Double,
        score: Int
    ) {
        self.slot = slot
        self.productName = productName
        self.category = category
        self.slotValue = slotValue
        self.velocityPerDay = velocityPerDay
        self.revenuePerDay = revenuePerDay
        self.score = score
    }
}

/// The prompts sent to Claude. The placement prompt follows the plan's template — Product, Position,
/// Context, Task — and the cabinet prompt lists every slot. Both are trimmed to a token budget: the
/// estimate is bytes ÷ 3.5 rounded up (Anthropic's rule of thumb of about 3.5 characters per token for
/// English; an over-estimate for these mostly-ASCII prompts), and the least important context goes first.
package enum ReasoningPrompt {
    package static let system = """
        You are a merchandising analyst for vending machines. You explain to a merchandiser, in plain words, \
        why a product in a slot works or does not, using only the facts given. Answer in at most four short \
        sentences, no headings, no lists, no greeting. Name the slot and the product. If a change would help, \
        say which one.
        """

    package static func estimateTokens(_ text: String) -> Int { Int((Double(text.utf8.count) / 3.5).rounded(.up)) }

    /// The placement-analysis prompt, within `budget` tokens (system prompt included).
    package static func placement(_ f: PlacementFacts, budget: Int = 1_500) -> String {
        let p = f.product
        let s = f.score
        let rowName =
            f.slot.row == 0
            ? "top row"
            : f.slot.row == f.cabinet.rows - 1
                ? "bottom row" : "row \(f.slot.row + 1) of \(f.cabinet.rows) from the top"
        let head = """
            ## Product
            \(p.name) (\(p.id)), category \(p.category), price \(money(p.price)), \(p.temperature.rawValue), \
            \(p.widthColumns == 2 ? "two columns wide" : "one column wide"), \(p.heightMM) mm tall.
            Sells \(num(f.velocityPerDay)) units per in-stock day on this machine: number \(f.velocityRank) of \(f.productsInDraft) products in this cabinet.

            ## Position
            Slot \(f.slot) of cabinet \(f.cabinet.index) on \(f.cabinet.deviceID): \(rowName), column \(f.slot.column + 1) of \(f.cabinet.columns).
            Slot value \(f.slotValue)/100 on the heat map (100 = the best-selling position of this layout). Capacity \(f.capacity).
            Expected revenue of this facing here: \(money(f.revenuePerDay)) per day.

            ## Context
            Placement score \(s.score)/100\(s.constraintsPassed ? "" : " (breaks a hard rule: " + s.violations.map(\.description).joined(separator: "; ") + ")").
            """
        // Context lines in order of importance; trimmed from the end.
        var context: [String] = s.factors.filter { $0.weight > 0 }.map {
            "- \($0.name.replacingOccurrences(of: "_", with: " ")): \(fmt($0.contribution))/\(Int($0.weight)) — \($0.detail)"
        }
        context += s.suggestions.prefix(3).map { "- suggestion: \($0.message)" }
        context.append("- the whole draft is \(fmt(f.draftLiftPercentage))% against the published planogram")
        context += f.neighbours.map { "- neighbour: \($0.name) (\($0.category))" }
        let task = """

            ## Task
            Explain in at most 80 words why \(p.name) scores \(s.score) in \(f.slot), and whether the merchandiser should keep it there.
            """
        return trimmed(head: head, lines: context, tail: task, budget: budget)
    }

    /// The whole-cabinet analysis prompt (the analysis model), within `budget` tokens.
    package static func cabinet(
        _ cab: Cabinet,
        lines: [CabinetLine],
        draftLiftPercentage: Double,
        budget: Int = 4_000
    ) -> String {
        let head = """
            ## Cabinet
            Cabinet \(cab.index) of \(cab.deviceID): \(cab.rows) rows × \(cab.columns) columns, \(cab.temperature.rawValue). \
            The draft is \(fmt(draftLiftPercentage))% against the published planogram in predicted revenue.

            ## Slots (slot value 0–100, units per day, revenue per day, placement score)
            """
        // Most valuable slots first: when trimming, the least valuable go.
        let rows = lines.sorted { ($0.slotValue, $0.slot) > ($1.slotValue, $1.slot) }.map {
            "- \($0.slot): \($0.productName) (\($0.category)), value \($0.slotValue), \(num($0.velocityPerDay))/day, \(money($0.revenuePerDay))/day, score \($0.score)"
        }
        let task = """

            ## Task
            In at most 150 words: what works in this cabinet, the two or three changes that would raise revenue most, and why.
            """
        return trimmed(head: head, lines: rows, tail: task, budget: budget)
    }

    static func trimmed(head: String, lines: [String], tail: String, budget: Int) -> String {
        var keep = lines
        func text(_ dropped: Int) -> String {
            var t = head + "\n" + keep.joined(separator: "\n")
            if dropped > 0 { t += "\n- (\(dropped) more left out for length)" }
            return t + "\n" + tail
        }
        var dropped = 0
        while !keep.isEmpty && estimateTokens(system) + estimateTokens(text(dropped)) > budget {
            keep.removeLast()
            dropped += 1
        }
        return text(dropped)
    }

    static func money(_ x: Double) -> String { String(format: "%.2f", x) }
    static func num(_ x: Double) -> String { String(format: "%.2f", x) }
    static func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x) }
}

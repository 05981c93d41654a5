import Foundation
import PlanogramDomain

/// The layout of one cabinet as a mixed-integer program: a binary x[p, s] for each candidate
/// product p whose start slot s passes every hard rule of docs/ARCHITECTURE.md (temperature, row height, a 2-wide
/// product on two slots of one row), at most one product covering each slot, locked slots fixed, each
/// product between its least and most facings, and an objective of predicted revenue per day that is
/// concave in facings: a slot's value is the caller's (price × demand at that position × availability
/// against capacity and the service interval), and the k-th facing of a product (k ≥ 2) gives up
/// (1 − ρ^(k−1)) of the product's best slot value, because extra facings share the product's demand.
/// The concavity is linear (continuous w[p, k] with rising costs), so the solver's bound is exact for it.
package struct LayoutProblem: Sendable {
    package var cabinet: Cabinet
    package var products: [Product]
    /// value[p][slot index] per day (row-major slot index); 0 or less: the product is not worth the slot.
    package var value: [[Double]]
    /// Units per slot for a placed product.
    package var capacity: Int
    package var locked: [SlotCode: String] = [:]
    package var minFacings: [String: Int] = [:]
    package var maxFacings: [String: Int] = [:]
    package var defaultMaxFacings = 3
    /// The share of the best slot's value a second facing keeps of its own (ρ).
    package var facingRetention = 0.5

    package init(cabinet: Cabinet, products: [Product], value: [[Double]], capacity: Int) {
        self.cabinet = cabinet
        self.products = products
        self.value = value
        self.capacity = capacity
    }

    func slotIndex(_ s: SlotCode) -> Int { s.row * cabinet.columns + s.column }
    var slots: [SlotCode] {
        (0..<cabinet.rows).flatMap { r in (0..<cabinet.columns).map { SlotCode(row: r, column: $0) } }
    }

    /// The slots a placement of `p` starting at `s` covers, or nil when a hard rule forbids it.
    package func covers(_ p: Product, at s: SlotCode) -> [SlotCode]? {
        guard p.temperature.fits(in: cabinet.temperature) else { return nil }
        let rowMM = s.row < cabinet.rowHeightsMM.count ? cabinet.rowHeightsMM[s.row] : Int.max
        guard p.heightMM <= rowMM else { return nil }
        if p.widthColumns == 2 {
            guard s.column + 1 < cabinet.columns else { return nil }
            return [s, SlotCode(row: s.row, column: s.column + 1)]
        }
        return [s]
    }

    func maxF(_ p: Product) -> Int { maxFacings[p.id] ?? defaultMaxFacings }

    /// The cost of the k-th facing (k ≥ 2) of product index i.
    func facingCost(_ i: Int, _ k: Int) -> Double {
        let best = value[i].max() ?? 0
        return max(0, best) * (1 - pow(facingRetention, Double(k - 1)))
    }

    /// The objective of any layout of candidate products (facings: slot → product id).
    package func objective(_ facings: [SlotCode: String]) -> Double {
        let index = Dictionary(uniqueKeysWithValues: products.enumerated().map { ($1.id, $0) })
        var total = 0.0
        var counts: [Int: Int] = [:]
        for (s, id) in facings {
            guard let i = index[id] else { continue }
            total += value[i][slotIndex(s)]
            counts[i, default: 0] += 1
        }
        for (i, n) in counts where n >= 2 { for k in 2...n { total -= facingCost(i, k) } }
        return total
    }
}

package struct LayoutSolution: Sendable {
    /// Start slot → product id.
    package let facings: [SlotCode: String]
    package let objective: Double
    package let bound: Double
    package let gap: Double
    package let provenOptimal: Bool
    package let seconds: Double
    package let greedyObjective: Double
}

package enum LayoutError: Error, Equatable, CustomStringConvertible {
    case lockedBreaksRule(SlotCode, String)
    case lockedOverlap(SlotCode)
    case unknownProduct(String)
    case infeasible(String)
    case solverFailed

    package var description: String {
        switch self {
        case .lockedBreaksRule(let s, let p): "locked slot \(s): \(p) breaks a hard rule there"
        case .lockedOverlap(let s): "locked slots overlap at \(s)"
        case .unknownProduct(let p): "unknown product \(p)"
        case .infeasible(let why): "no layout satisfies the request: \(why)"
        case .solverFailed: "the solver found no layout"
        }
    }
}

package enum LayoutOptimizer {
    /// Solves `problem` with CBC within `seconds`, starting from the greedy layout.
    package static func solve(
        _ problem: LayoutProblem,
        seconds: Double = 30,
        relativeGap: Double = 1e-4
    ) throws(LayoutError) -> LayoutSolution {
        let p = problem
        let index = Dictionary(uniqueKeysWithValues: p.products.enumerated().map { ($1.id, $0) })
        // Locked placements first: each must pass the rules and not overlap another.
        var lockedCover: [SlotCode: Int] = [:]
        for (s, id) in p.locked.sorted(by: { $0.key < $1.key }) {
            guard let i = index[id] else { throw .unknownProduct(id) }
            guard let cover = p.covers(p.products[i], at: s) else { throw .lockedBreaksRule(s, id) }
            for c in cover {
                if lockedCover[c] != nil { throw .lockedOverlap(c) }
                lockedCover[c] = i
            }
        }
        for (id, m) in p.minFacings where m > 0 {
            guard let i = index[id] else { throw .unknownProduct(id) }
            if m > p.maxF(p.products[i]) {
                throw .infeasible("\(id) needs \(m) facings but may have at most \(p.maxF(p.products[i]))")
            }
            if !p.slots.contains(where: { p.covers(p.products[i], at: $0) != nil }) {
                throw .infeasible("\(id) fits no slot of this cabinet")
            }
        }
        let mip = MIPModel()
        // x columns.
        var x: [(product: Int, slot: SlotCode, column: Int, cover: [SlotCode])] = []
        for (i, prod) in p.products.enumerated() {
            for s in p.slots {
                guard let cover = p.covers(prod, at: s) else { continue }
                let isLocked = p.locked[s] == prod.id
                // A placement over a locked slot (other than the locked one itself) can never be chosen.
                if !isLocked && cover.contains(where: { lockedCover[$0] != nil }) { continue }
                let v = p.value[i][p.slotIndex(s)]
                if !isLocked && v <= 0 && (p.minFacings[prod.id] ?? 0) == 0 { continue }
                let col = mip.addColumn(lower: isLocked ? 1 : 0, upper: 1, objective: v, integer: true)
                x.append((i, s, col, cover))
            }
        }
        let columnsOf = Dictionary(grouping: x, by: \.product).mapValues { $0.map(\.column) }
        // w columns: the k-th facing's cost.
        var w: [Int: [Int]] = [:]
        for (i, prod) in p.products.enumerated() where columnsOf[i] != nil {
            let m = p.maxF(prod)
            guard m >= 2 else { continue }
            w[i] = (2...m).map { k in mip.addColumn(lower: 0, upper: 1, objective: -p.facingCost(i, k), integer: false)
            }
        }
        // Each slot covered at most once.
        var bySlot: [SlotCode: [Int]] = [:]
        for v in x { for c in v.cover { bySlot[c, default: []].append(v.column) } }
        for (_, cols) in bySlot where cols.count > 1 { mip.addRow(cols.map { ($0, 1.0) }, upper: 1) }
        // Facings: n ≤ 1 + Σ w, min ≤ n ≤ max.
        for (i, prod) in p.products.enumerated() {
            guard let cols = columnsOf[i] else { continue }
            var terms = cols.map { ($0, 1.0) }
            terms += (w[i] ?? []).map { ($0, -1.0) }
            mip.addRow(terms, upper: 1)
            mip.addRow(cols.map { ($0, 1.0) }, lower: Double(p.minFacings[prod.id] ?? 0), upper: Double(p.maxF(prod)))
        }
        // The greedy start: the best placements first while they pay.
        var start = [Double](repeating: 0, count: mip.columns)
        var used = Set<SlotCode>()
        var count: [Int: Int] = [:]
        for v in x where p.locked[v.slot] == p.products[v.product].id {
            start[v.column] = 1
            used.formUnion(v.cover)
            count[v.product, default: 0] += 1
        }
        for v in x.sorted(by: { p.value[$0.product][p.slotIndex($0.slot)] > p.value[$1.product][p.slotIndex($1.slot)] })
        {
            guard start[v.column] == 0, v.cover.allSatisfy({ !used.contains($0) }) else { continue }
            let n = count[v.product, default: 0]
            guard n < p.maxF(p.products[v.product]) else { continue }
            let marginal = p.value[v.product][p.slotIndex(v.slot)] - (n >= 1 ? p.facingCost(v.product, n + 1) : 0)
            guard marginal > 0 else { continue }
            start[v.column] = 1
            used.formUnion(v.cover)
            count[v.product] = n + 1
        }
        for (i, cols) in w { for (k, col) in cols.enumerated() where k + 2 <= count[i, default: 0] { start[col] = 1 } }
        let greedy = x.filter { start[$0.column] == 1 }
        let greedyObjective = p.objective(
            Dictionary(uniqueKeysWithValues: greedy.map { ($0.slot, p.products[$0.product].id) })
        )
        // The greedy start breaks a least-facings request when it is short; CBC then finds its own.
        if p.minFacings.allSatisfy({ id, m in count[index[id] ?? -1, default: 0] >= m }) { mip.setStart(start) }
        let r = mip.solve(seconds: seconds, relativeGap: relativeGap)
        guard r.feasible else {
            throw p.minFacings.isEmpty && p.locked.isEmpty
                ? .solverFailed : .infeasible("the locked slots and least facings cannot all be met")
        }
        let chosen = x.filter { r.values[$0.column] > 0.5 }
        let facings = Dictionary(uniqueKeysWithValues: chosen.map { ($0.slot, p.products[$0.product].id) })
        let objective = p.objective(facings)
        return LayoutSolution(
            facings: facings,
            objective: objective,
            bound: max(r.bound, objective),
            gap: max(0, r.bound - objective) / max(abs(objective), 1e-9),
            provenOptimal: r.provenOptimal,
            seconds: r.seconds,
            greedyObjective: greedyObjective
        )
    }
}

import PlanogramDomain

/// Co-purchase statistics of a product pair from baskets (docs/MODELS.md).
package struct PairAffinity: Sendable, Equatable, Codable {
    package let productA: String
    package let productB: String
    /// Share of all transactions containing both.
    package let support: Double
    /// P(B | A): share of A's transactions that also contain B.
    package let confidence: Double
    /// confidence / P(B): above 1 means bought together more often than chance.
    package let lift: Double
    package let baskets: Int
}

/// Pairwise co-purchase affinity from baskets. Pairs seen together fewer than `minimumBaskets` times
/// are left out (their lift is noise). Immutable.
package struct AffinityTable: Sendable {
    package let pairs: [PairAffinity]
    private let lookup: [String: [String: PairAffinity]]

    package init(history h: SalesHistory, minimumBaskets: Int = 3) {
        var together: [Int64: Int] = [:]
        for b in h.baskets {
            for i in 0..<b.count {
                for j in (i + 1)..<b.count { together[Int64(b[i]) << 32 | Int64(b[j]), default: 0] += 1 }
            }
        }
        let n = Double(max(h.transactionCount, 1))
        var pairs: [PairAffinity] = []
        for (key, count) in together where count >= minimumBaskets {
            let a = Int32(key >> 32)
            let b = Int32(key & 0xFFFF_FFFF)
            let ca = Double(h.transactionsWithProduct[a] ?? 1)
            let cb = Double(h.transactionsWithProduct[b] ?? 1)
            let pa = h.products[Int(a)].id
            let pb = h.products[Int(b)].id
            let support = Double(count) / n
            pairs.append(
                PairAffinity(
                    productA: pa,
                    productB: pb,
                    support: support,
                    confidence: Double(count) / ca,
                    lift: (Double(count) / ca) / (cb / n),
                    baskets: count
                )
            )
            pairs.append(
                PairAffinity(
                    productA: pb,
                    productB: pa,
                    support: support,
                    confidence: Double(count) / cb,
                    lift: (Double(count) / cb) / (ca / n),
                    baskets: count
                )
            )
        }
        pairs.sort { ($0.productA, $0.productB) < ($1.productA, $1.productB) }
        self.pairs = pairs
        var m: [String: [String: PairAffinity]] = [:]
        for p in pairs { m[p.productA, default: [:]][p.productB] = p }
        lookup = m
    }

    /// A table of already computed pairs (models loaded from the store).
    package init(pairs: [PairAffinity]) {
        self.pairs = pairs
        var m: [String: [String: PairAffinity]] = [:]
        for p in pairs { m[p.productA, default: [:]][p.productB] = p }
        lookup = m
    }

    package func affinity(_ a: String, _ b: String) -> PairAffinity? { lookup[a]?[b] }
    package func lift(_ a: String, _ b: String) -> Double { lookup[a]?[b]?.lift ?? 1 }

    /// The partners of a product, best lift first.
    package func partners(of a: String) -> [PairAffinity] {
        (lookup[a]?.values.map { $0 } ?? []).sorted { $0.lift > $1.lift }
    }
}

extension Planogram {
    /// Products in the four neighbouring slots (left, right, above, below), 2-wide products resolved.
    package func neighbours(of slot: SlotCode, in cabinet: Cabinet, widths: (String) -> Int) -> [String] {
        neighbours(of: slot, width: facings[slot].map { widths($0.productID) } ?? 1, in: cabinet, widths: widths)
    }

    /// The neighbours `slot` would have if it held a product `width` columns wide (no copy of the draft).
    package func neighbours(of slot: SlotCode, width: Int, in cabinet: Cabinet, widths: (String) -> Int) -> [String] {
        var out: [String] = []
        let wide = width == 2
        var cand = [
            SlotCode(row: slot.row, column: slot.column - 1),
            SlotCode(row: slot.row, column: slot.column + (wide ? 2 : 1)),
            SlotCode(row: slot.row - 1, column: slot.column), SlotCode(row: slot.row + 1, column: slot.column),
        ]
        if wide {
            cand += [
                SlotCode(row: slot.row - 1, column: slot.column + 1),
                SlotCode(row: slot.row + 1, column: slot.column + 1),
            ]
        }
        for c in cand where cabinet.contains(c) {
            if let a = anchor(of: c, widths: widths), a != slot, let p = facings[a]?.productID, !out.contains(p) {
                out.append(p)
            }
        }
        return out
    }
}

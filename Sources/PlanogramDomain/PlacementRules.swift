/// A broken hard constraint, or a malformed slot: names the rule and the slot, carries the message
/// users read, and maps to HTTP 422.
package enum PlacementError: Error, Sendable, Equatable, CustomStringConvertible {
    case badSlotCode(String)
    case slotOutsideCabinet(SlotCode, rows: Int, columns: Int)
    case temperature(slot: SlotCode, product: String, requires: Temperature, cabinet: Temperature)
    case height(slot: SlotCode, product: String, productMM: Int, rowMM: Int)
    case widthLastColumn(slot: SlotCode, product: String)
    case widthNeighbourOccupied(slot: SlotCode, product: String, neighbour: SlotCode)
    case slotOccupiedByWideNeighbour(slot: SlotCode, neighbour: SlotCode)
    case capacity(slot: SlotCode, capacity: Int)
    case unknownProduct(String)

    /// The rule's short name: `slot`, `temperature`, `height`, `width`, `capacity`, `product`.
    package var rule: String {
        switch self {
        case .badSlotCode, .slotOutsideCabinet: return "slot"
        case .temperature: return "temperature"
        case .height: return "height"
        case .widthLastColumn, .widthNeighbourOccupied, .slotOccupiedByWideNeighbour: return "width"
        case .capacity: return "capacity"
        case .unknownProduct: return "product"
        }
    }

    /// The slot concerned, upper case, when there is one.
    package var slot: String? {
        switch self {
        case .badSlotCode(let s): return s.count > 16 ? String(s.prefix(16)) + "…" : s  // input is echoed, bounded
        case .slotOutsideCabinet(let s, _, _): return s.description
        case .temperature(let s, _, _, _), .height(let s, _, _, _), .widthLastColumn(let s, _),
            .widthNeighbourOccupied(let s, _, _), .slotOccupiedByWideNeighbour(let s, _), .capacity(let s, _):
            return s.description
        case .unknownProduct: return nil
        }
    }

    package var description: String {
        switch self {
        case .badSlotCode(let s):
            let shown = s.count > 16 ? String(s.prefix(16)) + "…" : s  // input is echoed, bounded
            return "\"\(shown)\" is not a slot code (row letter then column number, e.g. B4)"
        case .slotOutsideCabinet(let s, let r, let c):
            let last = SlotCode(row: r - 1, column: c - 1)
            return "slot \(s) is outside the cabinet (A1…\(last))"
        case .temperature(let s, let p, let need, let cab):
            return "temperature: \(p) must be kept \(need.rawValue) but the cabinet at \(s) is \(cab.rawValue)"
        case .height(let s, let p, let pmm, let rmm):
            return "height: \(p) is \(pmm) mm tall but row \(s.rowLetter) at \(s) is \(rmm) mm"
        case .widthLastColumn(let s, let p):
            return "width: \(p) is 2 columns wide and cannot start in the last column (\(s))"
        case .widthNeighbourOccupied(let s, let p, let n):
            return "width: \(p) is 2 columns wide and needs \(n), which is occupied, next to \(s)"
        case .slotOccupiedByWideNeighbour(let s, let n):
            return "width: \(s) is covered by the 2-wide product in \(n)"
        case .capacity(let s, let c):
            return "capacity: must be between 1 and \(PlacementRules.maxCapacity) at \(s), got \(c)"
        case .unknownProduct(let p): return "unknown product \(p)"
        }
    }
}

/// The hard constraints of docs/ARCHITECTURE.md, checked against a cabinet and a draft.
package enum PlacementRules {
    /// The largest capacity a slot may be given (the import's bound too).
    package static let maxCapacity = 1000

    /// Every hard rule that placing `product` with `capacity` in `slot` of `planogram` would break.
    /// The slot's own current content is ignored (it is being replaced); `ignoring` lists other
    /// slots to treat as empty (e.g. the source of a move).
    package static func violations(
        placing product: Product,
        capacity: Int,
        at slot: SlotCode,
        in cabinet: Cabinet,
        planogram: Planogram,
        ignoring: Set<SlotCode> = [],
        products: [String: Product]
    ) -> [PlacementError] {
        var out: [PlacementError] = []
        guard cabinet.contains(slot) else {
            return [.slotOutsideCabinet(slot, rows: cabinet.rows, columns: cabinet.columns)]
        }
        if !product.temperature.fits(in: cabinet.temperature) {
            out.append(
                .temperature(
                    slot: slot,
                    product: product.id,
                    requires: product.temperature,
                    cabinet: cabinet.temperature
                )
            )
        }
        let rowMM = slot.row < cabinet.rowHeightsMM.count ? cabinet.rowHeightsMM[slot.row] : Int.max
        if product.heightMM > rowMM {
            out.append(.height(slot: slot, product: product.id, productMM: product.heightMM, rowMM: rowMM))
        }
        if capacity < 1 || capacity > maxCapacity { out.append(.capacity(slot: slot, capacity: capacity)) }
        let width: (String) -> Int = { products[$0]?.widthColumns ?? 1 }
        // The left neighbour may be a 2-wide product covering this slot.
        let left = slot.leftNeighbour
        if left.column >= 0, !ignoring.contains(left), let f = planogram.facings[left], width(f.productID) == 2 {
            out.append(.slotOccupiedByWideNeighbour(slot: slot, neighbour: left))
        }
        if product.widthColumns == 2 {
            let right = slot.rightNeighbour
            if right.column >= cabinet.columns {
                out.append(.widthLastColumn(slot: slot, product: product.id))
            } else if !ignoring.contains(right), planogram.facings[right] != nil {
                out.append(.widthNeighbourOccupied(slot: slot, product: product.id, neighbour: right))
            }
        }
        return out
    }
}

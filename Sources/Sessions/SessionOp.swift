import Foundation
import HTTPAPI
import PlanogramDomain

/// An edit of docs/ARCHITECTURE.md, parsed and normalised (slots upper case).
package enum SessionOp: Sendable, Equatable {
    case place(slot: SlotCode, productID: String, capacity: Int?)
    case move(from: SlotCode, to: SlotCode)
    case swap(a: SlotCode, b: SlotCode)
    case clear(slot: SlotCode)
    case setCapacity(slot: SlotCode, capacity: Int)
    /// The slot's par level (docs/MODELS.md "Par levels"); nil clears it.
    case setPar(slot: SlotCode, par: Int?)

    /// An op as a request (or the op log) gives it: every field optional, checked by `parse`.
    package struct Input: Decodable, Sendable {
        let type: String?
        let slot: String?
        let productID: String?
        let capacity: Int?
        let from: String?
        let to: String?
        let a: String?
        let b: String?
        let par: Int?
        /// Whether `par` was given (null clears a slot's par; absent is an error).
        let hasPar: Bool

        enum CodingKeys: String, CodingKey {
            case type, slot
            case productID = "product_id"
            case capacity, from, to, a, b, par
        }

        package init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decodeIfPresent(String.self, forKey: .type)
            slot = try c.decodeIfPresent(String.self, forKey: .slot)
            productID = try c.decodeIfPresent(String.self, forKey: .productID)
            capacity = try c.decodeIfPresent(Int.self, forKey: .capacity)
            from = try c.decodeIfPresent(String.self, forKey: .from)
            to = try c.decodeIfPresent(String.self, forKey: .to)
            a = try c.decodeIfPresent(String.self, forKey: .a)
            b = try c.decodeIfPresent(String.self, forKey: .b)
            par = try c.decodeIfPresent(Int.self, forKey: .par)
            hasPar = c.contains(.par)
        }
    }

    /// Checks an op; slot codes must lie inside the cabinet (422 otherwise).
    package static func parse(_ o: Input, cabinet: Cabinet) throws(APIError) -> SessionOp {
        guard let type = o.type else {
            throw .badRequest("op.type is required (place, move, swap, clear, set_capacity, set_par)")
        }
        func slot(_ key: String, _ text: String?) throws(APIError) -> SlotCode {
            guard let text else { throw .badRequest("op.\(key) is required (a slot code such as B4)") }
            do { return try cabinet.slot(text) } catch {
                throw .unprocessable(
                    "rule_broken",
                    error.description,
                    details: ["violations": [ViolationBody(error)]]
                )
            }
        }
        switch type {
        case "place":
            guard let pid = o.productID, !pid.isEmpty else { throw .badRequest("op.product_id is required") }
            return .place(slot: try slot("slot", o.slot), productID: pid, capacity: o.capacity)
        case "move": return .move(from: try slot("from", o.from), to: try slot("to", o.to))
        case "swap": return .swap(a: try slot("a", o.a), b: try slot("b", o.b))
        case "clear": return .clear(slot: try slot("slot", o.slot))
        case "set_capacity":
            guard let c = o.capacity else { throw .badRequest("op.capacity is required") }
            return .setCapacity(slot: try slot("slot", o.slot), capacity: c)
        case "set_par":
            guard o.hasPar else { throw .badRequest("op.par is required (a whole number, or null to clear)") }
            return .setPar(slot: try slot("slot", o.slot), par: o.par)
        default: throw .badRequest("unknown op type \"\(type)\" (place, move, swap, clear, set_capacity, set_par)")
        }
    }

    /// Slots whose content the op reads or writes (the conflict rule looks at these).
    var touchedSlots: [SlotCode] {
        switch self {
        case let .place(s, _, _), let .clear(s), let .setCapacity(s, _), let .setPar(s, _): return [s]
        case let .move(f, t): return [f, t]
        case let .swap(a, b): return [a, b]
        }
    }

    /// Applies the op to `plan`, checking the hard rules. Returns the slots whose content changed.
    func apply(to plan: inout Planogram, cabinet: Cabinet, products: [String: Product]) throws(APIError) -> [SlotCode] {
        let widths: (String) -> Int = { products[$0]?.widthColumns ?? 1 }
        func anchor(_ s: SlotCode, _ what: String) throws(APIError) -> SlotCode {
            guard let a = plan.anchor(of: s, widths: widths) else {
                throw .unprocessable("empty_slot", "\(what): slot \(s) is empty")
            }
            return a
        }
        func check(
            _ product: Product,
            _ capacity: Int,
            _ slot: SlotCode,
            _ p: Planogram,
            ignoring: Set<SlotCode>
        ) throws(APIError) {
            let v = PlacementRules.violations(
                placing: product,
                capacity: capacity,
                at: slot,
                in: cabinet,
                planogram: p,
                ignoring: ignoring,
                products: products
            )
            if !v.isEmpty {
                throw .unprocessable(
                    "rule_broken",
                    v[0].description,
                    details: ["violations": v.map(ViolationBody.init)]
                )
            }
        }
        switch self {
        case let .place(slot, pid, cap):
            guard let product = products[pid] else { throw .unprocessable("unknown_product", "unknown product \(pid)") }
            let capacity = cap ?? plan.facings[slot]?.capacity ?? Facing.defaultCapacity
            var without = plan
            without.facings[slot] = nil
            try check(product, capacity, slot, without, ignoring: [])
            without.facings[slot] = Facing(productID: pid, capacity: capacity)
            plan = without
            return [slot]
        case let .move(from, to):
            let a = try anchor(from, "move")
            guard let f = plan.facings[a], let product = products[f.productID] else {
                throw .unprocessable("empty_slot", "move: slot \(from) is empty")
            }
            if a == to { return [] }
            if let other = plan.anchor(of: to, widths: widths), other != a {
                throw .unprocessable(
                    "slot_occupied",
                    "move: slot \(to) holds \(plan.facings[other]!.productID); use swap"
                )
            }
            var without = plan
            without.facings[a] = nil
            try check(product, f.capacity, to, without, ignoring: [])
            without.facings[to] = f
            plan = without
            return [a, to]
        case let .swap(x, y):
            let ax = plan.anchor(of: x, widths: widths) ?? x
            let ay = plan.anchor(of: y, widths: widths) ?? y
            let fx = plan.facings[ax]
            let fy = plan.facings[ay]
            guard fx != nil || fy != nil else {
                throw .unprocessable("empty_slot", "swap: both \(x) and \(y) are empty")
            }
            if ax == ay { return [] }
            var next = plan
            next.facings[ax] = nil
            next.facings[ay] = nil
            if let fy, let p = products[fy.productID] {
                try check(p, fy.capacity, ax, next, ignoring: [])
                next.facings[ax] = fy
            }
            if let fx, let p = products[fx.productID] {
                try check(p, fx.capacity, ay, next, ignoring: [])
                next.facings[ay] = fx
            }
            plan = next
            return [ax, ay]
        case let .clear(slot):
            let a = try anchor(slot, "clear")
            plan.facings[a] = nil
            return [a]
        case let .setCapacity(slot, cap):
            let a = try anchor(slot, "set_capacity")
            guard cap >= 1, cap <= PlacementRules.maxCapacity else {
                let e = PlacementError.capacity(slot: a, capacity: cap)
                throw .unprocessable(
                    "rule_broken",
                    e.description,
                    details: ["violations": [ViolationBody(e)]]
                )
            }
            plan.facings[a]!.capacity = cap
            // A par above the new capacity comes down with it.
            if let par = plan.facings[a]!.par, par > cap { plan.facings[a]!.par = cap }
            return [a]
        case let .setPar(slot, par):
            let a = try anchor(slot, "set_par")
            let capacity = plan.facings[a]!.capacity
            if let par, par < 1 || par > capacity {
                throw .unprocessable(
                    "par_above_capacity",
                    par < 1
                        ? "par \(par) is not a level: give 1 to the capacity, or null to clear it"
                        : "par \(par) is above slot \(a)'s capacity \(capacity)",
                    details: ["slot": a.description, "capacity": capacity, "par": par]
                )
            }
            plan.facings[a]!.par = par
            return [a]
        }
    }
}

/// An op as the op log keeps it and `op` events show it: `{"type": "place", "slot": "B4", "product_id": …}`.
extension SessionOp: Encodable {
    private enum Key: String, CodingKey {
        case type, slot
        case productID = "product_id"
        case capacity, from, to, a, b, par
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case let .place(s, p, capacity):
            try c.encode("place", forKey: .type)
            try c.encode(s.description, forKey: .slot)
            try c.encode(p, forKey: .productID)
            try c.encodeIfPresent(capacity, forKey: .capacity)
        case let .move(f, t):
            try c.encode("move", forKey: .type)
            try c.encode(f.description, forKey: .from)
            try c.encode(t.description, forKey: .to)
        case let .swap(a, b):
            try c.encode("swap", forKey: .type)
            try c.encode(a.description, forKey: .a)
            try c.encode(b.description, forKey: .b)
        case let .clear(s):
            try c.encode("clear", forKey: .type)
            try c.encode(s.description, forKey: .slot)
        case let .setCapacity(s, capacity):
            try c.encode("set_capacity", forKey: .type)
            try c.encode(s.description, forKey: .slot)
            try c.encode(capacity, forKey: .capacity)
        case let .setPar(s, par):
            try c.encode("set_par", forKey: .type)
            try c.encode(s.description, forKey: .slot)
            if let par { try c.encode(par, forKey: .par) } else { try c.encodeNil(forKey: .par) }
        }
    }
}

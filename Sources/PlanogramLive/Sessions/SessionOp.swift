import Foundation
import HTTPAPI
import PlanogramDomain

/// An edit of docs/ARCHITECTURE.md, parsed and normalised (slots upper case).
enum SessionOp: Sendable, Equatable {
    case place(slot: SlotCode, productID: String, capacity: Int?)
    case move(from: SlotCode, to: SlotCode)
    case swap(a: SlotCode, b: SlotCode)
    case clear(slot: SlotCode)
    case setCapacity(slot: SlotCode, capacity: Int)
    /// The slot's par level (docs/MODELS.md "Par levels"); nil clears it.
    case setPar(slot: SlotCode, par: Int?)

    /// Parses `{type, …}`; slot codes must lie inside the cabinet (422 otherwise).
    static func parse(_ o: [String: Any], cabinet: Cabinet) throws(APIError) -> SessionOp {
        guard let type = o["type"] as? String else {
            throw .badRequest("op.type is required (place, move, swap, clear, set_capacity, set_par)")
        }
        func slot(_ key: String) throws(APIError) -> SlotCode {
            guard let text = o[key] as? String else {
                throw .badRequest("op.\(key) is required (a slot code such as B4)")
            }
            do { return try cabinet.slot(text) } catch {
                throw .unprocessable(
                    "rule_broken",
                    error.description,
                    details: ["violations": [PlanogramJSON.violationJSON(error)]]
                )
            }
        }
        func int(_ key: String) throws(APIError) -> Int? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let n = JSONReply.int(v) else { throw .badRequest("op.\(key) must be a whole number") }
            return n
        }
        switch type {
        case "place":
            guard let pid = o["product_id"] as? String, !pid.isEmpty else {
                throw .badRequest("op.product_id is required")
            }
            return .place(slot: try slot("slot"), productID: pid, capacity: try int("capacity"))
        case "move": return .move(from: try slot("from"), to: try slot("to"))
        case "swap": return .swap(a: try slot("a"), b: try slot("b"))
        case "clear": return .clear(slot: try slot("slot"))
        case "set_capacity":
            guard let c = try int("capacity") else { throw .badRequest("op.capacity is required") }
            return .setCapacity(slot: try slot("slot"), capacity: c)
        case "set_par":
            guard o.keys.contains("par") else {
                throw .badRequest("op.par is required (a whole number, or null to clear)")
            }
            return .setPar(slot: try slot("slot"), par: try int("par"))
        default: throw .badRequest("unknown op type \"\(type)\" (place, move, swap, clear, set_capacity, set_par)")
        }
    }

    var json: [String: Any] {
        switch self {
        case let .place(s, p, c):
            var o: [String: Any] = ["type": "place", "slot": s.description, "product_id": p]
            if let c { o["capacity"] = c }
            return o
        case let .move(f, t): return ["type": "move", "from": f.description, "to": t.description]
        case let .swap(a, b): return ["type": "swap", "a": a.description, "b": b.description]
        case let .clear(s): return ["type": "clear", "slot": s.description]
        case let .setCapacity(s, c): return ["type": "set_capacity", "slot": s.description, "capacity": c]
        case let .setPar(s, p):
            return ["type": "set_par", "slot": s.description, "par": p.map { $0 as Any } ?? NSNull()]
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
                    details: ["violations": v.map(PlanogramJSON.violationJSON)]
                )
            }
        }
        switch self {
        case let .place(slot, pid, cap):
            guard let product = products[pid] else { throw .unprocessable("unknown_product", "unknown product \(pid)") }
            let capacity = cap ?? plan.facings[slot]?.capacity ?? PlanogramJSON.defaultCapacity
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
                    details: ["violations": [PlanogramJSON.violationJSON(e)]]
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

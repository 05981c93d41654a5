import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Sessions

/// Reads a planogram from a request body. Accepted shapes: the `GET /api/planograms/...` output
/// (`{"slots": [{"slot", "product_id", "capacity"}]}`), a bare array of those, or an object keyed by
/// slot (`{"A1": {"product_id", "capacity"}}` or `{"A1": "P001"}`). Slots are case-insensitive; a slot
/// outside the cabinet or an unknown product is a 422; a missing capacity defaults to 8.
enum PlanogramJSON {
    static let defaultCapacity = Facing.defaultCapacity

    static func parse(
        _ value: JSONValue,
        cabinet: Cabinet,
        products: [String: Product],
        version: Int,
        field: String
    ) throws(APIError) -> Planogram {
        var entries: [(String, String, Int)] = []
        func entry(_ o: JSONValue) throws(APIError) {
            guard case .string(let slot)? = o["slot"], case .string(let pid)? = o["product_id"] else {
                throw .badRequest("\(field): each slot needs \"slot\" and \"product_id\"")
            }
            entries.append((slot, pid, try capacity(o["capacity"])))
        }
        func capacity(_ v: JSONValue?) throws(APIError) -> Int {
            switch v {
            case nil: return defaultCapacity
            case .integer(let n)?: return Int(clamping: n)
            case .number(let d)? where d == d.rounded() && abs(d) < 1e9: return Int(d)
            default: throw .badRequest("\(field): capacity must be a whole number")
            }
        }
        if case .object(let o) = value, case .array(let list)? = o["slots"] {
            for item in list {
                guard case .object = item else { throw .badRequest("\(field).slots must hold objects") }
                try entry(item)
            }
        } else if case .array(let list) = value {
            for item in list {
                guard case .object = item else { throw .badRequest("\(field) must hold objects") }
                try entry(item)
            }
        } else if case .object(let o) = value {
            for (slot, v) in o {
                if case .string(let pid) = v {
                    entries.append((slot, pid, defaultCapacity))
                } else if case .object = v, case .string(let pid)? = v["product_id"] {
                    entries.append((slot, pid, try capacity(v["capacity"])))
                } else {
                    throw .badRequest("\(field).\(slot) must be a product id or {product_id, capacity}")
                }
            }
        } else {
            throw .badRequest("\(field) must be an object or an array of slots")
        }
        var plan = Planogram(
            deviceID: cabinet.deviceID,
            cabinetIndex: cabinet.index,
            version: version,
            effectiveFrom: 0
        )
        var violations: [PlacementError] = []
        // Rules are checked in slot order so 2-wide neighbours are judged consistently.
        var parsed: [(SlotCode, String, Int)] = []
        for (text, pid, cap) in entries {
            let slot: SlotCode
            do { slot = try cabinet.slot(text) } catch {
                violations.append(error)
                continue
            }
            guard products[pid] != nil else {
                violations.append(.unknownProduct(pid))
                continue
            }
            if parsed.contains(where: { $0.0 == slot }) { throw .badRequest("\(field): slot \(slot) appears twice") }
            parsed.append((slot, pid, cap))
        }
        for (slot, pid, cap) in parsed.sorted(by: { $0.0 < $1.0 }) {
            violations += PlacementRules.violations(
                placing: products[pid]!,
                capacity: cap,
                at: slot,
                in: cabinet,
                planogram: plan,
                products: products
            )
            plan.facings[slot] = Facing(productID: pid, capacity: cap)
        }
        if !violations.isEmpty {
            throw .unprocessable(
                "rule_broken",
                "\(field) breaks \(violations.count) rule(s): \(violations[0].description)",
                details: ["violations": violations.map(ViolationBody.init)]
            )
        }
        return plan
    }
}

import Foundation
import HTTPAPI
import Insights
import PlanogramDomain

/// Reads a planogram from a request body. Accepted shapes: the `GET /api/planograms/...` output
/// (`{"slots": [{"slot", "product_id", "capacity"}]}`), a bare array of those, or an object keyed by
/// slot (`{"A1": {"product_id", "capacity"}}` or `{"A1": "P001"}`). Slots are case-insensitive; a slot
/// outside the cabinet or an unknown product is a 422; a missing capacity defaults to 8.
enum PlanogramJSON {
    static let defaultCapacity = 8

    static func parse(
        _ any: Any,
        cabinet: Cabinet,
        products: [String: Product],
        version: Int,
        field: String
    ) throws(APIError) -> Planogram {
        var entries: [(String, String, Int)] = []
        func entry(_ o: [String: Any]) throws(APIError) {
            guard let slot = o["slot"] as? String, let pid = o["product_id"] as? String else {
                throw .badRequest("\(field): each slot needs \"slot\" and \"product_id\"")
            }
            entries.append((slot, pid, try capacity(o["capacity"])))
        }
        func capacity(_ v: Any?) throws(APIError) -> Int {
            guard let v else { return defaultCapacity }
            guard let n = JSONReply.int(v) else { throw .badRequest("\(field): capacity must be a whole number") }
            return n
        }
        if let o = any as? [String: Any], let list = o["slots"] as? [Any] {
            for item in list {
                guard let e = item as? [String: Any] else { throw .badRequest("\(field).slots must hold objects") }
                try entry(e)
            }
        } else if let list = any as? [Any] {
            for item in list {
                guard let e = item as? [String: Any] else { throw .badRequest("\(field) must hold objects") }
                try entry(e)
            }
        } else if let o = any as? [String: Any] {
            for (slot, v) in o {
                if let pid = v as? String {
                    entries.append((slot, pid, defaultCapacity))
                } else if let e = v as? [String: Any], let pid = e["product_id"] as? String {
                    entries.append((slot, pid, try capacity(e["capacity"])))
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
                details: ["violations": violations.map(violationJSON)]
            )
        }
        return plan
    }

    static func violationJSON(_ v: PlacementError) -> [String: Any] {
        var o: [String: Any] = ["rule": v.rule, "message": v.description]
        if let s = v.slot { o["slot"] = s }
        return o
    }
}

/// JSON shapes of the insights.
enum InsightJSON {
    static func score(_ s: PlacementScore) -> [String: Any] {
        [
            "product_id": s.productID, "slot_position": s.slot.description, "score": s.score, "reasoning": s.reasoning,
            "constraints_passed": s.constraintsPassed, "violations": s.violations.map(PlanogramJSON.violationJSON),
            "factors": s.factors.map {
                [
                    "name": $0.name, "value": round3($0.value), "weight": $0.weight, "contribution": $0.contribution,
                    "detail": $0.detail,
                ] as [String: Any]
            },
            "suggestions": s.suggestions.map {
                [
                    "kind": $0.kind.rawValue, "slot": $0.slot.description, "product_id": $0.productID,
                    "score": $0.score, "message": $0.message,
                ] as [String: Any]
            },
            "model_version": DemandModel.version,
        ]
    }

    static func slotForecast(_ f: SlotForecast?) -> Any {
        guard let f else { return NSNull() }
        return [
            "product_id": f.productID, "demand_per_day": round3(f.demandPerDay), "availability": round3(f.availability),
            "units_per_day": round3(f.unitsPerDay), "revenue_per_day": round2(f.revenuePerDay),
        ] as [String: Any]
    }

    static func prediction(_ p: RevenuePrediction) -> [String: Any] {
        [
            "forecast_days": p.forecastDays, "baseline_revenue": round2(p.baselineRevenue),
            "predicted_revenue": round2(p.predictedRevenue),
            "lift_percentage": round2(p.liftPercentage),
            "confidence_interval": [round2(p.confidenceInterval.lower), round2(p.confidenceInterval.upper)],
            "confidence_level": 0.95,
            "break_even_days": p.breakEvenDays.map { round2($0) as Any } ?? NSNull(),
            "touched_slots": p.touchedSlots.map(\.description),
            "per_slot": p.perSlot.map { b, q in
                ["slot": (b?.slot ?? q!.slot).description, "baseline": slotForecast(b), "proposed": slotForecast(q)]
                    as [String: Any]
            },
            "model_version": p.modelVersion,
        ]
    }

    static func heatmap(_ cells: [HeatCell], plan: Planogram, modelVersion: String) -> [String: Any] {
        [
            "device_id": plan.deviceID, "cabinet_index": plan.cabinetIndex, "version": plan.version,
            "model_version": modelVersion,
            "cells": cells.map {
                [
                    "slot": $0.slot.description, "value": $0.value, "revenue_per_day": round2($0.revenuePerDay),
                    "observations": Int($0.observations.rounded()),
                ] as [String: Any]
            },
        ]
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

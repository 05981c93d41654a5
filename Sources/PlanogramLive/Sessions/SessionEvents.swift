import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain

/// Encoders of the SSE events of docs/ARCHITECTURE.md. Each event is encoded once (JSON, then the whole SSE frame)
/// and the same bytes go to every subscriber.
enum SessionEvents {
    static func frame(_ event: String, id: String?, _ data: [String: Any]) -> [UInt8] {
        SSEFrame(id: id, event: event, data: String(decoding: JSONWriter.encode(data), as: UTF8.self)).bytes
    }

    /// An event whose body is one of the `APITypes` (`EventFrame`).
    static func frame<T: Encodable>(_ event: String, _ body: T, id: String? = nil) -> [UInt8] {
        EventFrame.encode(event, body, id: id)
    }

    static func planogram(_ p: Planogram, products: [String: Product]) -> [String: Any] {
        [
            "version": p.version,
            "slots": p.sortedFacings.map { s, f in
                var o: [String: Any] = [
                    "slot": s.description, "product_id": f.productID, "capacity": f.capacity,
                    "width_cols": products[f.productID]?.widthColumns ?? 1,
                ]
                if let par = f.par { o["par"] = par }
                return o
            },
        ]
    }

    static func heatmap(_ cells: [HeatCell], version: Int) -> [String: Any] {
        [
            "version": version,
            "cells": cells.map {
                [
                    "slot": $0.slot.description, "value": $0.value,
                    "revenue_per_day": InsightJSON.round2($0.revenuePerDay),
                ] as [String: Any]
            },
        ]
    }

    static func revenue(_ p: RevenuePrediction, version: Int) -> [String: Any] {
        [
            "version": version, "baseline_revenue": InsightJSON.round2(p.baselineRevenue),
            "predicted_revenue": InsightJSON.round2(p.predictedRevenue),
            "lift_percentage": InsightJSON.round2(p.liftPercentage),
            "confidence_interval": [
                InsightJSON.round2(p.confidenceInterval.lower), InsightJSON.round2(p.confidenceInterval.upper),
            ], "confidence_level": 0.95,
            "break_even_days": p.breakEvenDays.map { InsightJSON.round2($0) as Any } ?? NSNull(),
            "forecast_days": p.forecastDays,
        ]
    }
}

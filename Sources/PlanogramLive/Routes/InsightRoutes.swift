import Crypto
import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Sessions
import Store

/// `POST /api/planograms/realtime/score`, `POST /api/planograms/predict/revenue` and
/// `GET /api/planograms/{device_id}/{cabinet_index}/heatmap` (docs/MODELS.md).
struct InsightRoutes {
    let app: AppContext
    let insights: InsightsEngine

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        router.post("/api/planograms/realtime/score", name: "score", admit: app.auth.admit(.editors)) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .editors)
                try app.limit(.score, p)
                let body = try JSONRequest.decode(ScoreRequest.self, req)
                let snap = try insights.snapshotOrUnavailable()
                let (_, cab) = try app.cabinet(deviceID: body.deviceID, index: body.cabinetIndex, p)
                let (pid, slotText) = (body.productID, body.slotPosition)
                // Products come from the catalogue (the store), not the models: a product imported a moment ago is
                // known before the background refit has seen its sales (the model rates it from its category).
                let products = app.catalog.current.products
                guard products[pid] != nil else {
                    throw APIError.unprocessable("unknown_product", "unknown product \(pid)")
                }
                let slot: SlotCode
                do { slot = try cab.slot(slotText) } catch let error as PlacementError {
                    throw APIError.unprocessable(
                        "slot_outside_cabinet",
                        error.description,
                        details: ["violations": [ViolationBody(error)]]
                    )
                }
                let draft: Planogram
                if let d = body.planogram, d != .null {
                    draft = try PlanogramJSON.parse(d, cabinet: cab, products: products, version: 0, field: "planogram")
                } else {
                    guard let plan = try app.published.current(CabinetKey(cab.deviceID, cab.index)) else {
                        throw APIError.notFound("no published planogram for \(cab.deviceID)/\(cab.index)")
                    }
                    draft = plan
                }
                let capacity = body.capacity
                let score = snap.scorer.score(
                    productID: pid,
                    at: slot,
                    cabinet: cab,
                    draft: draft,
                    capacity: capacity,
                    catalog: products
                )
                return (200, ScoreBody(score))
            }
        }
        router.post("/api/planograms/predict/revenue", name: "predict_revenue", admit: app.auth.admit(.editors)) {
            req,
            r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .editors)
                try app.limit(.predict, p)
                let body = try JSONRequest.decode(PredictRequest.self, req)
                let snap = try insights.snapshotOrUnavailable()
                let (_, cab) = try app.cabinet(deviceID: body.deviceID, index: body.cabinetIndex, p)
                let days = body.forecastDays ?? 30
                guard (1...365).contains(days) else { throw APIError.badRequest("forecast_days must be 1…365") }
                let proposedJSON = body.proposedPlanogram
                let products = app.catalog.current.products
                let proposed = try PlanogramJSON.parse(
                    proposedJSON,
                    cabinet: cab,
                    products: products,
                    version: 0,
                    field: "proposed_planogram"
                )
                let current: Planogram
                if let c = body.currentPlanogram, c != .null {
                    current = try PlanogramJSON.parse(
                        c,
                        cabinet: cab,
                        products: products,
                        version: 0,
                        field: "current_planogram"
                    )
                } else {
                    guard let plan = try app.published.current(CabinetKey(cab.deviceID, cab.index)) else {
                        throw APIError.notFound("no published planogram for \(cab.deviceID)/\(cab.index)")
                    }
                    current = plan
                }
                let prediction = snap.forecaster.predict(
                    cabinet: cab,
                    current: current,
                    proposed: proposed,
                    forecastDays: days,
                    changeCostPerSlot: app.configuration.changeCostPerSlot
                )
                var out = PredictionBody(prediction)
                let now = Int64(Date().timeIntervalSince1970)
                let expires = now + Int64(app.configuration.predictionTTLSeconds)
                // One stored row per distinct request and model fit: a repeated request refreshes it (the
                // table stays bounded by what was really asked), expired rows are swept.
                // The request's meaning, not its bytes: key order and spacing do not make a new row.
                func canonical(_ p: Planogram) -> String {
                    p.sortedFacings.map { "\($0.slot)=\($0.facing.productID)x\($0.facing.capacity)" }.joined(
                        separator: ","
                    )
                }
                let key =
                    "\(cab.deviceID)|\(cab.index)|\(days)|\(canonical(current))|\(canonical(proposed))|\(app.configuration.changeCostPerSlot)|\(snap.builtAt.timeIntervalSince1970)"
                let hash = SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
                let payload = String(decoding: try APIJSON.encode(out), as: UTF8.self)
                let id = try app.store.write { db -> Int64 in
                    try db.run("DELETE FROM ai_predictions WHERE expires_at < ?", [.int(now)])
                    try db.run(
                        """
                        INSERT INTO ai_predictions(device_id, cabinet_index, kind, request_hash, model_version, created_at, expires_at, payload)
                        VALUES (?, ?, 'revenue', ?, ?, ?, ?, ?)
                        ON CONFLICT(request_hash, model_version) DO UPDATE SET created_at = excluded.created_at, expires_at = excluded.expires_at, payload = excluded.payload
                        """,
                        [
                            .text(cab.deviceID), .of(cab.index), .text(hash), .text(prediction.modelVersion), .int(now),
                            .int(expires), .text(payload),
                        ]
                    )
                    return try db.scalarInt(
                        "SELECT id FROM ai_predictions WHERE request_hash = ? AND model_version = ?",
                        [.text(hash), .text(prediction.modelVersion)]
                    ) ?? 0
                }
                out.predictionID = id
                out.expiresAt = FieldParse.iso8601(expires)
                return (200, out)
            }
        }
        router.get("/api/planograms/{device_id}/{cabinet_index}/heatmap", name: "heatmap") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let (_, cab) = try app.cabinet(req, p)
                let snap = try insights.snapshotOrUnavailable()
                guard let plan = try app.published.current(CabinetKey(cab.deviceID, cab.index)) else {
                    throw APIError.notFound("no published planogram for \(cab.deviceID)/\(cab.index)")
                }
                return (
                    200,
                    HeatmapBody(
                        HeatMap.cells(model: snap.model, forecaster: snap.forecaster, cabinet: cab, planogram: plan),
                        plan: plan,
                        modelVersion: snap.forecaster.version
                    )
                )
            }
        }
    }
}

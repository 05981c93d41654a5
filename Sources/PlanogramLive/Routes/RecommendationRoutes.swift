import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Sessions

/// Venue-level demand for the models of the moment: fitted once per fit of the models (a few
/// milliseconds a hundred devices), shared by the recommendations and the optimizer.
final class VenueDemandCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: (builtAt: Date, demand: VenueDemand)?

    func demand(_ snap: InsightsEngine.Snapshot) -> VenueDemand {
        lock.lock()
        defer { lock.unlock() }
        if let c = cached, c.builtAt == snap.builtAt { return c.demand }
        let d = VenueDemand(history: snap.model.history, exposure: snap.exposure)
        cached = (snap.builtAt, d)
        return d
    }
}

/// docs/MODELS.md: `GET /api/devices/{id}/recommendations?limit=` — every product that fits one of the device's
/// cabinets, ranked by expected revenue per day at the device's best position, with what the estimate rests
/// on (`device`, `venue`, `fleet`) and whether the device has never sold it.
struct RecommendationRoutes {
    let app: AppContext
    let insights: InsightsEngine
    let venues: VenueDemandCache

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        let venues = self.venues
        router.get("/api/devices/{id}/recommendations", name: "recommendations") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = req.parameter("id") ?? ""
                let cat = app.catalog.current
                guard let device = cat.devices[id] else { throw APIError.notFound("unknown device \(id)") }
                try app.auth.requireDevice(p, id)
                var limit = 20
                if let text = req.queryValue("limit") {
                    guard let n = Int(text), (1...500).contains(n) else {
                        throw APIError.badRequest("limit must be 1…500")
                    }
                    limit = n
                }
                let snap = try insights.snapshotOrUnavailable()
                let demand = venues.demand(snap)
                let cabinets = cat.cabinets(of: id)
                let fits = { (prod: Product) in
                    cabinets.contains { c in
                        prod.temperature.fits(in: c.temperature) && c.rowHeightsMM.contains { prod.heightMM <= $0 }
                    }
                }
                let ranked = cat.products.values.filter(fits).map { prod -> RecommendationBody in
                    // Without exposure on record (none imported yet), the demand model's pooled estimate stands in.
                    let (rate, basis) =
                        demand.rate(productID: prod.id, deviceID: id)
                        ?? (snap.model.baseRate(productID: prod.id, deviceID: id), VenueDemand.Basis.fleet)
                    return RecommendationBody(
                        productID: prod.id,
                        name: prod.name,
                        category: prod.category,
                        expectedUnitsPerDay: Rounding.round3(rate),
                        expectedRevenuePerDay: Rounding.round2(rate * prod.price),
                        basis: basis.rawValue,
                        newToDevice: !demand.carried(productID: prod.id, deviceID: id)
                    )
                }.sorted { ($0.expectedRevenuePerDay, $1.productID) > ($1.expectedRevenuePerDay, $0.productID) }
                return (
                    200,
                    RecommendationsResponse(
                        deviceID: id,
                        venueType: device.venueType.rawValue,
                        recommendations: Array(ranked.prefix(limit))
                    )
                )
            }
        }
    }
}

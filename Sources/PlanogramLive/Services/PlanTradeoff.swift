import Forecasting
import Foundation
import HTTPAPI
import PlanogramDomain

/// The route manager's trade-off (docs/MODELS.md "The visit budget"): the planner at a range of prices of a visit
/// (a quarter of the set price to 32 times it), each plan's visits a day, and what it is expected to leave
/// behind — stockout-hours and units past their date (`PlanOutcome`). A budget's plan is the planner at one such
/// price (`VisitBudget`), so these points trace the curve the budget moves along; eight plans, not a budget
/// search per point. Drawn by the plan page.
enum PlanTradeoff {
    struct Point: Encodable {
        /// Visits a day on average over the plan.
        let visitsPerDay: Double
        let visits: Int
        let visitCost: Double
        let expectedStockoutHours: Double
        let expectedSpoiledUnits: Double

        enum CodingKeys: String, CodingKey {
            case visitsPerDay = "visits_per_day"
            case visits
            case visitCost = "visit_cost"
            case expectedStockoutHours = "expected_stockout_hours"
            case expectedSpoiledUnits = "expected_spoiled_units"
        }
    }

    struct Response: Encodable {
        let from: String
        let days: Int
        let devices: Int
        let atSetPrice: Point
        let points: [Point]

        enum CodingKeys: String, CodingKey {
            case from, days, devices
            case atSetPrice = "at_set_price"
            case points
        }
    }

    /// The prices tried, as multiples of the set price of a visit.
    static let priceMultiples = [0.25, 0.5, 1, 2, 4, 8, 16, 32]

    static func compute(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        principal p: Principal,
        now: Int64,
        fromDay: Int64,
        days: Int
    ) throws -> Response {
        let devices = try ServicePlanBuilder.devices(
            app: app,
            snap: snap,
            principal: p,
            deviceID: nil,
            now: now,
            days: days,
            stock: nil
        )
        let planner = ServicePlanBuilder.planner(app)
        let end = app.clock.midnight(fromDay + Int64(days))
        func point(_ visits: [PlannedVisit], cost: Double) -> Point {
            let o = PlanOutcome.expected(devices, visits: visits, now: now, until: end)
            return Point(
                visitsPerDay: (Double(visits.count) / Double(max(days, 1)) * 100).rounded() / 100,
                visits: visits.count,
                visitCost: (cost * 100).rounded() / 100,
                expectedStockoutHours: (o.stockoutHours * 10).rounded() / 10,
                expectedSpoiledUnits: (o.spoiledUnits * 10).rounded() / 10
            )
        }
        var points: [Point] = []
        var atSet: Point?
        for m in priceMultiples {
            var p = planner
            p.visitCost = max(0.01, planner.visitCost * m)
            let point = point(p.plan(devices, now: now, fromDay: fromDay, days: days), cost: p.visitCost)
            if m == 1 { atSet = point }
            points.append(point)
        }
        return Response(
            from: FleetClock.dateText(fromDay),
            days: days,
            devices: devices.count,
            atSetPrice: atSet!,
            points: points.sorted { $0.visits < $1.visits }
        )
    }
}

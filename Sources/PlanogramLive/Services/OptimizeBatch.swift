import Foundation
import Insights
import Jobs
import Logging
import PlanogramDomain
import Sessions
import Store

/// The optimizer over many cabinets (docs/MODELS.md `POST /api/planograms/optimize/batch`, and `planogram-live
/// optimize-fleet` for the benchmark): every cabinet of the chosen devices against its published planogram,
/// one result each (kept in the job's result as a proposal: the planogram, the predicted lift, the gap and
/// the changes), with progress per cabinet.
package enum OptimizeBatch {
    package struct CabinetResult: Codable, Sendable {
        package var deviceID: String
        package var cabinetIndex: Int
        package var venueType: String
        package var baselineRevenue: Double
        package var predictedRevenue: Double
        package var liftPercentage: Double
        /// The lift by the optimizer's model (extra facings share demand).
        package var modelLiftPercentage: Double
        package var gap: Double
        package var seconds: Double
        package var changes: Int
        package var error: String?
        package var planogram: [[String: String]]?

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case cabinetIndex = "cabinet_index"
            case venueType = "venue_type"
            case baselineRevenue = "baseline_revenue"
            case predictedRevenue = "predicted_revenue"
            case liftPercentage = "lift_percentage"
            case modelLiftPercentage = "model_lift_percentage"
            case gap
            case seconds
            case changes
            case error
            case planogram
        }
    }

    package struct Result: Codable, Sendable {
        package var cabinets: [CabinetResult]
        package var baselineRevenue: Double
        package var predictedRevenue: Double
        package var liftPercentage: Double
        enum CodingKeys: String, CodingKey {
            case cabinets
            case baselineRevenue = "baseline_revenue"
            case predictedRevenue = "predicted_revenue"
            case liftPercentage = "lift_percentage"
        }
    }

    static func run(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        venues: VenueDemand,
        deviceIDs: [String],
        timeLimit: Double,
        objective: String = "revenue",
        cancelled: () -> Bool,
        progress: (Double, String) -> Void
    ) throws -> Result {
        let cat = app.catalog.current
        let work = deviceIDs.flatMap { id in cat.cabinets(of: id).map { (id, $0) } }
        var out: [CabinetResult] = []
        for (n, (id, cabinet)) in work.enumerated() {
            if cancelled() { throw JobFailure(message: "cancelled") }
            progress(Double(n) / Double(max(work.count, 1)), "cabinet \(n + 1)/\(work.count): \(id) #\(cabinet.index)")
            guard let current = try app.published.current(CabinetKey(id, cabinet.index)) else { continue }
            var o = LayoutProposal.Options()
            o.objective = objective
            o.timeLimit = timeLimit
            let venue = cat.devices[id]?.venueType.rawValue ?? ""
            do {
                let r = try LayoutProposal.solve(
                    current: current,
                    cabinet: cabinet,
                    models: snap,
                    venues: venues,
                    options: o
                )
                out.append(
                    CabinetResult(
                        deviceID: id,
                        cabinetIndex: cabinet.index,
                        venueType: venue,
                        baselineRevenue: Rounding.round2(r.prediction.baselineRevenue),
                        predictedRevenue: Rounding.round2(r.prediction.predictedRevenue),
                        liftPercentage: Rounding.round2(r.prediction.liftPercentage),
                        modelLiftPercentage: Rounding.round2(r.modelLiftPercentage),
                        gap: (r.solution.gap * 1e6).rounded() / 1e6,
                        seconds: (r.solution.seconds * 100).rounded() / 100,
                        changes: r.changes.count,
                        error: nil,
                        planogram: r.proposal.sortedFacings.map {
                            ["slot": $0.0.description, "product_id": $0.1.productID]
                        }
                    )
                )
            } catch {
                out.append(
                    CabinetResult(
                        deviceID: id,
                        cabinetIndex: cabinet.index,
                        venueType: venue,
                        baselineRevenue: 0,
                        predictedRevenue: 0,
                        liftPercentage: 0,
                        modelLiftPercentage: 0,
                        gap: 0,
                        seconds: 0,
                        changes: 0,
                        error: error.message,
                        planogram: nil
                    )
                )
            }
        }
        let base = out.reduce(0) { $0 + $1.baselineRevenue }
        let pred = out.reduce(0) { $0 + $1.predictedRevenue }
        return Result(
            cabinets: out,
            baselineRevenue: Rounding.round2(base),
            predictedRevenue: Rounding.round2(pred),
            liftPercentage: base > 0 ? Rounding.round2((pred - base) / base * 100) : 0
        )
    }

    /// The whole fleet of a database, for the command line: models loaded (or fitted), every cabinet solved.
    package static func fleet(
        databasePath: String,
        timeLimit: Double,
        configuration: AppConfiguration = AppConfiguration(),
        logger: Logger = Logger(label: "planogram-live"),
        progress: (Double, String) -> Void
    ) throws -> Result {
        let (app, loaded) = try FleetPlanRun.offline(
            databasePath: databasePath,
            configuration: configuration,
            logger: logger
        )
        guard let snap = loaded.snapshot else { throw JobFailure(message: "no models") }
        let venues = VenueDemandCache().demand(snap)
        return try run(
            app: app,
            snap: snap,
            venues: venues,
            deviceIDs: app.catalog.current.devices.keys.sorted(),
            timeLimit: timeLimit,
            cancelled: { false },
            progress: progress
        )
    }
}

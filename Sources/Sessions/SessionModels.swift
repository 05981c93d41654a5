import Foundation
import Insights
import PlanogramDomain

/// The fitted models a live session scores and forecasts with: the demand model, the scorer, the revenue
/// forecaster and the products they were fitted on, and when. The app hands a session a function that
/// returns the newest (nil until the first fit), so a refit reaches every session without a restart.
package struct SessionModels: Sendable {
    package let model: DemandModel
    package let scorer: PlacementScorer
    package let forecaster: RevenueForecaster
    package let products: [String: Product]
    package let builtAt: Date

    package init(
        model: DemandModel,
        scorer: PlacementScorer,
        forecaster: RevenueForecaster,
        products: [String: Product],
        builtAt: Date
    ) {
        self.model = model
        self.scorer = scorer
        self.forecaster = forecaster
        self.products = products
        self.builtAt = builtAt
    }
}

/// The other nodes' live sessions, on a cluster's node (the app's `ClusterDirectory`): their summaries for
/// listings, without the ids this node holds.
package protocol RemoteSessions: Sendable {
    func remoteSessions(excluding local: Set<String>) -> [(device: String, summary: SessionSummary)]
}

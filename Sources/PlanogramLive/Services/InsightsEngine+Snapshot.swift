import HTTPAPI

extension InsightsEngine {
    /// The fitted models, or 503 `insights_unavailable` while they are first being fitted.
    func snapshotOrUnavailable() throws(APIError) -> Snapshot {
        guard let s = current else {
            throw APIError(
                503,
                "insights_unavailable",
                "the models are being fitted (first start); retry shortly",
                details: ["retry_after_seconds": 1]
            )
        }
        return s
    }
}

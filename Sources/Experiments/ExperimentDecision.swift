import Foundation

/// What an experiment's owner should do now (docs/MODELS.md), and why.
package enum ExperimentDecision: String, Codable, Sendable {
    case `continue` = "continue"
    case stopTreatmentWins = "stop_treatment_wins"
    case stopNoEffect = "stop_no_effect"
    case stopHarm = "stop_harm"

    /// The rule, written down (docs/ARCHITECTURE.md, "Experiments"):
    /// 1. Nothing is decided in the first 7 days (one of each weekday).
    /// 2. The daily-monitoring test crossed its boundary (`SequentialTest`: re-randomization with α spent
    ///    over a horizon of four times `minDays` looks, so looking every day keeps false positives at α):
    ///    the treatment wins if the effect is positive, harms if negative.
    /// 3. After `minDays`, when the whole interval lies within ±`marginPercentage` % of the control's mean:
    ///    no effect worth having.
    /// 4. After four times `minDays` without either: no effect shown; stop.
    /// Otherwise: continue. (The always-valid p-value is reported beside, for anyone who looks at other times.)
    /// For a metric where less is better (stockouts), a negative effect is the treatment winning.
    package static func decide(
        _ e: ExperimentEstimate,
        days: Int,
        minDays: Int,
        alpha: Double = 0.05,
        marginPercentage: Double = 2,
        lowerIsBetter: Bool = false
    ) -> (decision: ExperimentDecision, reason: String) {
        if days < 7 { return (.continue, "fewer than 7 days of data: no decision before a full week") }
        if let day = e.sequentialCrossedAt {
            return (e.effect > 0) != lowerIsBetter
                ? (
                    .stopTreatmentWins,
                    String(
                        format:
                            "the daily-monitoring test crossed its boundary on day %d, the effect for the better (%+.1f %%)",
                        day,
                        e.effectPercentage
                    )
                )
                : (
                    .stopHarm,
                    String(
                        format:
                            "the daily-monitoring test crossed its boundary on day %d, the effect for the worse (%+.1f %%)",
                        day,
                        e.effectPercentage
                    )
                )
        }
        let margin = abs(e.controlMean) * marginPercentage / 100
        if days >= minDays, e.confidenceInterval.count == 2, e.confidenceInterval[0] > -margin,
            e.confidenceInterval[1] < margin
        {
            return (
                .stopNoEffect,
                String(format: "the interval lies within ±%.0f %% of the control's mean", marginPercentage)
            )
        }
        if days >= 4 * minDays { return (.stopNoEffect, "no clear effect after four times the minimum duration") }
        return (.continue, days < minDays ? "before the minimum duration (\(minDays) days)" : "no clear effect yet")
    }
}

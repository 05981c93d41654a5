/// An experiment analysed as of its `days`-th day (docs/MODELS.md "Experiments"): a look each day from the 7th —
/// the CUPED-adjusted effect and its standard error, the always-valid p-value the smallest over the looks so far
/// with the mixture's scale fixed at the first of them — then the estimate of the last day with its interval, and
/// the daily-monitoring test over every look. The server's experiment pages and `planogram-lab
/// calibrate-experiments --estimate-devices` both call it, so the figure the lab times is the one the server
/// shows.
package struct ExperimentLooks: Sendable {
    /// A day's look before the last.
    package struct Look: Sendable, Equatable {
        /// The day of the experiment (1 is its first).
        package var day: Int
        package var effect: Double
        package var standardError: Double
        package var alwaysValidPValue: Double
    }

    /// The last day's estimate (nil before the first day).
    package var estimate: ExperimentEstimate?
    /// The looks from the 7th day to the day before the last.
    package var looks: [Look] = []

    /// `post[i]`: device `ids[i]`'s metric on each day since the start (a missing day is 0); `pre[i]` its mean
    /// before the start; `strata` the matched pairs or blocks as indices into `ids`; `minDays` the experiment's
    /// shortest run (the daily-monitoring test's horizon is four times it).
    package static func analyse(
        ids: [String],
        post: [[Double]],
        pre: [Double],
        treated: [Bool],
        strata: [[Int]],
        seed: UInt64,
        days: Int,
        minDays: Int
    ) -> ExperimentLooks {
        var out = ExperimentLooks()
        guard days >= 1 else { return out }
        func outcomes(_ look: Int) -> [DeviceOutcome] {
            ids.indices.map { i in
                DeviceOutcome(
                    id: ids[i],
                    treated: treated[i],
                    pre: pre[i],
                    post: post[i].prefix(look).reduce(0, +) / Double(max(look, 1))
                )
            }
        }
        var alwaysValid = 1.0
        var tau: Double?
        var adjustedByLook: [[Double]] = []
        for look in 1...days {
            let q = ExperimentAnalysis.look(outcomes(look))
            adjustedByLook.append(q.adjusted)
            if look == min(7, days) { tau = ExperimentAnalysis.mixingScale * q.standardError }
            if look < days, let tau, look >= 7 {
                alwaysValid = min(
                    alwaysValid,
                    ExperimentAnalysis.mSPRTPValue(effect: q.effect, standardError: q.standardError, mixingSD: tau)
                )
                out.looks.append(
                    Look(day: look, effect: q.effect, standardError: q.standardError, alwaysValidPValue: alwaysValid)
                )
            }
        }
        var full = ExperimentAnalysis.estimate(
            outcomes(days),
            strata: strata,
            seed: seed,
            mixingSD: tau,
            previousAlwaysValid: alwaysValid
        )
        if days >= 7 {
            let sequential = SequentialTest.run(
                adjusted: adjustedByLook,
                treated: treated,
                strata: strata,
                draws: ExperimentAnalysis.draws(strata: strata.count, seed: seed),
                firstLook: 7,
                horizon: 4 * minDays
            )
            full.sequentialCrossedAt = sequential.crossedAt
            full.sequentialBoundary = sequential.boundary.isFinite ? sequential.boundary : nil
        }
        out.estimate = full
        return out
    }
}

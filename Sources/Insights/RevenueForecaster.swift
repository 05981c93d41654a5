import Foundation
import PlanogramDomain

/// What one slot is expected to do under a planogram.
package struct SlotForecast: Sendable {
    package let slot: SlotCode
    package let productID: String
    /// In-stock demand, units/day (weekday average).
    package let demandPerDay: Double
    package let affinityAdjustment: Double
    package let availability: Double
    package let unitsPerDay: Double
    package let revenuePerDay: Double
}

/// One length of interval between a device's visits and the share of the device's days that fell in
/// intervals of that length (the shares of a device sum to 1).
package struct IntervalShare: Codable, Sendable, Equatable {
    package var days: Double
    package var weight: Double
    package init(days: Double, weight: Double) {
        self.days = days
        self.weight = weight
    }

    /// The shares of a list of interval lengths (days; lengths below one day are left out).
    package static func of(_ intervals: [Double]) -> [IntervalShare] {
        let kept = intervals.filter { $0 >= 1 }
        let total = kept.reduce(0, +)
        guard total > 0 else { return [] }
        let byLength = Dictionary(grouping: kept, by: { $0 })
        return byLength.keys.sorted().map { IntervalShare(days: $0, weight: byLength[$0]!.reduce(0, +) / total) }
    }
}

/// Baseline vs. proposed revenue of a cabinet (docs/MODELS.md).
package struct RevenuePrediction: Sendable {
    package let forecastDays: Int
    package let baselineRevenue: Double
    package let predictedRevenue: Double
    package let liftPercentage: Double
    package let confidenceInterval: (lower: Double, upper: Double)
    /// Days until the change cost is earned back; nil when the change does not pay (lift ≤ 0).
    package let breakEvenDays: Double?
    package let touchedSlots: [SlotCode]
    package let perSlot: [(baseline: SlotForecast?, proposed: SlotForecast?)]
    package let modelVersion: String
}

/// units/day of a slot = demand(product, device, position) × affinity adjustment × availability
/// (capacity vs. demand between restocks); revenue = units × price. Pure; cheap (one pass over slots).
package struct RevenueForecaster: Sendable {
    package let model: DemandModel
    package let affinity: AffinityTable?
    /// Revenue lift per unit of neighbour lift above 1, capped at 3 (so at most +6 % with 0.02).
    package var adjacencyCoefficient = 0.02
    /// The count side of demand when known (docs/MODELS.md's count model): the negative binomial size of a
    /// slot's demand between visits (infinite: Poisson).
    package var countSize = Double.infinity
    /// Each device's trend (log units per day), applied from `trendOrigin` on and bounded to ×0.7…×1.4,
    /// as the count model's demand paths apply it. Empty: no trend.
    package var trendPerDay: [String: Double] = [:]
    package var trendOrigin: Int32 = 0
    /// The real intervals between a device's visits: a slot's availability is the share of its demand
    /// served over each of them, E[min(X, C)] summed over the intervals / E[X] summed. Absent for a
    /// device: its mean interval.
    package var visitIntervals: [String: [IntervalShare]] = [:]
    /// The level of units and revenue, and the relative SD of a device-week around the forecast, when
    /// fitted for this forecaster (`levelled()`); nil: the demand model's.
    package var level: Double?
    package var weeklySD: Double?

    /// What `predict/revenue` reports as `model_version` (and `ai_predictions` stores): the demand model's
    /// version, with the version of the terms on top of it when a forecaster adds them.
    package var version = DemandModel.version

    var effectiveLevel: Double { level ?? model.revenueLevel }
    var effectiveWeeklySD: Double { weeklySD ?? model.weeklyRelativeSD }

    package init(model: DemandModel, affinity: AffinityTable? = nil) {
        self.model = model
        self.affinity = affinity
    }

    package func slots(_ plan: Planogram, cabinet: Cabinet) -> [SlotForecast] {
        let h = model.history
        let widths: (String) -> Int = { h.product($0)?.widthColumns ?? 1 }
        return plan.sortedFacings.compactMap { slot, f in
            guard let product = h.product(f.productID) else { return nil }
            let demand = model.rate(productID: f.productID, deviceID: plan.deviceID, cabinet: cabinet, slot: slot)
            var adj = 1.0
            if let affinity {
                let best =
                    plan.neighbours(of: slot, in: cabinet, widths: widths).map { affinity.lift(f.productID, $0) }.max()
                    ?? 1
                adj = 1 + adjacencyCoefficient * min(max(best - 1, 0), 3)
            }
            let avail = slotAvailability(deviceID: plan.deviceID, lambdaPerDay: demand * adj, capacity: f.capacity)
            let units = demand * adj * avail * effectiveLevel
            return SlotForecast(
                slot: slot,
                productID: f.productID,
                demandPerDay: demand,
                affinityAdjustment: adj,
                availability: avail,
                unitsPerDay: units,
                revenuePerDay: units * product.price
            )
        }
    }

    /// The share of a slot's demand it serves when filled to `capacity` at each visit of the device:
    /// over the device's real intervals when known, else at its mean interval; negative binomial of
    /// `countSize` (Poisson when infinite).
    package func slotAvailability(deviceID: String, lambdaPerDay: Double, capacity: Int) -> Double {
        guard let shares = visitIntervals[deviceID], !shares.isEmpty else {
            return availability(
                lambdaPerDay: lambdaPerDay,
                capacity: capacity,
                intervalDays: model.serviceInterval(deviceID),
                size: countSize
            )
        }
        return shares.reduce(0.0) {
            $0 + $1.weight
                * availability(lambdaPerDay: lambdaPerDay, capacity: capacity, intervalDays: $1.days, size: countSize)
        }
    }

    /// Revenue per (average) day of a cabinet under a planogram.
    package func dailyRevenue(_ plan: Planogram, cabinet: Cabinet) -> Double {
        slots(plan, cabinet: cabinet).reduce(0) { $0 + $1.revenuePerDay }
    }

    /// Predicted revenue of a device over `days`, each cabinet under the planogram in effect at the
    /// start (or the override given for its index), scaled by the device's weekday factors.
    package func deviceRevenue(deviceID: String, days: Range<Int32>, overrides: [Int: Planogram]) -> Double {
        let h = model.history
        var perDay = 0.0
        for (key, cab) in h.cabinets where key.deviceID == deviceID {
            let plan: Planogram?
            if let o = overrides[key.index] { plan = o } else { plan = h.planogram(key, onDay: days.lowerBound) }
            if let plan { perDay += dailyRevenue(plan, cabinet: cab) }
        }
        return days.reduce(0.0) { $0 + perDay * model.weekdayFactor(deviceID, $1) * trendFactor(deviceID, $1) }
    }

    /// The trend's multiplier on `day` (1 before `trendOrigin` and without a trend).
    package func trendFactor(_ deviceID: String, _ day: Int32) -> Double {
        guard let beta = trendPerDay[deviceID], beta != 0 else { return 1 }
        return min(1.4, max(0.7, exp(beta * Double(max(0, day - trendOrigin)))))
    }

    /// Weekly device revenue against this forecaster in the last eight weeks before the model's fit end:
    /// the mean log ratio of actual to predicted (0 when too few weeks) and the relative SD around it,
    /// widened for model error. Measured at level 1.
    package func inSampleWeeklyErrors() -> (meanLogRatio: Double, sd: Double) {
        var plain = self
        plain.level = 1
        let history = model.history
        let end = model.fittedBefore
        var errors: [Double] = []
        // Devices in id order, so that the sums come out the same to the last bit in every process.
        for d in history.devices.keys.sorted() {
            var start = end - 56
            while start + 7 <= end {
                let pred = plain.deviceRevenue(deviceID: d, days: start..<(start + 7), overrides: [:])
                let act = (start..<(start + 7)).reduce(0.0) { $0 + (history.deviceDayRevenue[d]?[$1] ?? 0) }
                if act > 0 && pred > 0 { errors.append(log(act / pred)) }
                start += 7
            }
        }
        guard errors.count >= 4 else { return (0, 0.12) }
        let mean = errors.reduce(0, +) / Double(errors.count)
        let v = errors.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(errors.count - 1)
        return (mean, (v + 0.03 * 0.03).squareRoot())
    }

    /// This forecaster with its own level and weekly SD fitted in the fit window (the level bounded to
    /// 0.9…1.1, as the demand model's).
    package func levelled() -> RevenueForecaster {
        let fit = inSampleWeeklyErrors()
        var f = self
        f.level = min(1.1, max(0.9, exp(fit.meanLogRatio)))
        f.weeklySD = fit.sd
        return f
    }

    /// Baseline vs. proposed over `forecastDays`, with an interval from the model's weekly residuals
    /// and break-even days for `changeCostPerSlot` per touched slot.
    package func predict(
        cabinet: Cabinet,
        current: Planogram,
        proposed: Planogram,
        forecastDays: Int,
        changeCostPerSlot: Double
    ) -> RevenuePrediction {
        let base = slots(current, cabinet: cabinet)
        let prop = slots(proposed, cabinet: cabinet)
        let baseDaily = base.reduce(0) { $0 + $1.revenuePerDay }
        let propDaily = prop.reduce(0) { $0 + $1.revenuePerDay }
        let days = Double(max(forecastDays, 1))
        let baseline = baseDaily * days
        let predicted = propDaily * days
        let lift = baseline > 0 ? (predicted - baseline) / baseline * 100 : 0
        // Weekly relative SD scales as 1/sqrt(weeks) for the noise part; keep a floor for model error.
        let weeks = max(days / 7, 1)
        let sd = (pow(effectiveWeeklySD, 2) / weeks + 0.03 * 0.03).squareRoot()
        let interval = (predicted * exp(-1.96 * sd), predicted * exp(1.96 * sd))
        let touched = Set(current.facings.keys).union(proposed.facings.keys).filter {
            current.facings[$0] != proposed.facings[$0]
        }.sorted()
        let dailyLift = propDaily - baseDaily
        let cost = Double(touched.count) * changeCostPerSlot
        let breakEven: Double? = touched.isEmpty ? 0 : (dailyLift > 1e-9 ? cost / dailyLift : nil)
        let baseBySlot = Dictionary(uniqueKeysWithValues: base.map { ($0.slot, $0) })
        let propBySlot = Dictionary(uniqueKeysWithValues: prop.map { ($0.slot, $0) })
        let allSlots = Set(baseBySlot.keys).union(propBySlot.keys).sorted()
        return RevenuePrediction(
            forecastDays: forecastDays,
            baselineRevenue: baseline,
            predictedRevenue: predicted,
            liftPercentage: lift,
            confidenceInterval: interval,
            breakEvenDays: breakEven,
            touchedSlots: touched,
            perSlot: allSlots.map { (baseBySlot[$0], propBySlot[$0]) },
            modelVersion: version
        )
    }
}

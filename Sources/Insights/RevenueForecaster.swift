import Foundation
import PlanogramDomain

/// What one slot is expected to do under a planogram.
public struct SlotForecast: Sendable {
    public let slot: SlotCode
    public let productID: String
    /// In-stock demand, units/day (weekday average).
    public let demandPerDay: Double
    public let affinityAdjustment: Double
    public let availability: Double
    public let unitsPerDay: Double
    public let revenuePerDay: Double
}

/// Baseline vs. proposed revenue of a cabinet (SPEC §4).
public struct RevenuePrediction: Sendable {
    public let forecastDays: Int
    public let baselineRevenue: Double
    public let predictedRevenue: Double
    public let liftPercentage: Double
    public let confidenceInterval: (lower: Double, upper: Double)
    /// Days until the change cost is earned back; nil when the change does not pay (lift ≤ 0).
    public let breakEvenDays: Double?
    public let touchedSlots: [SlotCode]
    public let perSlot: [(baseline: SlotForecast?, proposed: SlotForecast?)]
    public let modelVersion: String
}

/// units/day of a slot = demand(product, device, position) × affinity adjustment × availability
/// (capacity vs. demand between restocks); revenue = units × price. Pure; cheap (one pass over slots).
public struct RevenueForecaster: Sendable {
    public let model: DemandModel
    public let affinity: AffinityTable?
    /// Revenue lift per unit of neighbour lift above 1, capped at 3 (so at most +6 % with 0.02).
    public var adjacencyCoefficient = 0.02
    /// The count side of demand when known (SPEC §11's count model): the negative binomial size of a
    /// slot's demand between visits (infinite: Poisson) and a multiplier of the demand model's rates.
    public var countSize = Double.infinity
    public var meanScale = 1.0

    public init(model: DemandModel, affinity: AffinityTable? = nil) {
        self.model = model
        self.affinity = affinity
    }

    public func slots(_ plan: Planogram, cabinet: Cabinet) -> [SlotForecast] {
        let h = model.history
        let widths: (String) -> Int = { h.product($0)?.widthColumns ?? 1 }
        let interval = model.serviceInterval(plan.deviceID)
        return plan.sortedFacings.compactMap { slot, f in
            guard let product = h.product(f.productID) else { return nil }
            let demand = model.rate(productID: f.productID, deviceID: plan.deviceID, cabinet: cabinet, slot: slot) * meanScale
            var adj = 1.0
            if let affinity {
                let best = plan.neighbours(of: slot, in: cabinet, widths: widths).map { affinity.lift(f.productID, $0) }.max() ?? 1
                adj = 1 + adjacencyCoefficient * min(max(best - 1, 0), 3)
            }
            let avail = availability(lambdaPerDay: demand * adj, capacity: f.capacity, intervalDays: interval, size: countSize)
            let units = demand * adj * avail * model.revenueLevel
            return SlotForecast(slot: slot, productID: f.productID, demandPerDay: demand, affinityAdjustment: adj,
                                availability: avail, unitsPerDay: units, revenuePerDay: units * product.price)
        }
    }

    /// Revenue per (average) day of a cabinet under a planogram.
    public func dailyRevenue(_ plan: Planogram, cabinet: Cabinet) -> Double {
        slots(plan, cabinet: cabinet).reduce(0) { $0 + $1.revenuePerDay }
    }

    /// Predicted revenue of a device over `days`, each cabinet under the planogram in effect at the
    /// start (or the override given for its index), scaled by the device's weekday factors.
    public func deviceRevenue(deviceID: String, days: Range<Int32>, overrides: [Int: Planogram]) -> Double {
        let h = model.history
        var perDay = 0.0
        for (key, cab) in h.cabinets where key.deviceID == deviceID {
            let plan: Planogram?
            if let o = overrides[key.index] { plan = o } else {
                let noon = Int64(days.lowerBound) * 86400 + 12 * 3600
                plan = h.planograms[key]?.last { $0.effectiveFrom <= noon }
            }
            if let plan { perDay += dailyRevenue(plan, cabinet: cab) }
        }
        return days.reduce(0.0) { $0 + perDay * model.weekdayFactor(deviceID, $1) }
    }

    /// Baseline vs. proposed over `forecastDays`, with an interval from the model's weekly residuals
    /// and break-even days for `changeCostPerSlot` per touched slot.
    public func predict(cabinet: Cabinet, current: Planogram, proposed: Planogram, forecastDays: Int,
                        changeCostPerSlot: Double) -> RevenuePrediction {
        let base = slots(current, cabinet: cabinet), prop = slots(proposed, cabinet: cabinet)
        let baseDaily = base.reduce(0) { $0 + $1.revenuePerDay }, propDaily = prop.reduce(0) { $0 + $1.revenuePerDay }
        let days = Double(max(forecastDays, 1))
        let baseline = baseDaily * days, predicted = propDaily * days
        let lift = baseline > 0 ? (predicted - baseline) / baseline * 100 : 0
        // Weekly relative SD scales as 1/sqrt(weeks) for the noise part; keep a floor for model error.
        let weeks = max(days / 7, 1)
        let sd = (pow(model.weeklyRelativeSD, 2) / weeks + 0.03 * 0.03).squareRoot()
        let interval = (predicted * exp(-1.96 * sd), predicted * exp(1.96 * sd))
        let touched = Set(current.facings.keys).union(proposed.facings.keys).filter { current.facings[$0] != proposed.facings[$0] }.sorted()
        let dailyLift = propDaily - baseDaily
        let cost = Double(touched.count) * changeCostPerSlot
        let breakEven: Double? = touched.isEmpty ? 0 : (dailyLift > 1e-9 ? cost / dailyLift : nil)
        let baseBySlot = Dictionary(uniqueKeysWithValues: base.map { ($0.slot, $0) })
        let propBySlot = Dictionary(uniqueKeysWithValues: prop.map { ($0.slot, $0) })
        let allSlots = Set(baseBySlot.keys).union(propBySlot.keys).sorted()
        return RevenuePrediction(forecastDays: forecastDays, baselineRevenue: baseline, predictedRevenue: predicted,
                                 liftPercentage: lift, confidenceInterval: interval, breakEvenDays: breakEven, touchedSlots: touched,
                                 perSlot: allSlots.map { (baseBySlot[$0], propBySlot[$0]) }, modelVersion: DemandModel.version)
    }
}

import Foundation
import Insights
import PlanogramDomain

/// The count side of demand (docs/MODELS.md), on top of the placement demand model (product, position, device and
/// weekday terms): a per-device trend, fitted as the slope of log daily units over the last twelve weeks
/// and shrunk toward none, and the negative binomial size of a slot's daily counts, fitted by the method
/// of moments on fully stocked slot-days (days a slot sold out are censored: they say only that demand
/// was at least what sold, so they are left out). Pure and deterministic; stored with the models.
package struct DemandCounts: Sendable, Codable, Equatable {
    package static let version = "nb-trend-3"

    /// Log units per day, per device.
    package var trendPerDay: [String: Double]
    /// The negative binomial size; 0 stands for Poisson (no overdispersion found).
    package var size: Double
    /// A multiplier of the demand model's rates, chosen with the size so that the predicted chance of a
    /// slot selling out between two visits matches how often it did in the fit window (1 when there were
    /// too few intervals to say).
    package var meanScale: Double = 1
    /// The last day (exclusive) of the data it was fitted on.
    package var fittedBefore: Int32
    /// A logistic recalibration of sell-out probabilities, p′ = σ(a + b · logit p), fitted on the same
    /// intervals as the size and the multiplier ([0, 1]: none). The size and a single multiplier cannot
    /// bend the whole curve: with the rates' own estimation error the raw probabilities come out too
    /// flat (too high in the middle, too low at the top), and this straightens them.
    package var sellOutCalibration: [Double] = [0, 1]

    package init(trendPerDay: [String: Double], size: Double, fittedBefore: Int32, meanScale: Double = 1) {
        self.trendPerDay = trendPerDay
        self.size = size
        self.fittedBefore = fittedBefore
        self.meanScale = meanScale
    }

    package var distributionSize: Double { size > 0 ? size : .infinity }

    enum CodingKeys: String, CodingKey { case trendPerDay, size, meanScale, fittedBefore, sellOutCalibration }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trendPerDay = try c.decode([String: Double].self, forKey: .trendPerDay)
        size = try c.decode(Double.self, forKey: .size)
        meanScale = try c.decodeIfPresent(Double.self, forKey: .meanScale) ?? 1
        fittedBefore = try c.decode(Int32.self, forKey: .fittedBefore)
        let cal = try c.decodeIfPresent([Double].self, forKey: .sellOutCalibration) ?? [0, 1]
        sellOutCalibration = cal.count == 2 && cal.allSatisfy(\.isFinite) ? cal : [0, 1]
    }

    /// The probability that a slot facing `demand` sells at least `units` (runs empty), recalibrated.
    package func sellOutProbability(_ demand: CountDistribution, units: Int) -> Double {
        guard units > 0 else { return 1 }
        return recalibrated(demand.atLeast(units))
    }

    func recalibrated(_ p: Double) -> Double {
        let q = min(1 - 1e-9, max(1e-9, p))
        let z = sellOutCalibration[0] + sellOutCalibration[1] * log(q / (1 - q))
        return 1 / (1 + exp(-z))
    }

    /// Fits on the history the model was fitted on.
    package static func fit(model: DemandModel) -> DemandCounts {
        let h = model.history
        let end = model.fittedBefore
        // Trend: least squares of log(units + 0.5) on the day over the last 84 days, shrunk by n/(n + 120),
        // bounded to ±1 % a day.
        var trend: [String: Double] = [:]
        for (device, days) in h.deviceDayUnits {
            // In day order: the sums below then come out the same to the last bit in every process (a
            // dictionary's order changes with the process's hash seed).
            let points = days.filter { $0.key >= end - 84 && $0.key < end }.sorted { $0.key < $1.key }.map {
                (Double($0.key), log($0.value + 0.5))
            }
            guard points.count >= 21 else { continue }
            let n = Double(points.count)
            let mx = points.reduce(0) { $0 + $1.0 } / n
            let my = points.reduce(0) { $0 + $1.1 } / n
            let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
            guard sxx > 0 else { continue }
            let slope = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
            trend[device] = max(-0.01, min(0.01, slope * n / (n + 120)))
        }
        // Dispersion: Σ μ² / Σ ((y − μ)² − μ) over fully stocked slot-days of the last 90 days.
        var num = 0.0
        var den = 0.0
        for s in h.series {
            guard let cabinet = h.cabinets[s.cabinet] else { continue }
            for d in s.days where d.day >= end - 90 && d.day < end && d.product >= 0 && d.inStock >= 0.999 {
                let product = h.products[Int(d.product)]
                let mu =
                    model.rate(productID: product.id, deviceID: s.cabinet.deviceID, cabinet: cabinet, slot: s.slot)
                    * model.weekdayFactor(s.cabinet.deviceID, d.day)
                guard mu > 0.05 else { continue }
                let y = Double(d.units)
                num += mu * mu
                den += (y - mu) * (y - mu) - mu
            }
        }
        let moments = den > 0 && num > 0 ? min(1_000, max(0.5, num / den)) : 0
        var fitted = DemandCounts(trendPerDay: trend, size: moments, fittedBefore: end)
        fitted.calibrate(model: model)
        return fitted
    }

    /// Chooses the size and the mean multiplier by the likelihood of the sell-outs observed between
    /// visits in the last 56 days of the fit window (a slot filled to capacity at a visit sold out when it
    /// sold all of it), on a small grid around the moment estimate.
    mutating func calibrate(model: DemandModel) {
        let h = model.history
        let end = fittedBefore
        var cases: [(mean: Double, capacity: Int, soldOut: Bool)] = []
        VisitIntervals.forEach(h, before: end, starts: { day, _ in day >= end - 56 }) { iv in
            let deviceID = iv.series.cabinet.deviceID
            let rate = model.rate(
                productID: h.products[Int(iv.productIndex)].id,
                deviceID: deviceID,
                cabinet: iv.cabinet,
                slot: iv.series.slot
            )
            let mean = (iv.startDay..<iv.endDay).reduce(0.0) { $0 + rate * model.weekdayFactor(deviceID, $1) }
            cases.append((mean, iv.capacity, iv.soldOut))
        }
        guard cases.count >= 200 else { return }
        var best = (score: -Double.infinity, size: size, scale: 1.0)
        for scale in stride(from: 0.8, through: 1.5, by: 0.05) {
            for k in [0.0, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128] {
                var ll = 0.0
                for c in cases {
                    let p = min(
                        1 - 1e-6,
                        max(
                            1e-6,
                            CountDistribution(mean: c.mean * scale, size: k > 0 ? k : .infinity).atLeast(c.capacity)
                        )
                    )
                    ll += c.soldOut ? log(p) : log(1 - p)
                }
                if ll > best.score { best = (ll, k, scale) }
            }
        }
        size = best.size
        meanScale = best.scale
        // Logistic recalibration on the same cases (Newton's method on the two coefficients).
        let points = cases.map { c -> (x: Double, y: Double) in
            let p = min(
                1 - 1e-6,
                max(1e-6, CountDistribution(mean: c.mean * best.scale, size: distributionSize).atLeast(c.capacity))
            )
            return (log(p / (1 - p)), c.soldOut ? 1 : 0)
        }
        var a = 0.0
        var b = 1.0
        for _ in 0..<25 {
            var g0 = 0.0
            var g1 = 0.0
            var h00 = 0.0
            var h01 = 0.0
            var h11 = 0.0
            for pt in points {
                let p = 1 / (1 + exp(-(a + b * pt.x)))
                let w = p * (1 - p)
                g0 += pt.y - p
                g1 += (pt.y - p) * pt.x
                h00 += w
                h01 += w * pt.x
                h11 += w * pt.x * pt.x
            }
            let det = h00 * h11 - h01 * h01
            guard det > 1e-12 else { break }
            let da = (h11 * g0 - h01 * g1) / det
            let db = (h00 * g1 - h01 * g0) / det
            a += da
            b += db
            if abs(da) + abs(db) < 1e-9 { break }
        }
        // Only a moderate correction is trusted; anything wilder keeps the raw probabilities.
        if a.isFinite, b.isFinite, (0.5...2).contains(b), abs(a) <= 2 { sellOutCalibration = [a, b] }
    }

    /// The demand path of a slot holding `productID`, day by day from `fromDay` for `days` days; days are
    /// local dates of `clock`, the clock the model's history was built on.
    package func path(
        model: DemandModel,
        deviceID: String,
        cabinet: Cabinet,
        slot: SlotCode,
        productID: String,
        fromDay: Int64,
        days: Int,
        clock: FleetClock = .utc
    ) -> DemandPath {
        let base = model.rate(productID: productID, deviceID: deviceID, cabinet: cabinet, slot: slot) * meanScale
        let beta = trendPerDay[deviceID] ?? 0
        let rates = (0..<max(1, days)).map { i -> Double in
            let day = fromDay + Int64(i)
            let ahead = Double(day - Int64(fittedBefore))
            return base * model.weekdayFactor(deviceID, Int32(clamping: day))
                * min(1.4, max(0.7, exp(beta * max(0, ahead))))
        }
        return DemandPath(firstDay: fromDay, ratePerDay: rates, size: distributionSize, clock: clock)
    }
}

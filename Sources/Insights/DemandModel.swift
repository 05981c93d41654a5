import Foundation
import PlanogramDomain

/// The demand model: expected units per in-stock day of product p in slot s of device d is
///
///     rate = C[d, category(p)] · G[p] · I[d, p] · P[layout(s), position(s)]
///
/// a log-linear model with a product term G, a device×category term C (venue effects), a shrunk
/// device×product interaction I, and a position term P per cabinet layout — fitted by Poisson maximum
/// likelihood (iterative proportional fitting) on in-stock exposure, so stockout time is excluded.
/// P is shrunk toward a prior shape (eye-level rows and central columns high) where data is thin and
/// normalised so the best slot of a layout is 1. Weekday factors per device scale days. Immutable.
package struct DemandModel: Sendable {
    package static let version = "loglinear-ipf-1"

    /// Positions per layout ("6x8"), row-major, best slot = 1.
    package let position: [String: [Double]]
    /// Slot-days of exposure behind each position estimate.
    package let positionObservations: [String: [Double]]
    let productEffect: [Double]
    let categoryEffect: [String: [String: Double]]
    let interaction: [String: [Int32: Double]]
    /// Multiplier per weekday (Monday first) per device; mean 1.
    package let weekday: [String: [Double]]
    /// Relative standard deviation of weekly device revenue around the model (for intervals).
    package let weeklyRelativeSD: Double
    /// The level of the revenue forecast, fitted on the last eight weeks of the fit window: exp of the
    /// mean log ratio of each device-week's revenue to its forecast (1 = none; bounded to 0.9…1.1). The
    /// rates are fitted on in-stock exposure and the availability of each slot is a model of its own, so
    /// their product is not exactly level with what sold; on every generated fleet it came out 1–3 % low,
    /// in the fit window and after it alike. Multiplies units and revenue, so lifts are unchanged.
    package var revenueLevel: Double = 1
    package let history: SalesHistory
    /// Last day (exclusive) of the data the model was fitted on.
    package let fittedBefore: Int32

    package static func layoutKey(_ c: Cabinet) -> String { "\(c.rows)x\(c.columns)" }

    /// Prior position shape: eye level about a third of the way down, centre columns.
    package static func priorShape(row: Int, column: Int, rows: Int, columns: Int) -> Double {
        let y = rows > 1 ? Double(row) / Double(rows - 1) : 0.3
        let x = columns > 1 ? Double(column) / Double(columns - 1) : 0.5
        return exp(-1.2 * (y - 0.3) * (y - 0.3) - 0.4 * (x - 0.5) * (x - 0.5))
    }

    /// Units per in-stock day (weekday average) of `productID` at `slot` of `cabinet`.
    package func rate(productID: String, deviceID: String, cabinet: Cabinet, slot: SlotCode) -> Double {
        baseRate(productID: productID, deviceID: deviceID) * positionMultiplier(cabinet, slot)
    }

    /// Units per in-stock day at the best position of a layout (the velocity of the product there).
    package func baseRate(productID: String, deviceID: String) -> Double {
        guard let pi = history.productIndex[productID] else { return 0 }
        let product = history.products[Int(pi)]
        let c = categoryEffect[deviceID]?[product.category] ?? 1
        let i = interaction[deviceID]?[pi] ?? 1
        return c * productEffect[Int(pi)] * i
    }

    package func positionMultiplier(_ cabinet: Cabinet, _ slot: SlotCode) -> Double {
        let key = Self.layoutKey(cabinet)
        let idx = slot.row * cabinet.columns + slot.column
        if let p = position[key], idx < p.count { return p[idx] }
        return Self.priorShape(row: slot.row, column: slot.column, rows: cabinet.rows, columns: cabinet.columns)
    }

    /// Fits on the days before `before` (all history when nil).
    package static func fit(_ h: SalesHistory, before: Int32? = nil, iterations: Int = 30) -> DemandModel {
        let cutoff = before ?? (h.lastDay + 1)
        // Weekday factors per device.
        var weekday: [String: [Double]] = [:]
        for (d, days) in h.deviceDayUnits {
            var sum = [Double](repeating: 0, count: 7)
            var n = [Double](repeating: 0, count: 7)
            var total = 0.0
            var count = 0.0
            for (day, u) in days where day < cutoff {
                sum[weekdayOf(day)] += u
                n[weekdayOf(day)] += 1
                total += u
                count += 1
            }
            let mean = count > 0 ? total / count : 1
            weekday[d] = (0..<7).map { k in
                let ratio = n[k] > 0 && mean > 0 ? sum[k] / n[k] / mean : 1
                return (ratio * n[k] + 1 * 2) / (n[k] + 2)
            }
        }
        // Cells: (series, product) → units, weekday-weighted in-stock exposure.
        struct Cell {
            var device: String
            var category: String
            var product: Int32
            var layout: String
            var pos: Int
            var u = 0.0
            var e = 0.0
        }
        var cellIndex: [Int: Int] = [:]  // series*4096 + product
        var cells: [Cell] = []
        for (si, s) in h.series.enumerated() {
            guard let cab = h.cabinets[s.cabinet] else { continue }
            let w = weekday[s.cabinet.deviceID] ?? [1, 1, 1, 1, 1, 1, 1]
            for d in s.days where d.day < cutoff && d.product >= 0 {
                let key = si * 4096 + Int(d.product)
                let ci: Int
                if let x = cellIndex[key] {
                    ci = x
                } else {
                    ci = cells.count
                    cellIndex[key] = ci
                    cells.append(
                        Cell(
                            device: s.cabinet.deviceID,
                            category: h.products[Int(d.product)].category,
                            product: d.product,
                            layout: layoutKey(cab),
                            pos: s.slot.row * cab.columns + s.slot.column
                        )
                    )
                }
                cells[ci].u += Double(d.units)
                cells[ci].e += Double(d.inStock) * w[weekdayOf(d.day)]
            }
        }
        // Layout shapes and priors.
        var layoutDims: [String: (Int, Int)] = [:]
        for c in h.cabinets.values { layoutDims[layoutKey(c)] = (c.rows, c.columns) }
        var P: [String: [Double]] = [:]
        var prior: [String: [Double]] = [:]
        for (k, (r, c)) in layoutDims {
            prior[k] = (0..<(r * c)).map { priorShape(row: $0 / c, column: $0 % c, rows: r, columns: c) }
            P[k] = prior[k]
        }
        var G = [Double](repeating: 1, count: h.products.count)
        var C: [String: [String: Double]] = [:]
        for cell in cells { C[cell.device, default: [:]][cell.category] = 1 }
        let kP = 30.0
        let kC = 5.0
        var obs: [String: [Double]] = P.mapValues { [Double](repeating: 0, count: $0.count) }
        for _ in 0..<iterations {
            // Product effects.
            var num = [Double](repeating: 0, count: G.count)
            var den = [Double](repeating: 0, count: G.count)
            for c in cells {
                num[Int(c.product)] += c.u
                den[Int(c.product)] += c.e * C[c.device]![c.category]! * P[c.layout]![c.pos]
            }
            let globalRate = num.reduce(0, +) / max(den.reduce(0, +), 1e-9)
            for i in G.indices { G[i] = (num[i] + 0.5 * globalRate) / (den[i] + 0.5) }
            // Device × category effects, shrunk toward 1.
            var cn: [String: [String: Double]] = [:]
            var cd: [String: [String: Double]] = [:]
            for c in cells {
                cn[c.device, default: [:]][c.category, default: 0] += c.u
                cd[c.device, default: [:]][c.category, default: 0] += c.e * G[Int(c.product)] * P[c.layout]![c.pos]
            }
            for (d, m) in cn { for (cat, u) in m { C[d]![cat] = (u + kC) / (cd[d]![cat]! + kC) } }
            // Positions, shrunk toward the prior shape at the layout's mean level.
            var pn: [String: [Double]] = P.mapValues { [Double](repeating: 0, count: $0.count) }
            var pd = pn
            for c in cells {
                pn[c.layout]![c.pos] += c.u
                pd[c.layout]![c.pos] += c.e * C[c.device]![c.category]! * G[Int(c.product)]
            }
            for (k, _) in P {
                let level = pn[k]!.reduce(0, +) / max(pd[k]!.reduce(0, +), 1e-9)
                let pr = prior[k]!
                let priorMean = pr.reduce(0, +) / Double(pr.count)
                P[k] = (0..<pr.count).map { i in (pn[k]![i] + kP * pr[i] / priorMean * level) / (pd[k]![i] + kP) }
                let best = P[k]!.max() ?? 1
                if best > 0 { P[k] = P[k]!.map { $0 / best } }
                obs[k] = pd[k]!
            }
        }
        // Products never seen take their category's mean effect.
        var catMean: [String: (Double, Double)] = [:]
        var seen = Set<Int32>()
        for c in cells where c.u > 0 || c.e > 0 { seen.insert(c.product) }
        for i in seen {
            let cat = h.products[Int(i)].category
            catMean[cat, default: (0, 0)].0 += G[Int(i)]
            catMean[cat, default: (0, 0)].1 += 1
        }
        for i in G.indices where !seen.contains(Int32(i)) {
            if let m = catMean[h.products[i].category], m.1 > 0 { G[i] = m.0 / m.1 }
        }
        // Device × product interaction, shrunk.
        var inter: [String: [Int32: (Double, Double)]] = [:]
        for c in cells {
            var v = inter[c.device]?[c.product] ?? (0, 0)
            v.0 += c.u
            v.1 += c.e * C[c.device]![c.category]! * G[Int(c.product)] * P[c.layout]![c.pos]
            inter[c.device, default: [:]][c.product] = v
        }
        let kI = 15.0
        let interaction = inter.mapValues { m in m.mapValues { (u, e) in (u + kI) / (e + kI) } }
        var model = DemandModel(
            position: P,
            positionObservations: obs,
            productEffect: G,
            categoryEffect: C,
            interaction: interaction,
            weekday: weekday,
            weeklyRelativeSD: 0.08,
            history: h,
            fittedBefore: cutoff
        )
        let fit = RevenueForecaster(model: model).inSampleWeeklyErrors()
        model = model.withWeeklySD(fit.sd, level: min(1.1, max(0.9, exp(fit.meanLogRatio))))
        return model
    }

    func withWeeklySD(_ sd: Double, level: Double) -> DemandModel {
        var m = DemandModel(
            position: position,
            positionObservations: positionObservations,
            productEffect: productEffect,
            categoryEffect: categoryEffect,
            interaction: interaction,
            weekday: weekday,
            weeklyRelativeSD: sd,
            history: history,
            fittedBefore: fittedBefore
        )
        m.revenueLevel = level
        return m
    }

    /// Weekday factor of a device on a day.
    package func weekdayFactor(_ deviceID: String, _ day: Int32) -> Double {
        weekday[deviceID]?[weekdayOf(day)] ?? 1
    }

    /// Mean days between restocks of a device.
    package func serviceInterval(_ deviceID: String) -> Double { history.serviceIntervalDays[deviceID] ?? 3 }
}

/// Expected share of demand served when a slot of `capacity` units faces Poisson demand `lambdaPerDay`
/// between restocks every `intervalDays`: E[min(X, C)] / E[X].
package func availability(lambdaPerDay: Double, capacity: Int, intervalDays: Double, size: Double) -> Double {
    guard size.isFinite, size > 0 else {
        return availability(lambdaPerDay: lambdaPerDay, capacity: capacity, intervalDays: intervalDays)
    }
    // Negative binomial with mean mu and size k: E[min(X, C)] / E[X].
    let mu = lambdaPerDay * max(intervalDays, 0.5)
    guard mu > 1e-9 else { return 1 }
    guard capacity > 0 else { return 0 }
    let q = mu / (size + mu)
    var p = exp(size * log(size / (size + mu)))
    var cdf = 0.0
    var expectedBelow = 0.0
    for k in 0..<min(capacity, 2_000) {
        cdf += p
        expectedBelow += Double(k) * p
        p *= (Double(k) + size) / Double(k + 1) * q
    }
    let served = expectedBelow + Double(capacity) * max(0, 1 - cdf)
    return min(1, served / mu)
}

/// Poisson availability (see above).
package func availability(lambdaPerDay: Double, capacity: Int, intervalDays: Double) -> Double {
    let mu = lambdaPerDay * max(intervalDays, 0.5)
    guard mu > 1e-9 else { return 1 }
    guard capacity > 0 else { return 0 }
    if mu > 200 { return min(1, Double(capacity) / mu) }
    var p = exp(-mu)
    var cdf = 0.0
    var expectedBelow = 0.0
    for k in 0..<min(capacity, 600) {
        cdf += p
        expectedBelow += Double(k) * p
        p *= mu / Double(k + 1)
    }
    let served = expectedBelow + Double(capacity) * max(0, 1 - cdf)
    return min(1, served / mu)
}

import Foundation
import Insights
import PlanogramDomain

/// Each slot's rate of sale (units per day) from sparse history, pooled (docs/MODELS.md "Sparse slots").
///
/// Most real slots sell a unit every few days, so a slot's own average over a few weeks is mostly noise.
/// The rate is a gamma–Poisson posterior mean: the slot's own units over its days of exposure in the last
/// `lookbackDays` (from the machine's first sale on; days the history shows it empty count for the share
/// it was stocked), added to a prior of α pseudo-units at the device's mean rate per slot. α is estimated
/// from the history (method of moments over the slots), not set by hand.
///
/// Product changes: a coil that rotates flavours (the new product of the same category) keeps its own
/// history — on a real export that is common (77 of 150 coils) and the coil's rate carries over; a product of
/// another category starts from the prior alone, not from the old product's sales.
///
/// Every resolution of history feeds it alike: a vend, a day's count and a count between two DEX reads are
/// units over a span of exposure.
package struct SparseSlotRates: Sendable {
    package struct Rate: Sendable {
        /// Posterior mean, units per day.
        package var perDay: Double
        /// Gamma shape of the posterior (α + the slot's own units): how sure it is.
        package var shape: Double
        /// Days of the slot's own history behind it, and the prior's pseudo-days.
        package var ownDays: Double
        package var priorDays: Double
        /// The prior's rate: the device's mean per slot.
        package var pooledPerDay: Double
    }

    package var rates: [SlotKey: Rate] = [:]
    /// Days of its own history each device has in the window (from its first sale on): below `shortHistoryDays`
    /// its slots stand mostly on the prior — the venue's rate (docs/MODELS.md "A machine too new to fit").
    package var deviceDays: [String: Double] = [:]
    package static let shortHistoryDays = 14.0
    /// The prior's shape α (pseudo-units).
    package var strength: Double = 0
    /// Extra dispersion of a horizon's total beyond the posterior (rates drift): added to 1/size (fitted on
    /// the four weeks before the origin, so the 90 % interval covers about 90 %).
    package var drift: Double = 0

    package static let lookbackDays: Int32 = 112

    /// The predictive distribution of a slot's units over `days` days.
    package func distribution(_ key: SlotKey, days: Double) -> CountDistribution? {
        guard let r = rates[key] else { return nil }
        // Posterior predictive of a gamma–Poisson: size = shape; drift adds to 1/size.
        let inverse = 1 / max(r.shape, 1e-6) + drift
        return CountDistribution(mean: r.perDay * days, size: inverse > 0 ? 1 / inverse : .infinity)
    }

    /// Fits on `history` before `origin`, for every slot that holds a product on the origin's eve.
    /// `soldOnly`: only slots that sold before the origin (a backtest on a layout inferred from sales, where a
    /// slot is known only from its first sale).
    package static func fit(
        _ h: SalesHistory,
        before origin: Int32,
        soldOnly: Bool = false,
        calibrate: Bool = true
    ) -> SparseSlotRates {
        var out = estimate(h, before: origin, soldOnly: soldOnly)
        if calibrate { out.drift = calibrateDrift(h, before: origin, soldOnly: soldOnly) }
        return out
    }

    struct Exposure {
        var key: SlotKey
        var units = 0.0
        var days = 0.0
    }

    /// The first day each device sold anything (or, with DEX reads only, its first interval began): a machine is
    /// not exposed before it is there, and a machine with no sales yet is not exposed at all.
    static func firstDays(_ h: SalesHistory) -> [String: Int32] {
        var out = h.deviceDayUnits.compactMapValues { $0.keys.min() }
        for (d, counts) in h.intervalCounts where out[d] == nil {
            if let first = counts.map(\.fromTs).min() {
                out[d] = h.clock.isUTC ? dayOf(first) : Int32(h.clock.day(of: first))
            }
        }
        return out
    }

    /// The slots' exposure before `origin` to their current product (and same-category predecessors).
    /// A device with no record in this many days before the origin is taken as silent — its data stopped — not as
    /// selling nothing: its window ends at its last record (docs/MODELS.md "Sparse slots").
    static let silentAfterDays: Int32 = 14

    /// The last day each device sold anything (or, with DEX reads only, its last interval ended).
    static func lastDays(_ h: SalesHistory, before origin: Int32) -> [String: Int32] {
        var out = h.deviceDayUnits.compactMapValues { days in days.keys.filter { $0 < origin }.max() }
        for (d, counts) in h.intervalCounts where out[d] == nil {
            let ends = counts.map { h.clock.isUTC ? dayOf($0.toTs) : Int32(h.clock.day(of: $0.toTs)) }.filter {
                $0 < origin
            }
            if let last = ends.max() { out[d] = last }
        }
        return out
    }

    static func exposures(
        _ h: SalesHistory,
        before fitOrigin: Int32,
        firstDays: [String: Int32],
        soldOnly: Bool
    ) -> [Exposure] {
        var out: [Exposure] = []
        let lastDays = lastDays(h, before: fitOrigin)
        for s in h.series {
            var origin = fitOrigin
            if let last = lastDays[s.cabinet.deviceID], fitOrigin - last > silentAfterDays { origin = last + 1 }
            guard let eve = s.days.last(where: { $0.day < origin }), eve.day == origin - 1 || origin < fitOrigin,
                eve.product >= 0,
                !soldOnly || s.days.contains(where: { $0.day < origin && $0.units > 0 })
            else {
                continue
            }
            let start = max(origin - lookbackDays, firstDays[s.cabinet.deviceID] ?? origin)
            let category = h.products[Int(eve.product)].category
            var e = Exposure(key: SlotKey(s.cabinet, s.slot))
            if h.resolutions[s.cabinet.deviceID] == .intervals {
                // Counts between DEX reads: units over each interval's span (inside the window, before the origin).
                let from = h.clock.midnight(Int64(start))
                let to = h.clock.midnight(Int64(origin))
                for c in h.intervalCounts[s.cabinet.deviceID] ?? []
                where c.cabinetIndex == s.cabinet.index && c.slot == s.slot && c.fromTs >= from && c.toTs <= to {
                    e.units += c.units
                    e.days += Double(c.toTs - c.fromTs) / 86_400
                }
                out.append(e)
                continue
            }
            for d in s.days.reversed() where d.day < origin {
                guard d.day >= start else { break }
                guard d.product >= 0, d.product == eve.product || h.products[Int(d.product)].category == category
                else { break }
                e.units += Double(d.units)
                e.days += Double(d.inStock)
            }
            out.append(e)
        }
        return out
    }

    static func estimate(_ h: SalesHistory, before origin: Int32, soldOnly: Bool) -> SparseSlotRates {
        let ex = exposures(h, before: origin, firstDays: firstDays(h), soldOnly: soldOnly)
        var out = SparseSlotRates()
        guard !ex.isEmpty else { return out }
        var deviceSums: [String: (u: Double, d: Double)] = [:]
        for e in ex {
            deviceSums[e.key.cabinet.deviceID, default: (0, 0)].u += e.units
            deviceSums[e.key.cabinet.deviceID, default: (0, 0)].d += e.days
        }
        let fleetUnits = ex.reduce(0) { $0 + $1.units }
        let fleetDays = ex.reduce(0) { $0 + $1.days }
        let fleet = fleetDays > 0 ? fleetUnits / fleetDays : 0
        // The venue type's mean per slot (shrunk a slot-month toward the fleet's), and each device's (shrunk a
        // slot-month toward its venue's, so a machine of a few days — or none — stands on its venue).
        func venue(_ device: String) -> VenueType { h.devices[device]?.venueType ?? .other }
        var venueSums: [VenueType: (u: Double, d: Double)] = [:]
        for (device, v) in deviceSums {
            venueSums[venue(device), default: (0, 0)].u += v.u
            venueSums[venue(device), default: (0, 0)].d += v.d
        }
        let venueRate = venueSums.mapValues { ($0.u + 28 * fleet) / ($0.d + 28) }
        let deviceRate = deviceSums.mapValues { $0 }.reduce(into: [String: Double]()) { out, item in
            let prior = venueRate[venue(item.key)] ?? fleet
            out[item.key] = (item.value.u + 28 * prior) / (item.value.d + 28)
        }
        let pooled = ex.map { max(deviceRate[$0.key.cabinet.deviceID] ?? fleet, 1e-4) }
        let days = firstDays(h)
        for device in deviceSums.keys {
            out.deviceDays[device] = Double(max(0, origin - max(origin - lookbackDays, days[device] ?? origin)))
        }
        // Method of moments for the gamma prior's shape α (rate ~ Gamma(α, α/μ)): over slots,
        // E[(u − eμ)² − u] = e²μ²/α.
        var num = 0.0
        var den = 0.0
        for (i, e) in ex.enumerated() where e.days > 0 {
            let m = e.days * pooled[i]
            num += m * m
            den += (e.units - m) * (e.units - m) - e.units
        }
        let alpha = den > 0 ? min(50, max(0.3, num / den)) : 50
        out.strength = alpha
        for (i, e) in ex.enumerated() {
            let priorDays = alpha / pooled[i]
            out.rates[e.key] = Rate(
                perDay: (e.units + alpha) / (e.days + priorDays),
                shape: alpha + e.units,
                ownDays: e.days,
                priorDays: priorDays,
                pooledPerDay: pooled[i]
            )
        }
        return out
    }

    /// The drift that makes the 90 % intervals of the four weeks before `origin`, forecast from four weeks
    /// earlier, cover 90 % (searched on a grid; 0 when there is not enough history).
    static func calibrateDrift(_ h: SalesHistory, before origin: Int32, soldOnly: Bool) -> Double {
        let horizon: Int32 = 28
        let pseudo = origin - horizon
        guard pseudo - h.firstDay >= 28 else { return 0 }
        let fit = estimate(h, before: pseudo, soldOnly: soldOnly)
        var actual: [SlotKey: Double] = [:]
        for s in h.series {
            let key = SlotKey(s.cabinet, s.slot)
            guard fit.rates[key] != nil else { continue }
            actual[key] = s.days.reduce(0) { $0 + ($1.day >= pseudo && $1.day < origin ? Double($1.units) : 0) }
        }
        guard actual.count >= 20 else { return 0 }
        var best = (drift: 0.0, gap: Double.infinity)
        for drift in [0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0] {
            var f = fit
            f.drift = drift
            var inside = 0
            for (key, a) in actual {
                let d = f.distribution(key, days: Double(horizon))!
                if Double(d.quantile(0.05)) <= a && a <= Double(d.quantile(0.95)) { inside += 1 }
            }
            let gap = abs(Double(inside) / Double(actual.count) - 0.9)
            if gap < best.gap - 1e-9 { best = (drift, gap) }
        }
        return best.drift
    }
}

import Foundation
import PlanogramDomain

/// Location personalization (docs/MODELS.md): demand for a product at a device, partially pooled —
/// the device's own sales where it has carried the product, its venue type's where it has not, the fleet's
/// otherwise. Units per in-stock day at the best position of a layout:
///
///     rate(d, p) = t[d] · g[p] · v[venue(d), p] · i[d, p]
///
/// g: the product's fleet-wide rate; t: the device's traffic (its units against what g expects of its
/// exposure); v: the venue type's factor for the product, shrunk toward 1 with `pseudoDays` of prior
/// exposure; i: the device's own factor, shrunk toward 1 the same way. Exposure is in-stock slot-days
/// weighted by the prior position shape (not the fitted one, so a device left out leaks nothing through it).
package struct VenueDemand: Sendable {
    package enum Basis: String, Codable, Sendable { case device, venue, fleet }

    package static let pseudoDays = 14.0
    /// In-stock days from which a device's (or venue's) own figure is its basis.
    package static let basisDays = 14.0

    let g: [Double]
    let traffic: [String: Double]
    let venueFactor: [VenueType: [Double]]
    let venueExposure: [VenueType: [Double]]
    let deviceFactor: [String: [Int32: Double]]
    let deviceExposure: [String: [Int32: Double]]
    let venueOf: [String: VenueType]
    let productIndex: [String: Int32]

    /// Units and position-weighted exposure per device and product, from the history (days before `before`).
    package struct Exposure: Sendable, Codable {
        @OrderedInt32Keys package var units: [String: [Int32: Double]] = [:]
        @OrderedInt32Keys package var days: [String: [Int32: Double]] = [:]
    }

    package static func exposure(_ h: SalesHistory, before: Int32? = nil, from: Int32? = nil) -> Exposure {
        var e = Exposure()
        for s in h.series {
            guard let cab = h.cabinets[s.cabinet] else { continue }
            let pos = DemandModel.priorShape(
                row: s.slot.row,
                column: s.slot.column,
                rows: cab.rows,
                columns: cab.columns
            )
            let d = s.cabinet.deviceID
            for day in s.days where day.product >= 0 && day.day < (before ?? .max) && day.day >= (from ?? .min) {
                e.units[d, default: [:]][day.product, default: 0] += Double(day.units)
                e.days[d, default: [:]][day.product, default: 0] += Double(day.inStock) * pos
            }
        }
        return e
    }

    /// Fitted from `exposure` without the devices in `excluding` (a left-out device is predicted from the others).
    package init(history h: SalesHistory, exposure e: Exposure, excluding: Set<String> = []) {
        let n = h.products.count
        productIndex = h.productIndex
        venueOf = h.devices.mapValues(\.venueType)
        let devices = e.units.keys.filter { !excluding.contains($0) }
        var u = [Double](repeating: 0, count: n)
        var x = [Double](repeating: 0, count: n)
        for d in devices {
            for (p, units) in e.units[d] ?? [:] { u[Int(p)] += units }
            for (p, days) in e.days[d] ?? [:] { x[Int(p)] += days }
        }
        let fleetRate = u.reduce(0, +) / max(x.reduce(0, +), 1e-9)
        // g shrunk toward the fleet's average product.
        let g = (0..<n).map { (u[$0] + Self.pseudoDays * fleetRate) / (x[$0] + Self.pseudoDays) }
        self.g = g
        var traffic: [String: Double] = [:]
        for d in devices {
            let units = (e.units[d] ?? [:]).values.reduce(0, +)
            let expected = (e.days[d] ?? [:]).reduce(0.0) { $0 + g[Int($1.key)] * $1.value }
            traffic[d] = expected > 0 ? units / expected : 1
        }
        self.traffic = traffic
        var vf: [VenueType: [Double]] = [:]
        var vx: [VenueType: [Double]] = [:]
        for venue in Set(devices.compactMap { h.devices[$0]?.venueType }) {
            var uu = [Double](repeating: 0, count: n)
            var ee = [Double](repeating: 0, count: n)
            var xx = [Double](repeating: 0, count: n)
            for d in devices where h.devices[d]?.venueType == venue {
                for (p, units) in e.units[d] ?? [:] { uu[Int(p)] += units }
                for (p, days) in e.days[d] ?? [:] {
                    ee[Int(p)] += traffic[d]! * g[Int(p)] * days
                    xx[Int(p)] += days
                }
            }
            vf[venue] = (0..<n).map { (uu[$0] + Self.pseudoDays * g[$0]) / (ee[$0] + Self.pseudoDays * g[$0]) }
            vx[venue] = xx
        }
        venueFactor = vf
        venueExposure = vx
        var df: [String: [Int32: Double]] = [:]
        for d in devices {
            let v = h.devices[d].flatMap { vf[$0.venueType] }
            for (p, days) in e.days[d] ?? [:] {
                let base = traffic[d]! * g[Int(p)] * (v?[Int(p)] ?? 1)
                let units = e.units[d]?[p] ?? 0
                df[d, default: [:]][p] = (units + Self.pseudoDays * base) / (base * days + Self.pseudoDays * base)
            }
        }
        deviceFactor = df
        deviceExposure = e.days.filter { !excluding.contains($0.key) }
    }

    /// Units per in-stock day of `productID` at the best position of `deviceID`, and what it rests on.
    /// A device not in the fit (new, or left out) has the traffic of its venue type's devices.
    package func rate(productID: String, deviceID: String) -> (rate: Double, basis: Basis)? {
        guard !traffic.isEmpty, let pi = productIndex[productID] else { return nil }
        let p = Int(pi)
        let venue = venueOf[deviceID]
        let t =
            traffic[deviceID]
            ?? {
                let peers = traffic.filter { venueOf[$0.key] == venue }.map(\.value)
                return peers.isEmpty ? 1 : peers.reduce(0, +) / Double(peers.count)
            }()
        let v = venue.flatMap { venueFactor[$0]?[p] } ?? 1
        let i = deviceFactor[deviceID]?[pi] ?? 1
        let basis: Basis =
            (deviceExposure[deviceID]?[pi] ?? 0) >= Self.basisDays
            ? .device
            : (venue.flatMap { venueExposure[$0]?[p] } ?? 0) >= Self.basisDays ? .venue : .fleet
        return (t * g[p] * v * i, basis)
    }

    /// Whether the device has sold the product (any exposure on record).
    package func carried(productID: String, deviceID: String) -> Bool {
        guard let pi = productIndex[productID] else { return false }
        return (deviceExposure[deviceID]?[pi] ?? 0) > 0
    }

    /// The fleet's best-seller rate of a product (the baseline a new device would get without personalization).
    package func fleetRate(productID: String) -> Double? { productIndex[productID].map { g[Int($0)] } }
}

import Foundation

/// Leave one device out: for each device, `VenueDemand` is fitted on every other device and
/// predicts the device's products (their units per in-stock day at its own exposure), against the baseline a
/// new device gets today, the fleet's best-seller list. Recall of the ten top sellers (among the products
/// the device carried for at least two weeks) and WAPE of each product's units, both predictions scaled to
/// the device's real total (so WAPE measures how units spread over products, which is what personalization
/// changes).
package enum VenueBacktest {
    package struct Report: Sendable {
        package var devices: Int
        package var recallAt10: Double
        package var baselineRecallAt10: Double
        package var wape: Double
        package var baselineWAPE: Double
    }

    package static func run(_ h: SalesHistory) -> Report {
        let exposure = VenueDemand.exposure(h)
        var recall = 0.0
        var baseRecall = 0.0
        var err = 0.0
        var baseErr = 0.0
        var total = 0.0
        var n = 0
        for d in exposure.units.keys.sorted() {
            let model = VenueDemand(history: h, exposure: exposure, excluding: [d])
            let carried = (exposure.days[d] ?? [:]).filter { $0.value >= VenueDemand.basisDays }.map(\.key).sorted()
            guard carried.count >= 10 else { continue }
            let ids = carried.map { h.products[Int($0)].id }
            let actualUnits = carried.map { exposure.units[d]?[$0] ?? 0 }
            let days = carried.map { exposure.days[d]![$0]! }
            let actualRate = zip(actualUnits, days).map { $0 / $1 }
            let predicted = ids.map { model.rate(productID: $0, deviceID: d)?.rate ?? 0 }
            let baseline = ids.map { model.fleetRate(productID: $0) ?? 0 }
            func top(_ r: [Double]) -> Set<Int> { Set(r.indices.sorted { (r[$0], -$0) > (r[$1], -$1) }.prefix(10)) }
            let truth = top(actualRate)
            recall += Double(truth.intersection(top(predicted)).count) / 10
            baseRecall += Double(truth.intersection(top(baseline)).count) / 10
            let sum = actualUnits.reduce(0, +)
            func scaled(_ r: [Double]) -> [Double] {
                let units = zip(r, days).map { $0 * $1 }
                let s = units.reduce(0, +)
                return units.map { s > 0 ? $0 / s * sum : 0 }
            }
            err += zip(scaled(predicted), actualUnits).reduce(0) { $0 + abs($1.0 - $1.1) }
            baseErr += zip(scaled(baseline), actualUnits).reduce(0) { $0 + abs($1.0 - $1.1) }
            total += sum
            n += 1
        }
        return Report(
            devices: n,
            recallAt10: n > 0 ? recall / Double(n) : 0,
            baselineRecallAt10: n > 0 ? baseRecall / Double(n) : 0,
            wape: total > 0 ? err / total : 0,
            baselineWAPE: total > 0 ? baseErr / total : 0
        )
    }
}

import Insights
import PlanogramDomain

/// The real intervals between two visits of a device, slot by slot, as the history has them: a slot that
/// held one product for the whole interval, with its capacity at the visit and the units it sold. The
/// demand backtest scores them; the count model calibrates on them.
package struct VisitInterval: Sendable {
    package let series: SalesHistory.SlotSeries
    package let cabinet: Cabinet
    package let startDay: Int32
    package let endDay: Int32
    /// Index of the visit that starts the interval in the device's visit days.
    package let visitIndex: Int
    package let productIndex: Int32
    package let capacity: Int
    /// The slot's days of the interval, one per day.
    package let days: [SalesHistory.SlotDay]
    package var sold: Double { days.reduce(0.0) { $0 + Double($1.units) } }
    /// Filled to capacity at the visit, it sold out exactly when it sold all of it.
    package var soldOut: Bool { sold >= Double(capacity) }
}

package enum VisitIntervals {
    /// Calls `body` for every interval whose start visit satisfies `starts` (and, when `before` is given,
    /// whose end visit is at or before that day).
    package static func forEach(
        _ h: SalesHistory,
        before: Int32? = nil,
        starts: (Int32, Int) -> Bool,
        _ body: (VisitInterval) -> Void
    ) {
        for s in h.series {
            guard let cabinet = h.cabinets[s.cabinet], let visits = h.serviceDays[s.cabinet.deviceID],
                h.planograms[s.cabinet] != nil
            else { continue }
            let byDay = Dictionary(uniqueKeysWithValues: s.days.map { ($0.day, $0) })
            for i in visits.indices.dropLast() where starts(visits[i], i) {
                let start = visits[i]
                let end = visits[i + 1]
                if let before, end > before { continue }
                let days = (start..<end).compactMap { byDay[$0] }
                guard days.count == Int(end - start), let product = days.first?.product, product >= 0,
                    days.allSatisfy({ $0.product == product })
                else { continue }
                guard let capacity = h.planogram(s.cabinet, onDay: start)?.facings[s.slot]?.capacity else { continue }
                body(
                    VisitInterval(
                        series: s,
                        cabinet: cabinet,
                        startDay: start,
                        endDay: end,
                        visitIndex: i,
                        productIndex: product,
                        capacity: capacity,
                        days: days
                    )
                )
            }
        }
    }
}

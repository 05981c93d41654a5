import Foundation
import Insights
import PlanogramDomain

/// The backtest of forecasts on the data operators have (docs/MODELS.md "Forecasts on real data";
/// `planogram-lab backtest horizon`): at rolling origins, each slot that holds a product on the origin's
/// eve gets a forecast of its units over the next `horizon` days from the history before the origin only,
/// scored on what it sold, per slot and summed per device. Baselines a user already has: the naive forecast
/// (the last `horizon` days again) and the slot's 8-week mean. Needs no fills and no visits: it runs on an
/// export with dates only as well as on a generated fleet.
package struct HorizonBacktest {
    package struct Row: Sendable {
        package let key: SlotKey
        package let origin: Int32
        package let actual: Double
        /// The pooled model's mean (`SparseSlotRates`) and its 90 % interval.
        package let model: Double
        package let low: Double
        package let high: Double
        /// The count model the server fitted before sparse pooling (`DemandModel` × `DemandCounts`).
        package let demandModel: Double
        package let naive: Double
        package let eightWeek: Double
        /// The same two over the days the machine was there (a machine a week old: its week, scaled).
        package let naiveLived: Double
        package let eightWeekLived: Double
    }

    package struct Scores: Sendable, Codable {
        package var wape: Double
        package var bias: Double
    }

    package struct Report: Sendable {
        package let rows: [Row]
        package let origins: [Int32]
        package let horizon: Int32

        static func wape(_ pairs: [(Double, Double)]) -> Scores {
            let actual = pairs.reduce(0) { $0 + $1.1 }
            guard actual > 0 else { return Scores(wape: 0, bias: 0) }
            return Scores(
                wape: pairs.reduce(0) { $0 + abs($1.0 - $1.1) } / actual * 100,
                bias: (pairs.reduce(0) { $0 + $1.0 } - actual) / actual * 100
            )
        }

        /// Per slot: model, the demand model, naive, 8-week mean.
        package var slot: [String: Scores] {
            [
                "model": Self.wape(rows.map { ($0.model, $0.actual) }),
                "demand_model": Self.wape(rows.map { ($0.demandModel, $0.actual) }),
                "naive": Self.wape(rows.map { ($0.naive, $0.actual) }),
                "eight_week_mean": Self.wape(rows.map { ($0.eightWeek, $0.actual) }),
                "naive_lived": Self.wape(rows.map { ($0.naiveLived, $0.actual) }),
                "eight_week_mean_lived": Self.wape(rows.map { ($0.eightWeekLived, $0.actual) }),
            ]
        }

        /// Per device and origin (the slots' sums).
        package var device: [String: Scores] {
            var sums: [String: [Double]] = [:]
            for r in rows {
                let k = "\(r.key.cabinet.deviceID)|\(r.origin)"
                let add = [r.model, r.demandModel, r.naive, r.eightWeek, r.naiveLived, r.eightWeekLived, r.actual]
                sums[k] = zip(sums[k] ?? Array(repeating: 0, count: add.count), add).map { $0 + $1 }
            }
            let s = Array(sums.values)
            let names = ["model", "demand_model", "naive", "eight_week_mean", "naive_lived", "eight_week_mean_lived"]
            var out: [String: Scores] = [:]
            for (i, name) in names.enumerated() { out[name] = Self.wape(s.map { ($0[i], $0[6]) }) }
            return out
        }

        /// Share of slots whose units fell inside the model's 90 % interval.
        package var coverage90: Double {
            rows.isEmpty
                ? 0 : Double(rows.filter { $0.low <= $0.actual && $0.actual <= $0.high }.count) / Double(rows.count)
        }
        /// Slots that sold in the 8 weeks before the origin (a selling slot) scored.
        package var sellingSlots: Int { rows.filter { $0.eightWeek > 0 }.count }
    }

    package let history: SalesHistory
    package var horizon: Int32 = 28
    package var origins = 3
    /// Days between origins; the last origin is `horizon` days before the history's end.
    package var stepDays: Int32 = 14
    package var progress: ((Int, Int) -> Void)?

    package init(history: SalesHistory) { self.history = history }

    /// The origins: the last one `horizon` days before the end, the others `stepDays` apart before it, each
    /// with at least 8 weeks of history before it.
    package var originDays: [Int32] {
        let last = history.lastDay + 1 - horizon
        return (0..<origins).map { last - Int32(origins - 1 - $0) * stepDays }.filter { $0 - history.firstDay >= 56 }
    }

    package func run() -> Report {
        let h = history
        var rows: [Row] = []
        let firstDays = SparseSlotRates.firstDays(h)
        let days = originDays
        for (n, origin) in days.enumerated() {
            progress?(n + 1, days.count)
            let rates = SparseSlotRates.fit(h, before: origin, soldOnly: true)
            let model = DemandModel.fit(h, before: origin)
            let counts = DemandCounts.fit(model: model)
            for s in h.series {
                let key = SlotKey(s.cabinet, s.slot)
                guard let d = rates.distribution(key, days: Double(horizon)),
                    let eve = s.days.last(where: { $0.day < origin }), eve.product >= 0,
                    // A slot is known to be there once it has sold (a layout inferred from an export names a
                    // slot from its first sale: scoring it before then would use the future).
                    s.days.contains(where: { $0.day < origin && $0.units > 0 }),
                    let cabinet = h.cabinets[s.cabinet]
                else { continue }
                func units(_ from: Int32, _ to: Int32) -> Double {
                    s.days.reduce(0) { $0 + ($1.day >= from && $1.day < to ? Double($1.units) : 0) }
                }
                let lived = max(1, origin - (firstDays[s.cabinet.deviceID] ?? h.firstDay))
                let productID = h.products[Int(eve.product)].id
                let base =
                    model.rate(productID: productID, deviceID: s.cabinet.deviceID, cabinet: cabinet, slot: s.slot)
                    * counts.meanScale
                let beta = counts.trendPerDay[s.cabinet.deviceID] ?? 0
                let demand = (origin..<(origin + horizon)).reduce(0.0) { sum, day in
                    sum + base * model.weekdayFactor(s.cabinet.deviceID, day)
                        * min(1.4, max(0.7, exp(beta * Double(day - origin))))
                }
                rows.append(
                    Row(
                        key: key,
                        origin: origin,
                        actual: units(origin, origin + horizon),
                        model: d.mean,
                        low: Double(d.quantile(0.05)),
                        high: Double(d.quantile(0.95)),
                        demandModel: demand,
                        naive: units(origin - horizon, origin),
                        eightWeek: units(origin - 56, origin) * Double(horizon) / 56,
                        naiveLived: units(origin - horizon, origin) * Double(horizon) / Double(min(horizon, lived)),
                        eightWeekLived: units(origin - 56, origin) * Double(horizon) / Double(min(56, lived))
                    )
                )
            }
        }
        return Report(rows: rows, origins: days, horizon: horizon)
    }
}

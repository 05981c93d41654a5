import Foundation
import PlanogramDomain

/// The revenue backtest: for every planogram change, fit on the sales before it, predict the
/// device's daily revenue for up to four whole weeks after it (stopping before the device's next
/// change), and compare each predicted week with what was sold. The naive baseline predicts every
/// week as the average of the four weeks before the change.
package struct Backtest {
    package struct Week: Sendable {
        package let deviceID: String
        package let change: CabinetKey
        package let firstDay: Int32
        package let actual: Double
        package let predicted: Double
        package let lower: Double
        package let upper: Double
        package let naive: Double
    }

    package struct Report: Sendable {
        package let weeks: [Week]
        package let changes: Int
        package var mape: Double { Self.mape(weeks.map { ($0.predicted, $0.actual) }) }
        package var naiveMAPE: Double { Self.mape(weeks.map { ($0.naive, $0.actual) }) }
        package var coverage: Double {
            weeks.isEmpty
                ? 0
                : Double(weeks.filter { $0.actual >= $0.lower && $0.actual <= $0.upper }.count) / Double(weeks.count)
        }
        package var medianAPE: Double {
            let e = weeks.map { abs($0.predicted - $0.actual) / $0.actual }.sorted()
            return e.isEmpty ? 0 : e[e.count / 2]
        }
        /// Mean signed percentage error (negative: predictions below what sold).
        package var bias: Double { Self.bias(weeks.map { ($0.predicted, $0.actual) }) }
        package var naiveBias: Double { Self.bias(weeks.map { ($0.naive, $0.actual) }) }
        static func bias(_ pairs: [(Double, Double)]) -> Double {
            let e = pairs.filter { $0.1 > 0 }.map { ($0.0 - $0.1) / $0.1 }
            return e.isEmpty ? 0 : e.reduce(0, +) / Double(e.count) * 100
        }
        static func mape(_ pairs: [(Double, Double)]) -> Double {
            let e = pairs.filter { $0.1 > 0 }.map { abs($0.0 - $0.1) / $0.1 }
            return e.isEmpty ? 0 : e.reduce(0, +) / Double(e.count) * 100
        }
    }

    package let history: SalesHistory
    package var weeksAfter = 4
    /// Changes in the first `warmupDays` of history are skipped (too little to fit on).
    package var warmupDays: Int32 = 28
    package var progress: ((Int, Int) -> Void)?
    /// How a fitted model becomes a forecaster (the count model's adjustments, for instance).
    package var forecaster: (DemandModel, AffinityTable) -> RevenueForecaster = {
        RevenueForecaster(model: $0, affinity: $1)
    }

    package init(history: SalesHistory) { self.history = history }

    package func run() -> Report {
        let h = history
        // Every change: (device, cabinet, day it took effect).
        var changes: [(CabinetKey, Int32)] = []
        for (key, versions) in h.planograms {
            for v in versions.dropFirst() { changes.append((key, Int32(h.clock.day(of: v.effectiveFrom + 6 * 3600)))) }
        }
        changes.sort { ($0.1, $0.0) < ($1.1, $1.0) }
        let changeDaysByDevice = Dictionary(grouping: changes, by: { $0.0.deviceID }).mapValues { $0.map(\.1).sorted() }
        let affinity = AffinityTable(history: h)
        var weeks: [Week] = []
        var fits: [Int32: DemandModel] = [:]
        var used = 0
        for (i, (key, day)) in changes.enumerated() {
            progress?(i + 1, changes.count)
            guard day - h.firstDay >= warmupDays else { continue }
            let device = key.deviceID
            let nextChange = changeDaysByDevice[device]!.first { $0 > day } ?? (h.lastDay + 1)
            let end = min(nextChange, h.lastDay + 1, day + Int32(7 * weeksAfter))
            let fullWeeks = Int(end - day) / 7
            guard fullWeeks >= 1 else { continue }
            let model = fits[day] ?? DemandModel.fit(h, before: day)
            fits[day] = model
            let forecaster = self.forecaster(model, affinity)
            // The cabinets as they stand on the change day (the changed one under its new version).
            var overrides: [Int: Planogram] = [:]
            for k in h.planograms.keys where k.deviceID == device {
                if let v = h.planogram(k, onDay: day) { overrides[k.index] = v }
            }
            let revenue = h.deviceDayRevenue[device] ?? [:]
            let before = (day - 28)..<day
            let naiveWeek = before.reduce(0.0) { $0 + (revenue[$1] ?? 0) } / 4
            let sd = forecaster.effectiveWeeklySD
            used += 1
            for w in 0..<fullWeeks {
                let days = (day + Int32(7 * w))..<(day + Int32(7 * w + 7))
                let actual = days.reduce(0.0) { $0 + (revenue[$1] ?? 0) }
                guard actual > 0 else { continue }
                let predicted = forecaster.deviceRevenue(deviceID: device, days: days, overrides: overrides)
                weeks.append(
                    Week(
                        deviceID: device,
                        change: key,
                        firstDay: days.lowerBound,
                        actual: actual,
                        predicted: predicted,
                        lower: predicted * exp(-1.96 * sd),
                        upper: predicted * exp(1.96 * sd),
                        naive: naiveWeek
                    )
                )
            }
        }
        return Report(weeks: weeks, changes: used)
    }
}

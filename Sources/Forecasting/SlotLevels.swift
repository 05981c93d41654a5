import Insights
import PlanogramDomain

/// The pooled slot rates (`SparseSlotRates`) as the server keeps them with its models, and where they are
/// served: for the devices whose history has dates only (an export without times: docs/formats/EXPORTS.md),
/// whose slots the count model — built on vends with their hours — forecasts worse than the 8-week mean
/// (BENCHMARKS §14). Devices with timed vends keep the count model.
package struct SlotLevels: Sendable, Codable, Equatable {
    /// Units per day and the posterior's gamma shape, by `device|cabinet|slot`.
    package var perDay: [String: Double] = [:]
    package var shape: [String: Double] = [:]
    package var drift: Double = 0
    /// Devices whose history is day counts only, sorted.
    package var dayOnlyDevices: [String] = []

    package init() {}

    package init(_ rates: SparseSlotRates, history: SalesHistory) {
        for (key, r) in rates.rates {
            perDay[Self.key(key)] = r.perDay
            shape[Self.key(key)] = r.shape
        }
        drift = rates.drift
        dayOnlyDevices = history.resolutions.filter { $0.value == .days }.keys.sorted()
    }

    static func key(_ k: SlotKey) -> String { "\(k.cabinet.deviceID)|\(k.cabinet.index)|\(k.slot)" }

    /// Whether `deviceID`'s forecasts come from these levels.
    package func serves(_ deviceID: String) -> Bool {
        dayOnlyDevices.contains(deviceID)
    }

    /// The slot's path at its pooled level when the device is served from the levels and the slot has one;
    /// else `fallback` (the count model's).
    package func path(
        _ key: SlotKey,
        fromDay: Int64,
        days: Int,
        clock: FleetClock,
        fallback: () -> DemandPath
    ) -> DemandPath {
        guard serves(key.cabinet.deviceID), let rate = perDay[Self.key(key)], let shape = shape[Self.key(key)]
        else { return fallback() }
        let inverse = 1 / max(shape, 1e-6) + drift
        return DemandPath(
            firstDay: fromDay,
            ratePerDay: Array(repeating: rate, count: max(1, days)),
            size: inverse > 0 ? 1 / inverse : .infinity,
            clock: clock
        )
    }
}

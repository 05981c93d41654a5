import Insights
import PlanogramDomain

/// The pooled slot rates (`SparseSlotRates`) as the server keeps them with its models, and where they are
/// served: for the devices whose history has dates only (an export without times: docs/formats/EXPORTS.md),
/// whose slots the count model — built on vends with their hours — forecasts worse than the 8-week mean
/// (BENCHMARKS §14), for those with counts between DEX reads only, and for a machine with under two weeks of
/// history of its own (its slots stand on its venue's rate). Devices with timed vends keep the count model.
package struct SlotLevels: Sendable, Codable, Equatable {
    /// Units per day and the posterior's gamma shape, by `device|cabinet|slot`.
    package var perDay: [String: Double] = [:]
    package var shape: [String: Double] = [:]
    package var drift: Double = 0
    /// Devices whose history is day counts (or counts between DEX reads) only, sorted.
    package var dayOnlyDevices: [String] = []
    /// Devices with under `SparseSlotRates.shortHistoryDays` of their own history (none at all, or a machine
    /// that arrived days ago), sorted: served from the levels too, which stand on their venue's rate; the forecast
    /// says so (`demand_model: "venue_rates"`).
    package var venueRateDevices: [String] = []

    package init() {}

    package init(_ rates: SparseSlotRates, history: SalesHistory) {
        for (key, r) in rates.rates {
            perDay[Self.key(key)] = r.perDay
            shape[Self.key(key)] = r.shape
        }
        drift = rates.drift
        dayOnlyDevices = history.resolutions.filter { $0.value == .days || $0.value == .intervals }.keys.sorted()
        venueRateDevices = rates.deviceDays.filter { $0.value < SparseSlotRates.shortHistoryDays }.keys.sorted()
    }

    private static func has(_ sorted: [String], _ id: String) -> Bool {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == id
    }

    /// What a device's slot demand comes from: `venue_rates` (too little history of its own),
    /// `pooled_slot_levels` (a history of days or DEX intervals), or `count_model`.
    package func basis(_ deviceID: String) -> String {
        if Self.has(venueRateDevices, deviceID) { return "venue_rates" }
        if Self.has(dayOnlyDevices, deviceID) { return "pooled_slot_levels" }
        return "count_model"
    }

    static func key(_ k: SlotKey) -> String { "\(k.cabinet.deviceID)|\(k.cabinet.index)|\(k.slot)" }

    /// Whether `deviceID`'s forecasts come from these levels.
    package func serves(_ deviceID: String) -> Bool {
        Self.has(dayOnlyDevices, deviceID) || Self.has(venueRateDevices, deviceID)
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

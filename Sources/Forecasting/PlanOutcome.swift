import Foundation

/// What a plan is expected to leave behind over its days (docs/MODELS.md "The visit budget"): the slots' expected
/// empty hours in trading time and the units expected to be spoiled — passing their date in a slot, or pulled
/// for it by a visit (a pulled unit is written off as surely as one that stands past its date; `PlanReplay`
/// counts both) — with the plan's visits made as planned (each pick line's pull, then its load). The same demand paths and lots as the planner's; the
/// route manager's trade-off of visits against stockouts and spoilage is drawn from it.
package struct PlanOutcome: Sendable, Equatable, Codable {
    package var visits = 0
    package var stockoutHours = 0.0
    package var spoiledUnits = 0.0

    package init() {}

    package static func expected(
        _ devices: [PlannerDevice],
        visits: [PlannedVisit],
        now: Int64,
        until end: Int64
    ) -> PlanOutcome {
        var out = PlanOutcome()
        out.visits = visits.count
        let byDevice = Dictionary(grouping: visits, by: \.deviceID)
        for device in devices {
            var lots = device.slots.map { $0.lots.map { (loadedAt: $0.loadedAt, units: Double($0.units)) } }
            var t = now
            // A day at a time, so a lot whose date passes is counted when it passes, not at the next visit.
            func advance(to target: Int64) {
                while target > t {
                    step(to: min(target, t + 86_400))
                }
            }
            func step(to next: Int64) {
                guard next > t else { return }
                for (i, slot) in device.slots.enumerated() {
                    let stock = lots[i].reduce(0) { $0 + $1.units }
                    out.stockoutHours +=
                        slot.demand.expectedEmptySeconds(stock: Int(stock.rounded(.down)), from: t, to: next) / 3600
                    var sold = slot.demand.distribution(from: t, to: next).expectedServed(
                        capacity: Int(stock.rounded(.down))
                    )
                    // Sales take the oldest units first; what is left of a lot whose date passes by `next` is spoiled.
                    var kept: [(loadedAt: Int64, units: Double)] = []
                    for var lot in lots[i] {
                        let take = min(sold, lot.units)
                        lot.units -= take
                        sold -= take
                        if let life = slot.shelfLifeDays, lot.loadedAt + Int64(life) * 86_400 <= next, lot.units > 1e-9
                        {
                            out.spoiledUnits += lot.units
                            continue
                        }
                        if lot.units > 1e-9 { kept.append(lot) }
                    }
                    lots[i] = kept
                }
                t = next
            }
            let index = Dictionary(uniqueKeysWithValues: device.slots.enumerated().map { ($1.key, $0) })
            for visit in (byDevice[device.deviceID] ?? []).sorted(by: { $0.at < $1.at }) where visit.at < end {
                advance(to: visit.at)
                for line in visit.picks {
                    guard let i = index[line.key] else { continue }
                    var pull = Double(line.pull)
                    while pull > 1e-9, !lots[i].isEmpty {
                        let take = min(pull, lots[i][0].units)
                        lots[i][0].units -= take
                        pull -= take
                        out.spoiledUnits += take
                        if lots[i][0].units <= 1e-9 { lots[i].removeFirst() }
                    }
                    if line.load > 0 { lots[i].append((loadedAt: visit.at, units: Double(line.load))) }
                }
            }
            advance(to: end)
        }
        return out
    }
}

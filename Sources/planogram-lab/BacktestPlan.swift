import ArgumentParser
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

/// `backtest plan`: the service plan replayed against the history's own visits on the same simulated demand
/// (`PlanReplay`; docs/MODELS.md "The visit budget", docs/BENCHMARKS.md §8 and §18).
struct BacktestPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract:
            "Replay the service plan over the last --replay-days of the history against the visits that happened (stockout-hours, visits, spoilage)."
    )

    @OptionGroup var source: HistorySource
    @Flag(help: "Print one line per device-week: per device.")
    var verbose = false
    @Flag(
        help:
            "On a generated fleet (--fixtures holding the generator's model.json), draw the fleet again to learn every slot's true daily demand: both policies face that demand instead of the rates of a model fitted on all the history."
    ) var generatorTruth = false
    @Option(help: "Days replayed.") var replayDays: Int = 28
    @Option(help: "The cost of a visit.") var visitCost: Double = 25
    @Flag(
        help:
            "Plan within a budget of the history's own visits over the replayed days, as visits_per_day does: no price is set; the lowest price of a visit whose replay keeps to the budget is found by doubling and bisection (docs/MODELS.md \"The visit budget\")."
    ) var budgetOfHistory = false
    @Option(
        help:
            "With --budget-of-history: the budget as a share of the history's visits (0.5 = half of them), for the trade-off curve."
    ) var budgetShare: Double = 1
    @Option(help: "Days the visit rule looks ahead (0: the one-day renewal rule).") var lookAhead: Int = 7
    @Option(help: "The price of an hour a slot stands empty, beside the margin lost.")
    var emptySlotHourCost: Double = 0
    @Option(help: "Units expected to stand past their date by the next day that call for a visit today.")
    var expiryVisitUnits: Double = 0.5
    @Option(help: "The service level a pick list loads shelf-stable slots to (PLANOGRAM_SERVICE_LEVEL).")
    var serviceLevel: Double = 0.95
    @Option(
        help:
            "The quantile of what sells before its date a pick list loads perishable slots to (PLANOGRAM_PERISHABLE_SERVICE_LEVEL)."
    ) var perishableLevel: Double = 0.5
    @Flag(
        help:
            "Machines lock units past their date (the slot stands empty for customers until a visit pulls them) instead of selling them as spoiled."
    ) var lockedExpired = false
    @Flag(
        help:
            "Give the planner the demand rates of the period itself (the truth of the replay) instead of a forecast fitted before it, to see what forecast error costs."
    ) var trueRates = false

    func run() throws {
        let (history, clock) = try source.load(label: "backtest")
        guard (7...120).contains(replayDays) else { throw ValidationError("--replay-days must be 7…120") }
        let first = Int64(history.lastDay) + 1 - Int64(replayDays)
        FileHandle.standardError.write(
            Data("backtest plan: fitting the truth (all data) and the forecast (before day \(first))\n".utf8)
        )
        let truth = Insights.DemandModel.fit(history)
        let forecast = trueRates ? truth : Insights.DemandModel.fit(history, before: Int32(first))
        var trueDemand: ((SlotKey, Int64) -> (productID: String, unitsPerDay: Double)?)?
        if generatorTruth {
            let rates = try GeneratorTruth.rates(fixtures: source.fixtures)
            trueDemand = { key, day in rates[key]?[Int32(day)] }
        }
        var fallback = 0
        var slotDays = 0
        let devices = PlanReplay.devices(
            history: history,
            truth: truth,
            truthCounts: DemandCounts.fit(model: truth),
            forecast: forecast,
            forecastCounts: DemandCounts.fit(model: forecast),
            firstDay: first,
            days: replayDays,
            clock: clock,
            trueDemand: trueDemand,
            fallbackDays: {
                fallback += $0
                slotDays += replayDays
            }
        )
        if generatorTruth {
            print(
                String(
                    format:
                        "demand: the generator's own rates on %d of %d slot-days (%.1f%%; the rest, a slot holding another product than at the start, the fitted truth's)",
                    slotDays - fallback,
                    slotDays,
                    slotDays > 0 ? Double(slotDays - fallback) / Double(slotDays) * 100 : 0
                )
            )
        }
        guard (0...28).contains(lookAhead) else { throw ValidationError("--look-ahead must be 0…28") }
        guard serviceLevel > 0.5, serviceLevel < 1 else {
            throw ValidationError("--service-level must be between 0.5 and 1")
        }
        var planner = ServicePlanner(visitCost: visitCost, serviceLevel: serviceLevel)
        planner.clock = clock
        planner.lookAheadDays = lookAhead
        guard expiryVisitUnits > 0, emptySlotHourCost >= 0 else {
            throw ValidationError("--expiry-visit-units must be above 0, --empty-slot-hour-cost at least 0")
        }
        planner.emptySlotHourCost = emptySlotHourCost
        planner.expiryVisitUnits = expiryVisitUnits
        guard perishableLevel >= 0.5, perishableLevel < 1 else {
            throw ValidationError("--perishable-level must be at least 0.5 and below 1")
        }
        planner.perishableServiceLevel = perishableLevel
        var replay = PlanReplay(planner: planner, firstDay: first, days: replayDays)
        replay.expiredUnitsBlock = lockedExpired
        var rows = replay.runByDevice(devices)
        if budgetOfHistory {
            // The budget: the history's visits over the same days. The replay at a price keeps to it or not; the
            // lowest price that does is found as `VisitBudget` finds it (from the lowest price, doubling, then
            // bisection to 1 %), each try a whole replay.
            guard budgetShare > 0, budgetShare <= 10 else {
                throw ValidationError("--budget-share must be above 0 and at most 10")
            }
            let allowance = Int((Double(rows.reduce(0) { $0 + $1.history.visits }) * budgetShare).rounded(.down))
            typealias Rows = [(deviceID: String, history: PlanReplay.Outcome, plan: PlanReplay.Outcome)]
            func visits(_ rows: Rows) -> Int { rows.reduce(0) { $0 + $1.plan.visits } }
            func search(_ base: ServicePlanner) -> (cost: Double, rows: Rows, tries: Int) {
                // The lowest price from 1 whose replay keeps to the budget, found as the budget's plan finds it.
                let found = VisitBudget.lowestPrice(from: 1) { cost -> (Rows, Bool) in
                    var p = base
                    p.visitCost = cost
                    var r = PlanReplay(planner: p, firstDay: first, days: replayDays)
                    r.expiredUnitsBlock = lockedExpired
                    let rows = r.runByDevice(devices)
                    return (rows, visits(rows) <= allowance)
                }
                return (found.cost, found.result, found.evaluations)
            }
            var best = search(planner)
            var tries = best.tries
            var expiryVisits = "kept"
            if planner.expiryVisitUnits < 1_000_000 {
                // As `VisitBudget.plan` chooses: the search again without visits for expiry alone, and that plan
                // taken where it alone keeps to the budget, or where both do and the model expects it to do
                // better — judged before the period, on the plans for the whole of it made at each price from
                // the state the replay starts in (never on the replay's outcome).
                var relaxed = planner
                relaxed.expiryVisitUnits = 1_000_000
                let without = search(relaxed)
                tries += without.tries
                let start = PlanReplay(planner: planner, firstDay: first, days: replayDays).startingDevices(devices)
                let now = clock.midnight(first)
                var withPlanner = planner
                withPlanner.visitCost = best.cost
                var withoutPlanner = relaxed
                withoutPlanner.visitCost = without.cost
                let better = VisitBudget.withoutExpiryVisitsIsBetter(
                    start,
                    with: withPlanner.plan(start, now: now, fromDay: first, days: replayDays),
                    without: withoutPlanner.plan(start, now: now, fromDay: first, days: replayDays),
                    now: now,
                    until: clock.midnight(first + Int64(replayDays))
                )
                if visits(without.rows) <= allowance && (visits(best.rows) > allowance || better) {
                    best = without
                    expiryVisits = "left out"
                }
            }
            rows = best.rows
            FileHandle.standardError.write(Data("budget of the history's visits\n".utf8))
            print(
                String(
                    format:
                        "budget: %d visits (%.0f %% of the history's) over %d days; the lowest price of a visit that keeps to it %.2f (%d replays); visits for expiry alone %@",
                    allowance,
                    budgetShare * 100,
                    replayDays,
                    best.cost,
                    tries,
                    expiryVisits
                )
            )
        }
        var h = PlanReplay.Outcome()
        var p = PlanReplay.Outcome()
        for r in rows {
            h.add(r.history)
            p.add(r.plan)
        }
        let bound = replay.oracle(devices, maxVisits: h.visits)
        if verbose {
            for (i, r) in rows.enumerated() {
                print(
                    String(
                        format:
                            "%@: history %d visits, %.0f stockout-hours, %d spoiled; plan %d visits, %.0f stockout-hours, %d spoiled; oracle %d visits, %.0f stockout-hours",
                        r.deviceID,
                        r.history.visits,
                        r.history.stockoutHours,
                        r.history.spoiledUnits,
                        r.plan.visits,
                        r.plan.stockoutHours,
                        r.plan.spoiledUnits,
                        bound.deviceVisits[i],
                        bound.deviceHours[i]
                    )
                )
            }
        }
        func pct(_ a: Double, _ b: Double) -> Double { b > 0 ? (a - b) / b * 100 : 0 }
        print(
            String(
                format:
                    "history: %d visits, %.0f stockout-hours (%.0f in perishable slots), %d units spoiled, %d sold, %d lost",
                h.visits,
                h.stockoutHours,
                h.perishableStockoutHours,
                h.spoiledUnits,
                h.unitsSold,
                h.lostUnits
            )
        )
        print(
            String(
                format:
                    "plan:    %d visits, %.0f stockout-hours (%.0f in perishable slots), %d units spoiled, %d sold, %d lost",
                p.visits,
                p.stockoutHours,
                p.perishableStockoutHours,
                p.spoiledUnits,
                p.unitsSold,
                p.lostUnits
            )
        )
        print(
            "plan's visits by reason: "
                + p.visitsByReason.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                    "\($0.key) \($0.value)"
                }.joined(separator: ", ")
        )
        print(
            String(
                format:
                    "oracle:  %d visits, %.0f stockout-hours (%+.1f%% against history; no schedule within the history's visits leaves fewer than %.0f, %+.1f%%): the visit days chosen with every arrival known, each visit filling to capacity%@",
                bound.visits,
                bound.stockoutHours,
                pct(bound.stockoutHours, h.stockoutHours),
                bound.lowerBound,
                pct(bound.lowerBound, h.stockoutHours),
                lockedExpired ? " (dates ignored, so still a bound with locked units)" : ""
            )
        )
        let visitChange: Double = pct(Double(p.visits), Double(h.visits))
        let hoursChange: Double = pct(p.stockoutHours, h.stockoutHours)
        let spoilChange: Double = pct(Double(p.spoiledUnits), Double(h.spoiledUnits))
        let soldChange: Double = pct(Double(p.unitsSold), Double(h.unitsSold))
        print(
            String(
                format:
                    "replayed %d days over %d devices: visits %+.1f%%, stockout-hours %+.1f%%, spoilage %+.1f%%, units sold %+.1f%% (plan against history, same simulated demand)",
                replayDays,
                devices.count,
                visitChange,
                hoursChange,
                spoilChange,
                soldChange
            )
        )
    }
}

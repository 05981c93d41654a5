import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the revenue model: fit before each planogram change, predict the weeks after, compare.",
        discussion: "Reports MAPE per device-week, the interval's coverage, and a naive trailing-4-week baseline."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Weeks predicted after each change.") var weeks: Int = 4
    @Flag(help: "Print one line per device-week (with --demand: per slot interval; with --plan: per device).")
    var verbose = false
    @Flag(
        help:
            "Backtest the demand model instead (docs/MODELS.md): units per slot over the real intervals between visits, WAPE against the vends/day × days rule, and the calibration of sell-out probabilities."
    ) var demand = false
    @Option(help: "With --demand: rolling origins, four weeks apart, ending at the last day.") var origins: Int = 4
    @Option(
        help:
            "With --demand: forecast each slot's units over this many days from every origin instead (any history: days without times, no fills), against the naive forecast and the 8-week mean (docs/MODELS.md \"Forecasts on real data\")."
    ) var horizon: Int?
    @Option(help: "With --horizon: days between origins.") var stepDays: Int = 14
    @Flag(
        help:
            "On a generated fleet (--fixtures holding the generator's model.json), draw the fleet again to learn every slot's true daily demand. With --demand: score the forecast that knew it beside the model's (the noise no forecast removes). With --plan: both policies face that demand instead of the rates of a model fitted on all the history."
    ) var generatorTruth = false
    @Option(
        help:
            "Read the history's days and trading hours (with --plan, plan the visits too) on this zone's clock (IANA name; default UTC), as a server with that PLANOGRAM_TIMEZONE does."
    ) var timeZone: String?
    @Flag(
        help:
            "Replay the service plan over the last --replay-days of the history against the visits that happened (stockout-hours, visits, spoilage)."
    ) var plan = false
    @Option(help: "With --plan: days replayed.") var replayDays: Int = 28
    @Option(help: "With --plan: the cost of a visit.") var visitCost: Double = 25
    @Flag(
        help:
            "With --plan: plan within a budget of the history's own visits over the replayed days, as visits_per_day does: no price is set; the lowest price of a visit whose replay keeps to the budget is found by doubling and bisection (docs/MODELS.md \"The visit budget\")."
    ) var budgetOfHistory = false
    @Option(
        help:
            "With --budget-of-history: the budget as a share of the history's visits (0.5 = half of them), for the trade-off curve."
    ) var budgetShare: Double = 1
    @Option(help: "With --plan: days the visit rule looks ahead (0: the one-day renewal rule).") var lookAhead: Int = 7
    @Option(help: "With --plan: the price of an hour a slot stands empty, beside the margin lost.")
    var emptySlotHourCost: Double = 0
    @Option(help: "With --plan: units expected to stand past their date by the next day that call for a visit today.")
    var expiryVisitUnits: Double = 0.5
    @Option(help: "With --plan: the service level a pick list loads shelf-stable slots to (PLANOGRAM_SERVICE_LEVEL).")
    var serviceLevel: Double = 0.95
    @Option(
        help:
            "With --plan: the quantile of what sells before its date a pick list loads perishable slots to (PLANOGRAM_PERISHABLE_SERVICE_LEVEL)."
    ) var perishableLevel: Double = 0.5
    @Flag(
        help:
            "With --plan: machines lock units past their date (the slot stands empty for customers until a visit pulls them) instead of selling them as spoiled."
    ) var lockedExpired = false
    @Flag(
        help:
            "With --plan: give the planner the demand rates of the period itself (the truth of the replay) instead of a forecast fitted before it, to see what forecast error costs."
    ) var trueRates = false
    @Flag(
        help:
            "Revenue backtest of the first forecaster (Poisson at each device's mean interval) instead of the one predict/revenue serves, which rides on the count model."
    ) var part1 = false
    @Flag(
        help:
            "Revenue backtest with the count model's per-device trend in the forecast too (left out of predict/revenue: BENCHMARKS §8)."
    ) var countsTrend = false
    @Flag(
        help:
            "Leave one device out: venue-level demand against the fleet's best-seller list (recall of the ten top sellers, WAPE)."
    ) var venue = false

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...26).contains(origins) else { throw ValidationError("--origins must be 1…26") }
        guard !(part1 && countsTrend) else {
            throw ValidationError("--counts-trend is a variant of the count-driven forecaster; leave out --part1")
        }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "backtest")
        defer { cleanup() }
        let store = try Store(path: path)
        guard let clock = timeZone.map({ FleetClock(identifier: $0) }) ?? .utc else {
            throw ValidationError("--time-zone: no zone named \(timeZone ?? "")")
        }
        let history = try InsightsEngine.loadHistory(store, clock: clock)
        if venue {
            let r = VenueBacktest.run(history)
            print(
                String(
                    format:
                        "leave-one-device-out over %d devices: recall of the top 10 sellers %.1f %% (fleet best-seller list %.1f %%), WAPE of units per product %.1f %% (fleet best-seller list %.1f %%)",
                    r.devices,
                    r.recallAt10 * 100,
                    r.baselineRecallAt10 * 100,
                    r.wape * 100,
                    r.baselineWAPE * 100
                )
            )
            return
        }
        if plan {
            guard (7...120).contains(replayDays) else { throw ValidationError("--replay-days must be 7…120") }
            let first = Int64(history.lastDay) + 1 - Int64(replayDays)
            FileHandle.standardError.write(
                Data("backtest --plan: fitting the truth (all data) and the forecast (before day \(first))\n".utf8)
            )
            let truth = Insights.DemandModel.fit(history)
            let forecast = trueRates ? truth : Insights.DemandModel.fit(history, before: Int32(first))
            var trueDemand: ((SlotKey, Int64) -> (productID: String, unitsPerDay: Double)?)?
            if generatorTruth {
                let rates = try GeneratorTruth.rates(fixtures: fixtures)
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
                    func replayed(_ cost: Double) -> Rows {
                        var p = base
                        p.visitCost = cost
                        var r = PlanReplay(planner: p, firstDay: first, days: replayDays)
                        r.expiredUnitsBlock = lockedExpired
                        return r.runByDevice(devices)
                    }
                    var low = 1.0
                    var tries = 1
                    var best = (cost: low, rows: replayed(low))
                    if visits(best.rows) > allowance {
                        var high = 2.0
                        var found: Rows?
                        while found == nil && high < 1_000_000 {
                            let r = replayed(high)
                            tries += 1
                            if visits(r) <= allowance {
                                found = r
                            } else {
                                low = high
                                high *= 2
                            }
                        }
                        if let found { best = (high, found) }
                        while found != nil && (high - low) / high > 0.01 {
                            let mid = (low + high) / 2
                            let r = replayed(mid)
                            tries += 1
                            if visits(r) <= allowance {
                                high = mid
                                best = (mid, r)
                            } else {
                                low = mid
                            }
                        }
                    }
                    return (best.cost, best.rows, tries)
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
            return
        }
        if demand, let horizon {
            guard (7...56).contains(horizon), (1...56).contains(stepDays) else {
                throw ValidationError("--horizon must be 7…56 days and --step-days 1…56")
            }
            var hb = HorizonBacktest(history: history)
            hb.horizon = Int32(horizon)
            hb.origins = origins
            hb.stepDays = Int32(stepDays)
            hb.progress = { i, n in
                FileHandle.standardError.write(Data("backtest --demand --horizon: origin \(i)/\(n) (fitting)\n".utf8))
            }
            print(HorizonReport.text(hb.run(), verbose: verbose), terminator: "")
            return
        }
        if demand {
            var dbt = DemandBacktest(history: history)
            dbt.origins = origins
            if generatorTruth {
                let rates = try GeneratorTruth.rates(fixtures: fixtures)
                dbt.trueDemand = { key, day in rates[key]?[day]?.unitsPerDay }
            }
            dbt.progress = { i, n in
                FileHandle.standardError.write(Data("backtest --demand: origin \(i)/\(n) (fitting)\n".utf8))
            }
            let r = dbt.run()
            if verbose {
                for i in r.intervals {
                    print(
                        String(
                            format:
                                "%@ day %d +%d cap %d actual %.0f predicted %.2f baseline %.2f p(sold out) %.2f sold out %@",
                            i.key.description,
                            Int(i.startDay),
                            i.days,
                            i.capacity,
                            i.actual,
                            i.predicted,
                            i.baseline,
                            i.soldOutProbability,
                            i.soldOut ? "yes" : "no"
                        )
                    )
                }
            }
            print("calibration of sell-out probability (decile: predicted → observed, n):")
            for (b, d) in r.calibration.enumerated() {
                print(
                    String(format: "  %2d: %5.1f%% → %5.1f%% (%d)", b + 1, d.predicted * 100, d.observed * 100, d.count)
                )
            }
            func lower(_ w: Double) -> Double { r.baselineWAPE > 0 ? (1 - w / r.baselineWAPE) * 100 : 0 }
            print(
                String(
                    format:
                        "point forecasts: expected units %.2f%% WAPE (%.1f%% lower than the rule); median units %.2f%%; noise floor (a perfect forecast, demand as predicted) %.2f%%",
                    r.wape,
                    lower(r.wape),
                    r.medianWAPE,
                    r.noiseFloorWAPE
                )
            )
            let perDevice = r.deviceIntervalWAPE
            print(
                String(
                    format:
                        "units per device over its visit intervals (every slot summed): model WAPE %.2f%%, baseline %.2f%%",
                    perDevice.model,
                    perDevice.baseline
                )
            )
            if let t = r.truthWAPE {
                print(
                    String(
                        format:
                            "generator's truth, %d slot intervals: the true distribution's median %.2f%% WAPE (the model's %.2f%% on the same intervals); its expected floor %.2f%%; its expected units %.3f × those sold",
                        t.intervals,
                        t.truth,
                        t.model,
                        t.floor,
                        t.expectedOverSold
                    )
                )
            }
            print(
                String(
                    format:
                        "origins %d, slot intervals %d: model WAPE %.2f%% (median), baseline (vends/day × days) WAPE %.2f%% (capped at capacity %.2f%%), %.1f%% lower; calibration gap at most %.1f points",
                    r.origins.count,
                    r.intervals.count,
                    r.medianWAPE,
                    r.baselineWAPE,
                    r.cappedBaselineWAPE,
                    lower(r.medianWAPE),
                    r.calibrationGap
                )
            )
            return
        }
        var bt = Insights.Backtest(history: history)
        bt.weeksAfter = weeks
        if !part1 {
            let trend = countsTrend
            bt.forecaster = { model, affinity in
                RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model, includesTrend: trend)
                    .forecaster(model: model, affinity: affinity)
            }
        }
        var last = Date.distantPast
        bt.progress = { i, n in
            if Date().timeIntervalSince(last) > 1 || i == n {
                last = Date()
                FileHandle.standardError.write(Data("backtest: change \(i)/\(n)\n".utf8))
            }
        }
        let r = bt.run()
        if verbose {
            for w in r.weeks {
                print(
                    String(
                        format: "%@ %@ day %d actual %.2f predicted %.2f [%.2f, %.2f] naive %.2f",
                        w.deviceID,
                        w.change.description,
                        Int(w.firstDay),
                        w.actual,
                        w.predicted,
                        w.lower,
                        w.upper,
                        w.naive
                    )
                )
            }
        }
        print(String(format: "bias (mean signed error): model %+.2f%%, naive %+.2f%%", r.bias, r.naiveBias))
        print(
            String(
                format:
                    "changes %d, device-weeks %d: model MAPE %.2f%% (median APE %.2f%%), naive MAPE %.2f%%, 95%% interval coverage %.1f%%",
                r.changes,
                r.weeks.count,
                r.mape,
                r.medianAPE * 100,
                r.naiveMAPE,
                r.coverage * 100
            )
        )
    }
}

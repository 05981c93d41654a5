import Foundation
import PlanogramDomain
import XCTest

@testable import Forecasting

final class ServicePlannerTests: XCTestCase {
    let day: Int64 = 86_400
    let start: Int64 = 20_000  // days since 1970

    func slot(
        _ code: String,
        rate: Double,
        capacity: Int,
        lots: [(Int64, Int)],
        price: Double = 2,
        shelfLife: Int? = nil,
        caseSize: Int = 12
    ) -> PlannerSlot {
        PlannerSlot(
            key: SlotKey(CabinetKey("D", 0), SlotCode(code)!),
            productID: "P-\(code)",
            price: price,
            unitCost: price * 0.4,
            capacity: capacity,
            caseSize: caseSize,
            shelfLifeDays: shelfLife,
            demand: DemandPath(firstDay: start, ratePerDay: [rate], size: .infinity),
            lots: lots.map { (loadedAt: $0.0, units: $0.1) }
        )
    }

    func testALowFastSlotIsVisitedTheFirstDayForItsStockoutRisk() throws {
        let now = start * day + 7 * 3600
        let device = PlannerDevice(
            deviceID: "D",
            access: TimeWindow(from: 8 * 60, until: 18 * 60),
            lastVisit: now - 2 * day,
            slots: [slot("A1", rate: 30, capacity: 40, lots: [(now - 2 * day, 3)])]
        )
        let plan = ServicePlanner(visitCost: 20).plan([device], now: now, fromDay: start, days: 3)
        let first = try XCTUnwrap(plan.first)
        XCTAssertEqual(first.day, start)
        XCTAssertEqual(first.at, start * day + 8 * 3600, "at the start of the access window")
        XCTAssertTrue(first.reasons.contains("stockout_risk"), "\(first.reasons)")
        XCTAssertGreaterThan(first.expectedLostRevenueAvoided, 20)
        let pick = try XCTUnwrap(first.picks.first)
        XCTAssertGreaterThan(pick.load, 0)
        XCTAssertLessThanOrEqual(pick.load + pick.expectedStock, 40, "never above capacity")
    }

    func testALotAboutToExpireIsPulledAtAnExpiryVisit() throws {
        let now = start * day + 7 * 3600
        // Four sandwiches loaded 2.9 days ago with a 3-day shelf life; slow sales; an expensive visit.
        let device = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - Int64(2.9 * 86_400),
            slots: [slot("B1", rate: 0.2, capacity: 6, lots: [(now - Int64(2.9 * 86_400), 4)], shelfLife: 3)]
        )
        let plan = ServicePlanner(visitCost: 1_000).plan([device], now: now, fromDay: start, days: 2)
        let visit = try XCTUnwrap(plan.first)
        XCTAssertTrue(visit.reasons.contains("expiry"), "\(visit.reasons)")
        XCTAssertFalse(visit.reasons.contains("stockout_risk"))
        XCTAssertGreaterThan(visit.expectedSpoiledUnitsAvoided, 3)
        XCTAssertEqual(visit.picks.first?.pull, 4)
    }

    func testAShelfStableSlotIsLoadedSoItIsStillNotEmptyAtTheVisitAfterNextWithTheServiceLevel() throws {
        let now = start * day + 7 * 3600
        // A slow slot, empty, on a device due for its longest interval: 0.3 units a day, the next visits
        // three and six days on (its usual interval).
        let device = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - 7 * day,
            slots: [slot("A1", rate: 0.3, capacity: 10, lots: [])],
            usualIntervalDays: 3
        )
        let visit = try XCTUnwrap(
            ServicePlanner(visitCost: 25, maxIntervalDays: 7).plan([device], now: now, fromDay: start, days: 1).first
        )
        let load = try XCTUnwrap(visit.picks.first).load
        let demand = CountDistribution(mean: 0.3 * 6)
        XCTAssertLessThanOrEqual(
            demand.atLeast(load),
            0.05,
            "the slot runs empty before the visit after next at most 5 % of the time"
        )
        XCTAssertGreaterThan(demand.atLeast(load - 1), 0.05, "and not a unit more than that needs")
        XCTAssertEqual(load, demand.quantile(0.95) + 1)
    }

    func testAProductWithMonthsOfShelfLifeIsLoadedAtTheServiceLevelNotTheNewsvendorsRatio() throws {
        let now = start * day + 7 * 3600
        func load(shelfLife: Int?) throws -> Int {
            let device = PlannerDevice(
                deviceID: "D",
                access: nil,
                lastVisit: now - 7 * day,
                slots: [slot("A1", rate: 2, capacity: 40, lots: [], shelfLife: shelfLife)],
                usualIntervalDays: 3
            )
            return try XCTUnwrap(
                ServicePlanner(visitCost: 25).plan([device], now: now, fromDay: start, days: 1).first?.picks.first
            ).load
        }
        // Chips good for 270 days: a unit left over sells at the next visit, so nothing is lost by covering.
        XCTAssertEqual(try load(shelfLife: 270), try load(shelfLife: nil))
        // A sandwich good for 3 days is loaded for what sells before it expires, at the perishable level.
        XCTAssertLessThan(try load(shelfLife: 3), try load(shelfLife: nil))
        XCTAssertLessThanOrEqual(try load(shelfLife: 3), CountDistribution(mean: 2 * 3).quantile(0.95))
    }

    func testAPerishableLevelLoadsASandwichToThatQuantileOfWhatSellsBeforeItsDate() throws {
        let now = start * day + 7 * 3600
        func load(_ level: Double) throws -> Int {
            let device = PlannerDevice(
                deviceID: "D",
                access: nil,
                lastVisit: now - 7 * day,
                slots: [slot("A1", rate: 2, capacity: 40, lots: [], shelfLife: 3)],
                usualIntervalDays: 3
            )
            var planner = ServicePlanner(visitCost: 25)
            planner.perishableServiceLevel = level
            return try XCTUnwrap(planner.plan([device], now: now, fromDay: start, days: 1).first?.picks.first).load
        }
        // The median by default; a level set is that quantile of the demand until the date (three days), not
        // of the longer horizon to the visit after next.
        XCTAssertEqual(ServicePlanner().perishableServiceLevel, 0.5)
        XCTAssertEqual(try load(0.5), CountDistribution(mean: 2 * 3).quantile(0.5))
        XCTAssertEqual(try load(0.95), CountDistribution(mean: 2 * 3).quantile(0.95))
        XCTAssertGreaterThan(try load(0.95), try load(0.5))
    }

    func testALotThatSellsBeforeItExpiresCallsForNoExpiryVisit() throws {
        let now = start * day + 7 * 3600
        // Two sandwiches expiring this afternoon in a slot that sells ten a day: they will be gone by then.
        let device = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - Int64(2.5 * 86_400),
            slots: [slot("B1", rate: 10, capacity: 40, lots: [(now - Int64(2.5 * 86_400), 2)], shelfLife: 3)]
        )
        let plan = ServicePlanner(visitCost: 1_000).plan([device], now: now, fromDay: start, days: 1)
        XCTAssertFalse(plan.first?.reasons.contains("expiry") ?? false, "\(plan.first?.reasons ?? [])")
        // The same lot in a slot that sells one a day stands expired: that is a visit.
        let slow = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - Int64(2.5 * 86_400),
            slots: [slot("B1", rate: 1, capacity: 40, lots: [(now - Int64(2.5 * 86_400), 2)], shelfLife: 3)]
        )
        let visit = try XCTUnwrap(
            ServicePlanner(visitCost: 1_000).plan([slow], now: now, fromDay: start, days: 1).first
        )
        XCTAssertTrue(visit.reasons.contains("expiry"))
    }

    func testALotExpiringAtTomorrowsVisitTimeWaitsForThatVisit() throws {
        let now = start * day + 7 * 3600
        let visitTime = 8 * 3600 as Int64  // no access window: 08:00
        func visitDays(loadedAt: Int64) -> [[String]: Int64] {
            let device = PlannerDevice(
                deviceID: "D",
                access: nil,
                lastVisit: loadedAt,
                slots: [slot("B1", rate: 0.2, capacity: 6, lots: [(loadedAt, 4)], shelfLife: 3)]
            )
            let plan = ServicePlanner(visitCost: 1_000).plan([device], now: now, fromDay: start, days: 2)
            return Dictionary(plan.map { ($0.reasons, $0.day) }, uniquingKeysWith: min)
        }
        // Loaded three days before tomorrow's visit time: it expires as tomorrow's visit begins.
        let atTheVisit = (start - 2) * day + visitTime
        XCTAssertEqual(visitDays(loadedAt: atTheVisit), [["expiry"]: start + 1], "tomorrow's visit is soon enough")
        // A second earlier it would stand past its date before tomorrow's visit: today.
        XCTAssertEqual(visitDays(loadedAt: atTheVisit - 1)[["expiry"]], start)
    }

    func testAQuietDeviceWaitsForTheLongestInterval() throws {
        let now = start * day + 7 * 3600
        let device = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - 3 * day,
            slots: [slot("A1", rate: 0.5, capacity: 20, lots: [(now - 3 * day, 18)])]
        )
        let plan = ServicePlanner(visitCost: 25, maxIntervalDays: 7).plan([device], now: now, fromDay: start, days: 10)
        XCTAssertEqual(plan.map(\.day), [start + 4], "seven days after the last visit, and not before")
        XCTAssertEqual(plan.first?.reasons, ["max_interval"])
    }

    /// On the fleet's clock (`PLANOGRAM_TIMEZONE`): plan days are local dates, a visit is at the access
    /// window's local opening, and "seven days after the last visit" is the same local day across the
    /// spring change, when seven days of wall clock are an hour shorter.
    func testOnBerlinsClockVisitsAreAtLocalTimesAndTheLongestIntervalSurvivesTheChangeOfClock() throws {
        let berlin = try XCTUnwrap(FleetClock(identifier: "Europe/Berlin"))
        let march25 = FleetClockTests.day(2026, 3, 25)
        let april1 = FleetClockTests.day(2026, 4, 1)
        let lastVisit = berlin.instant(day: march25, minute: 8 * 60)  // 07:00Z, UTC+1
        XCTAssertEqual(lastVisit, march25 * day + 7 * 3600)
        let now = berlin.instant(day: march25 + 3, minute: 6 * 60)
        func quiet() -> PlannerDevice {
            PlannerDevice(
                deviceID: "D",
                access: TimeWindow(from: 8 * 60, until: 18 * 60),
                lastVisit: lastVisit,
                slots: [
                    PlannerSlot(
                        key: SlotKey(CabinetKey("D", 0), SlotCode("A1")!),
                        productID: "P",
                        price: 2,
                        unitCost: 0.8,
                        capacity: 20,
                        caseSize: 12,
                        shelfLifeDays: nil,
                        demand: DemandPath(firstDay: march25, ratePerDay: [0.5], size: .infinity),
                        lots: [(loadedAt: lastVisit, units: 18)]
                    )
                ]
            )
        }
        var planner = ServicePlanner(visitCost: 25, maxIntervalDays: 7)
        planner.clock = berlin
        let plan = planner.plan([quiet()], now: now, fromDay: berlin.day(of: now), days: 8)
        let visit = try XCTUnwrap(plan.first)
        XCTAssertEqual(plan.count, 1)
        XCTAssertEqual(visit.day, april1, "seven local days after the last visit")
        XCTAssertEqual(visit.reasons, ["max_interval"])
        XCTAssertEqual(visit.at, april1 * day + 6 * 3600, "08:00 in Berlin, UTC+2 since 29 March")
        // The same device on UTC's clock: its visits are at 08:00Z.
        let utc = ServicePlanner(visitCost: 25, maxIntervalDays: 7).plan(
            [quiet()],
            now: now,
            fromDay: FleetClock.utc.day(of: now),
            days: 8
        )
        XCTAssertEqual(utc.first.map { $0.at % day }, 8 * 3600)
    }

    func testAPickLineSaysTheModelsLoadAndTheParsAndFollowsTheRule() throws {
        let now = start * day + 7 * 3600
        // Empty, slow (0.3 a day): the model loads its quantile + 1 (4); the operator's par is 7.
        func visit(_ rule: PickRule, par: Int?) throws -> PickLine {
            var s = slot("A1", rate: 0.3, capacity: 10, lots: [])
            s.par = par
            let device = PlannerDevice(
                deviceID: "D",
                access: nil,
                lastVisit: now - 7 * day,
                slots: [s],
                usualIntervalDays: 3
            )
            var planner = ServicePlanner(visitCost: 25, maxIntervalDays: 7)
            planner.pickRule = rule
            return try XCTUnwrap(planner.plan([device], now: now, fromDay: start, days: 1).first?.picks.first)
        }
        let model = CountDistribution(mean: 0.3 * 6).quantile(0.95) + 1
        let byModel = try visit(.model, par: 7)
        XCTAssertEqual(byModel.load, model)
        XCTAssertEqual(byModel.modelLoad, model)
        XCTAssertEqual(byModel.parLoad, 7)
        XCTAssertEqual(byModel.rule, .model)
        let byPar = try visit(.par, par: 7)
        XCTAssertEqual(byPar.load, 7)
        XCTAssertEqual(byPar.modelLoad, model)
        XCTAssertEqual(byPar.rule, .par)
        XCTAssertEqual(try visit(.max, par: 2).load, model, "the larger of the two")
        XCTAssertEqual(try visit(.max, par: 9).load, 9)
        // Without a par the par rule falls back to the model, and says so.
        let noPar = try visit(.par, par: nil)
        XCTAssertEqual(noPar.load, model)
        XCTAssertNil(noPar.parLoad)
        XCTAssertEqual(noPar.rule, .model)
    }

    func testAPlansExpectedOutcomeCountsEmptyHoursAndUnitsPastTheirDateAndAVisitLowersThem() throws {
        let now = start * day + 8 * 3600
        let end = now + 5 * day
        // Two units left, three sell a day: empty within a day unless a visit loads it.
        let device = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - day,
            slots: [slot("A1", rate: 3, capacity: 20, lots: [(now - day, 2)])]
        )
        let none = PlanOutcome.expected([device], visits: [], now: now, until: end)
        XCTAssertEqual(none.visits, 0)
        XCTAssertGreaterThan(none.stockoutHours, 3 * 16, "empty most of the trading hours of four days")
        let visit = PlannedVisit(
            deviceID: "D",
            day: start,
            at: now + 3600,
            reasons: ["stockout_risk"],
            expectedLostRevenueAvoided: 0,
            expectedSpoiledUnitsAvoided: 0,
            picks: [
                PickLine(
                    key: SlotKey(CabinetKey("D", 0), SlotCode("A1")!),
                    productID: "P-A1",
                    load: 18,
                    pull: 0,
                    expectedStock: 2
                )
            ]
        )
        let one = PlanOutcome.expected([device], visits: [visit], now: now, until: end)
        XCTAssertEqual(one.visits, 1)
        XCTAssertLessThan(one.stockoutHours, none.stockoutHours / 4)
        // A slow slot with a day's shelf life: what does not sell by its date is past it.
        let fresh = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now,
            slots: [slot("A1", rate: 0.5, capacity: 10, lots: [(now, 6)], shelfLife: 1)]
        )
        let spoiled = PlanOutcome.expected([fresh], visits: [], now: now, until: end).spoiledUnits
        XCTAssertGreaterThan(spoiled, 5)
        XCTAssertLessThan(spoiled, 6)
    }

    /// A unit pulled for its date is written off as surely as one left to pass it: a plan's expected spoilage
    /// counts what its visits pull.
    func testAPlansExpectedSpoilageCountsWhatItsVisitsPull() {
        let now = start * day + 8 * 3600
        let end = now + 5 * day
        let fresh = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now,
            slots: [slot("A1", rate: 0.5, capacity: 10, lots: [(now, 6)], shelfLife: 2)]
        )
        let left = PlanOutcome.expected([fresh], visits: [], now: now, until: end).spoiledUnits
        let pullAll = PlannedVisit(
            deviceID: "D",
            day: start + 1,
            at: now + day,
            reasons: ["expiry"],
            expectedLostRevenueAvoided: 0,
            expectedSpoiledUnitsAvoided: 0,
            picks: [
                PickLine(
                    key: SlotKey(CabinetKey("D", 0), SlotCode("A1")!),
                    productID: "P-A1",
                    load: 0,
                    pull: 6,
                    expectedStock: 5
                )
            ]
        )
        let pulled = PlanOutcome.expected([fresh], visits: [pullAll], now: now, until: end).spoiledUnits
        // What stood after a day's sales (about 5.5) is pulled; left alone, a little more sells before the date.
        XCTAssertGreaterThan(pulled, 5.3)
        XCTAssertLessThan(pulled, 5.7)
        XCTAssertGreaterThan(pulled, left)
    }

    /// Within a budget, the plan without visits for expiry alone is taken when the model expects fewer empty
    /// slot-hours from it and no more units spoiled; a plan that only drops the expiry visit is not better.
    func testThePlanWithoutExpiryVisitsIsBetterOnlyWhenItServesTheStockAndSpoilsNoMore() {
        let now = start * day + 8 * 3600
        let end = now + 4 * day
        let fresh = PlannerDevice(
            deviceID: "F",
            access: nil,
            lastVisit: now,
            slots: [
                PlannerSlot(
                    key: SlotKey(CabinetKey("F", 0), SlotCode("A1")!),
                    productID: "sandwich",
                    price: 4,
                    unitCost: 2,
                    capacity: 6,
                    caseSize: 1,
                    shelfLifeDays: 1,
                    demand: DemandPath(firstDay: start, ratePerDay: [0.2], size: .infinity),
                    lots: [(loadedAt: now - day / 2, units: 4)]
                )
            ]
        )
        let busy = PlannerDevice(
            deviceID: "D",
            access: nil,
            lastVisit: now - day,
            slots: ["A1", "A2", "A3"].map { slot($0, rate: 6, capacity: 20, lots: [(now - day, 3)]) }
        )
        func visit(_ device: String, _ codes: [String], pull: Int, load: Int) -> PlannedVisit {
            PlannedVisit(
                deviceID: device,
                day: start,
                at: now + 3600,
                reasons: [pull > 0 ? "expiry" : "stockout_risk"],
                expectedLostRevenueAvoided: 0,
                expectedSpoiledUnitsAvoided: 0,
                picks: codes.map {
                    PickLine(
                        key: SlotKey(CabinetKey(device, 0), SlotCode($0)!),
                        productID: device == "F" ? "sandwich" : "P-\($0)",
                        load: load,
                        pull: pull,
                        expectedStock: 3
                    )
                }
            )
        }
        // The expiry visit replaces the four sandwiches with four fresh ones (which pass their date in turn).
        let withExpiry = [visit("F", ["A1"], pull: 4, load: 4)]
        // The same one visit spent on the busy machine: its three slots hold, and the sandwiches pass their date.
        XCTAssertTrue(
            VisitBudget.withoutExpiryVisitsIsBetter(
                [fresh, busy],
                with: withExpiry,
                without: [visit("D", ["A1", "A2", "A3"], pull: 0, load: 17)],
                now: now,
                until: end
            )
        )
        // Only the expiry visit dropped: the sandwich slot stands empty sooner, so not better.
        XCTAssertFalse(
            VisitBudget.withoutExpiryVisitsIsBetter([fresh, busy], with: withExpiry, without: [], now: now, until: end)
        )
    }

    func testPickTotalsRoundUpToCases() {
        let key = SlotKey(CabinetKey("D", 0), SlotCode("A1")!)
        let v = PlannedVisit(
            deviceID: "D",
            day: start,
            at: 0,
            reasons: [],
            expectedLostRevenueAvoided: 0,
            expectedSpoiledUnitsAvoided: 0,
            picks: [
                PickLine(key: key, productID: "X", load: 13, pull: 0, expectedStock: 0),
                PickLine(key: key, productID: "Y", load: 0, pull: 2, expectedStock: 2),
            ]
        )
        let totals = PickTotals.byProduct([v, v], caseSize: { $0 == "X" ? 12 : 6 })
        XCTAssertEqual(totals.map(\.productID), ["X"])
        XCTAssertEqual(totals.first?.units, 26)
        XCTAssertEqual(totals.first?.cases, 3)
    }
}

final class PlanReplayTests: XCTestCase {
    func testBothPoliciesFaceTheSameDemandAndVisitingLessLeavesSlotsEmptyLonger() {
        let first: Int64 = 20_000
        let slot = PlannerSlot(
            key: SlotKey(CabinetKey("D", 0), SlotCode("A1")!),
            productID: "P",
            price: 2,
            unitCost: 1,
            capacity: 20,
            caseSize: 10,
            shelfLifeDays: nil,
            demand: DemandPath(firstDay: first, ratePerDay: [10], size: .infinity),
            lots: []
        )
        let device = PlanReplay.Device(
            deviceID: "D",
            access: nil,
            slots: [PlanReplay.Slot(planner: slot, trueRatePerDay: Array(repeating: 10, count: 14))],
            historicalVisitDays: Set((0..<14).map { first + Int64($0) }),
            lastVisitBefore: first * 86_400 - 86_400
        )
        // A plan that never pays for a visit (cost far above any loss, longest interval beyond the period).
        let replay = PlanReplay(planner: ServicePlanner(visitCost: 1e9, maxIntervalDays: 60), firstDay: first, days: 14)
        let (history, plan) = replay.run([device])
        XCTAssertEqual(history.visits, 14)
        XCTAssertEqual(plan.visits, 0)
        XCTAssertEqual(plan.unitsSold, 20, "the slot sells what it held, then stands empty")
        XCTAssertGreaterThan(plan.stockoutHours, 150)
        XCTAssertLessThan(history.stockoutHours, plan.stockoutHours)
        XCTAssertEqual(
            history.unitsSold + history.lostUnits,
            plan.unitsSold + plan.lostUnits,
            "the same demand for both"
        )
        XCTAssertEqual(replay.run([device]).history, history, "deterministic")
        XCTAssertEqual(history.visitsByReason, [:], "the history's visits have no reasons")
        // A plan that visits when the slot runs low: its visits, each counted under its reasons.
        let busy = PlanReplay(planner: ServicePlanner(visitCost: 1, maxIntervalDays: 60), firstDay: first, days: 14)
            .run([device]).plan
        XCTAssertGreaterThan(busy.visits, 3)
        XCTAssertEqual(busy.visitsByReason.values.reduce(0, +), busy.visits)
        XCTAssertEqual(busy.visitsByReason["stockout_risk"], busy.visits, "every one for the stockout risk")
    }

    func testALockedUnitPastItsDateEmptiesTheSlotUntilAVisitPullsIt() {
        let first: Int64 = 20_000
        // 20 sandwiches with a two-day life, loaded the evening before; about 4 asked for a day.
        let slot = PlannerSlot(
            key: SlotKey(CabinetKey("D", 0), SlotCode("A1")!),
            productID: "S",
            price: 4,
            unitCost: 2,
            capacity: 20,
            caseSize: 5,
            shelfLifeDays: 2,
            demand: DemandPath(firstDay: first, ratePerDay: [4], size: .infinity),
            lots: []
        )
        let loaded = first * 86_400 - 2 * 3_600
        let device = PlanReplay.Device(
            deviceID: "D",
            access: nil,
            slots: [PlanReplay.Slot(planner: slot, trueRatePerDay: Array(repeating: 4, count: 5))],
            historicalVisitDays: [first + 4],
            lastVisitBefore: loaded
        )
        let planner = ServicePlanner(visitCost: 1e9, maxIntervalDays: 60)
        let open = PlanReplay(planner: planner, firstDay: first, days: 5)
        var locked = open
        locked.expiredUnitsBlock = true
        let sold = open.run([device]).history
        let blocked = locked.run([device]).history
        let expiry = loaded + 2 * 86_400
        let visit = ServicePlanner.visitTime(day: first + 4, access: nil)
        // The same demand and the same sales before the date; the units not sold by then are spoiled either
        // way (sold past it, or pulled at the visit), and the next lot does not reach its date in the period.
        XCTAssertEqual(sold.unitsSold, blocked.unitsSold)
        XCTAssertEqual(sold.spoiledUnits, blocked.spoiledUnits)
        XCTAssertGreaterThan(blocked.spoiledUnits, 0)
        // Locked: from the expiry to the visit the slot stands empty (those trading hours at least) and the
        // arrivals meanwhile are lost.
        XCTAssertGreaterThanOrEqual(blocked.stockoutHours, PlanReplay.tradingHours(from: expiry, to: visit) - 1e-9)
        XCTAssertGreaterThan(blocked.lostUnits, sold.lostUnits)
        // Not locked: the slot is not empty meanwhile, its units are sold past their date.
        XCTAssertLessThan(sold.stockoutHours, PlanReplay.tradingHours(from: expiry, to: visit))
        // A slot nobody asks at stands empty from its date too: locked, it has nothing to sell.
        let quiet = PlanReplay.Device(
            deviceID: "Q",
            access: nil,
            slots: [PlanReplay.Slot(planner: slot, trueRatePerDay: Array(repeating: 0, count: 5))],
            historicalVisitDays: [first + 4],
            lastVisitBefore: loaded
        )
        XCTAssertEqual(open.run([quiet]).history.stockoutHours, 0)
        XCTAssertEqual(
            locked.run([quiet]).history.stockoutHours,
            PlanReplay.tradingHours(from: expiry, to: visit),
            accuracy: 1e-9
        )
        XCTAssertEqual(locked.run([quiet]).history.spoiledUnits, 20)
        // Those hours are a fresh product's (two days of life); a slot of the same product with months of
        // life stands empty in the same replay as shelf-stable, not fresh.
        XCTAssertEqual(blocked.perishableStockoutHours, blocked.stockoutHours)
        let chips = PlannerSlot(
            key: slot.key,
            productID: "C",
            price: 4,
            unitCost: 2,
            capacity: 20,
            caseSize: 5,
            shelfLifeDays: 2 * planner.maxIntervalDays + 1,
            demand: DemandPath(firstDay: first, ratePerDay: [30], size: .infinity),
            lots: []
        )
        let stable = PlanReplay.Device(
            deviceID: "C",
            access: nil,
            slots: [PlanReplay.Slot(planner: chips, trueRatePerDay: Array(repeating: 30, count: 5))],
            historicalVisitDays: [first + 4],
            lastVisitBefore: loaded
        )
        let stableRun = open.run([stable]).history
        XCTAssertGreaterThan(stableRun.stockoutHours, 0, "30 a day empty 20 units before the visit")
        XCTAssertEqual(stableRun.perishableStockoutHours, 0)
    }

    /// Three slots of different depth, a device visited every third day for 12 days.
    func oracleCase(days: Int) -> (PlanReplay, PlanReplay.Device) {
        let first: Int64 = 20_000
        let specs: [(String, Double, Int)] = [("A1", 4, 10), ("A2", 1.5, 6), ("B1", 0.4, 4)]
        let slots = specs.map { code, rate, cap in
            PlanReplay.Slot(
                planner: PlannerSlot(
                    key: SlotKey(CabinetKey("D", 0), SlotCode(code)!),
                    productID: code,
                    price: 2,
                    unitCost: 1,
                    capacity: cap,
                    caseSize: 10,
                    shelfLifeDays: nil,
                    demand: DemandPath(firstDay: first, ratePerDay: [rate], size: .infinity),
                    lots: []
                ),
                trueRatePerDay: Array(repeating: rate, count: days)
            )
        }
        let device = PlanReplay.Device(
            deviceID: "D",
            access: TimeWindow(from: 7 * 60, until: 20 * 60),
            slots: slots,
            historicalVisitDays: Set(stride(from: 0, to: days, by: 3).map { first + Int64($0) }),
            lastVisitBefore: first * 86_400 - 86_400
        )
        return (PlanReplay(planner: ServicePlanner(), firstDay: first, days: days), device)
    }

    func testTheOracleTableReproducesTheReplayOfTheHistorysOwnVisits() {
        let (replay, device) = oracleCase(days: 12)
        let history = replay.run([device]).history
        let days = device.historicalVisitDays.map { Int($0 - replay.firstDay) }
        XCTAssertEqual(replay.stockoutHours(device, visitDays: days), history.stockoutHours, accuracy: 1e-6)
        XCTAssertGreaterThan(history.stockoutHours, 0, "the case has stockouts to remove")
        let bound = replay.oracle([device], maxVisits: history.visits)
        XCTAssertLessThanOrEqual(bound.visits, history.visits)
        XCTAssertLessThanOrEqual(
            bound.stockoutHours,
            history.stockoutHours + 1e-9,
            "the history's own days are one schedule it weighs"
        )
        XCTAssertLessThanOrEqual(bound.lowerBound, bound.stockoutHours + 1e-9)
        let none = replay.oracle([device], maxVisits: 0)
        XCTAssertEqual(none.visits, 0)
        XCTAssertEqual(none.stockoutHours, replay.stockoutHours(device, visitDays: []), accuracy: 1e-9)
    }

    func testTheOracleBracketsTheBestScheduleFoundByTryingThemAll() {
        let (replay, device) = oracleCase(days: 9)
        for budget in 0...5 {
            // Every set of visit days of the nine with at most `budget` visits.
            var best = Double.infinity
            for mask in 0..<(1 << 9) where mask.nonzeroBitCount <= budget {
                best = min(best, replay.stockoutHours(device, visitDays: (0..<9).filter { mask & (1 << $0) != 0 }))
            }
            let bound = replay.oracle([device], maxVisits: budget)
            XCTAssertLessThanOrEqual(bound.visits, budget)
            XCTAssertLessThanOrEqual(bound.lowerBound, best + 1e-6, "budget \(budget)")
            XCTAssertGreaterThanOrEqual(
                bound.stockoutHours,
                best - 1e-6,
                "budget \(budget): a schedule cannot beat the best"
            )
        }
    }
}

final class VisitScheduleTests: XCTestCase {
    let day: Int64 = 86_400
    let start: Int64 = 20_000

    func slot(_ code: String, rate: Double, capacity: Int, margin: Double, shelfLife: Int? = nil) -> PlannerSlot {
        PlannerSlot(
            key: SlotKey(CabinetKey("D", 0), SlotCode(code)!),
            productID: code,
            price: margin * 2,
            unitCost: margin,
            capacity: capacity,
            caseSize: 1,
            shelfLifeDays: shelfLife,
            demand: DemandPath(firstDay: start, ratePerDay: [rate], size: .infinity),
            lots: []
        )
    }

    func times(_ h: Int) -> [Int64] { (0...h).map { (start + Int64($0)) * day + 8 * 3600 } }

    /// The cheapest schedule by trying every set of visit days, with the same costs and rules: the first
    /// visit within what is left of the interval and by the expiry deadline, none further apart than the
    /// interval, nor, after a visit, than the shelf life of a perishable that would not sell out by its date.
    func bruteForceVisitsToday(
        _ slots: [PlannerSlot],
        stock: [Double],
        cost: Double,
        h: Int,
        limit: Int,
        since: Int,
        deadline: Int? = nil,
        hourCost: Double = 0
    ) -> Bool {
        let t = times(h)
        func lost(_ a: Int, _ b: Int, _ units: [Double]) -> Double {
            zip(slots, units).reduce(0) { sum, pair in
                let d = pair.0.demand.distribution(from: t[a], to: t[b])
                let hours = pair.0.demand.expectedEmptySeconds(stock: Int(pair.1), from: t[a], to: t[b]) / 3600
                return sum + (d.mean - d.expectedServed(capacity: Int(pair.1))) * (pair.0.price - pair.0.unitCost)
                    + hourCost * hours
            }
        }
        func longest(after a: Int) -> Int {
            slots.reduce(limit) { m, s in
                guard let life = s.shelfLifeDays, a + life <= h,
                    s.demand.expected(from: t[a], to: t[a + life]) < Double(s.capacity) - 0.5
                else { return m }
                return min(m, life)
            }
        }
        var best = (cost: Double.infinity, today: false)
        for mask in 0..<(1 << h) {
            let days = (0..<h).filter { mask & (1 << $0) != 0 }
            let stops = days + [h]
            let firstAllowed = min(limit - since, deadline ?? h)
            if let first = days.first { if first > firstAllowed { continue } } else if h > firstAllowed { continue }
            if zip(days, days.dropFirst()).contains(where: { $1 - $0 > longest(after: $0) }) { continue }
            var total = lost(0, stops[0], stock) + Double(days.count) * cost
            for (a, b) in zip(stops, stops.dropFirst()) { total += lost(a, b, slots.map { Double($0.capacity) }) }
            if total < best.cost - 1e-9 { best = (total, days.first == 0) }
        }
        return best.today
    }

    /// One case: the schedule's answer against the brute force's; whether it visits today.
    func checkAgainstBruteForce(
        _ slots: [PlannerSlot],
        stock: [Double],
        cost: Double,
        since: Int,
        deadline: Int? = nil,
        hourCost: Double = 0
    ) -> Bool {
        let schedule = VisitSchedule(visitCost: cost, maxIntervalDays: 5, emptySlotHourCost: hourCost)
        let got = schedule.visitsToday(
            slots,
            stock: stock,
            visitTimes: times(6),
            daysSinceVisit: Double(since),
            expiryDeadline: deadline
        )
        XCTAssertEqual(
            got,
            bruteForceVisitsToday(
                slots,
                stock: stock,
                cost: cost,
                h: 6,
                limit: 5,
                since: since,
                deadline: deadline,
                hourCost: hourCost
            ),
            "cost \(cost), stock \(stock), \(since) days since the last visit, deadline \(String(describing: deadline)), hour cost \(hourCost)"
        )
        return got
    }

    func testTheScheduleIsTheCheapestOfEverySetOfVisitDays() {
        let slots = [
            slot("A1", rate: 6, capacity: 20, margin: 1), slot("A2", rate: 1, capacity: 6, margin: 2),
            slot("B1", rate: 3, capacity: 8, margin: 0.5),
        ]
        var answers: [Bool] = []
        for cost in [2.0, 8, 20, 60] {
            for stock in [[0.0, 0, 0], [4, 2, 1], [12, 5, 6], [20, 6, 8]] {
                for since in [0, 2, 4] {
                    answers.append(checkAgainstBruteForce(slots, stock: stock, cost: cost, since: since))
                }
            }
        }
        XCTAssertEqual(answers.count, 48)
        XCTAssertGreaterThan(answers.filter { $0 }.count, 5, "some cases visit today")
        XCTAssertLessThan(answers.filter { $0 }.count, 43, "and some wait")
    }

    func testWithPerishablesAnExpiryDeadlineAndPricedHoursItIsStillTheCheapestSchedule() {
        // A sandwich good for two days that sells one a day in six (never sells out by its date), a salad good
        // for three that sells out (no limit), a shelf-stable slot.
        let slots = [
            slot("A1", rate: 4, capacity: 12, margin: 1), slot("B1", rate: 1, capacity: 6, margin: 1.5, shelfLife: 2),
            slot("B2", rate: 5, capacity: 8, margin: 1, shelfLife: 3),
        ]
        var answers: [Bool] = []
        for cost in [3.0, 12, 40] {
            for stock in [[2.0, 1, 0], [10, 5, 6]] {
                for deadline in [nil, 1, 3] as [Int?] {
                    for hourCost in [0.0, 0.4] {
                        answers.append(
                            checkAgainstBruteForce(
                                slots,
                                stock: stock,
                                cost: cost,
                                since: 1,
                                deadline: deadline,
                                hourCost: hourCost
                            )
                        )
                    }
                }
            }
        }
        XCTAssertEqual(answers.count, 36)
        XCTAssertGreaterThan(answers.filter { $0 }.count, 3, "some cases visit today")
        XCTAssertLessThan(answers.filter { $0 }.count, 33, "and some wait")
    }

    func testADeadlineTodayVisitsTodayAndPricedEmptyHoursVisitSooner() {
        let slots = [slot("A1", rate: 10, capacity: 40, margin: 0.1)]
        let margin = VisitSchedule(visitCost: 5, maxIntervalDays: 7)
        XCTAssertFalse(
            margin.visitsToday(slots, stock: [6], visitTimes: times(7), daysSinceVisit: 1),
            "ten cents a sale does not pay a visit"
        )
        XCTAssertTrue(
            margin.visitsToday(slots, stock: [35], visitTimes: times(7), daysSinceVisit: 1, expiryDeadline: 0),
            "the deadline is today"
        )
        let hours = VisitSchedule(visitCost: 5, maxIntervalDays: 7, emptySlotHourCost: 1)
        XCTAssertTrue(
            hours.visitsToday(slots, stock: [6], visitTimes: times(7), daysSinceVisit: 1),
            "a day empty at a unit an hour does"
        )
    }

    func testItWaitsWhileTheSlotsHoldAndVisitsWhenTheyAreAboutToRunOut() {
        let slots = [slot("A1", rate: 10, capacity: 40, margin: 1)]
        let schedule = VisitSchedule(visitCost: 5, maxIntervalDays: 7)
        XCTAssertFalse(
            schedule.visitsToday(slots, stock: [35], visitTimes: times(7), daysSinceVisit: 1),
            "three days of stock"
        )
        XCTAssertTrue(schedule.visitsToday(slots, stock: [2], visitTimes: times(7), daysSinceVisit: 1), "empty by noon")
        XCTAssertTrue(
            schedule.visitsToday(slots, stock: [35], visitTimes: times(7), daysSinceVisit: 7),
            "the longest interval is up"
        )
        XCTAssertTrue(
            schedule.visitsToday(slots, stock: [35], visitTimes: times(7), daysSinceVisit: nil),
            "never visited"
        )
        XCTAssertEqual(
            CountDistribution.unmet(mean: 4, size: .infinity, stock: 3),
            4 - CountDistribution(mean: 4).expectedServed(capacity: 3),
            accuracy: 1e-12
        )
        XCTAssertEqual(
            CountDistribution.unmet(mean: 4, size: 2, stock: 5),
            4 - CountDistribution(mean: 4, size: 2).expectedServed(capacity: 5),
            accuracy: 1e-12
        )
    }
}

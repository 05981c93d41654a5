import FleetGenerator
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// `backtest --time-zone`: the backtests on a fleet's own clock. One recipe generated on UTC's and on
/// another zone's clock without daylight saving (the same local days, sales hours, visit and layout-change times)
/// must come out the same when each is read on its own clock, and otherwise when the Tokyo fleet is read
/// on UTC's.
final class BacktestClockTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "backtest-zones-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The recipe generated on `zone`'s clock (once per test), imported and read on `read` (default: the same).
    func history(_ zone: String, days: Int = 70, readOn read: String? = nil) throws -> (SalesHistory, FleetClock) {
        let (store, clock) = try ZonedFleet.imported(
            dir: dir,
            zone: zone,
            readOn: read,
            seed: 11,
            devices: 4,
            days: days
        )
        return (try InsightsEngine.loadHistory(store, clock: clock), clock)
    }

    func testTheReplayOnAFleetsOwnClockIsTheReplayOnUTCOfTheSameRecipe() throws {
        func replay(_ zone: String, readOn read: String? = nil) throws -> (PlanReplay.Outcome, PlanReplay.Outcome, Int)
        {
            let (history, clock) = try history(zone, readOn: read)
            let days = 21
            let first = Int64(history.lastDay) + 1 - Int64(days)
            let truth = DemandModel.fit(history)
            let forecast = DemandModel.fit(history, before: Int32(first))
            let devices = PlanReplay.devices(
                history: history,
                truth: truth,
                truthCounts: DemandCounts.fit(model: truth),
                forecast: forecast,
                forecastCounts: DemandCounts.fit(model: forecast),
                firstDay: first,
                days: days,
                clock: clock
            )
            var planner = ServicePlanner(visitCost: 25)
            planner.clock = clock
            let (h, p) = PlanReplay(planner: planner, firstDay: first, days: days).run(devices)
            return (h, p, devices.reduce(0) { $0 + $1.historicalVisitDays.count })
        }
        let (utcHistory, utcPlan, utcVisits) = try replay("UTC")
        XCTAssertGreaterThan(utcHistory.visits, 10)
        XCTAssertGreaterThan(utcHistory.stockoutHours, 0)
        XCTAssertGreaterThan(utcPlan.visits, 0)
        // East and west of UTC (Tokyo +9, Honolulu −10; neither has daylight saving).
        for zone in ["Asia/Tokyo", "Pacific/Honolulu"] {
            let (zoneHistory, zonePlan, zoneVisits) = try replay(zone)
            XCTAssertEqual(zoneVisits, utcVisits, zone)
            XCTAssertEqual(zoneHistory, utcHistory, "the history's policy on \(zone)'s clock")
            XCTAssertEqual(zonePlan, utcPlan, "the plan's policy on \(zone)'s clock")
        }
        let (misreadHistory, misreadPlan, _) = try replay("Asia/Tokyo", readOn: "UTC")
        XCTAssertTrue(
            misreadHistory != utcHistory || misreadPlan != utcPlan,
            "read on UTC's clock, the Tokyo fleet replays otherwise"
        )
    }

    /// The revenue backtest (`backtest`, predict/revenue's forecaster after each layout change) and the
    /// venue backtest (`backtest venue`).
    func testTheRevenueAndVenueBacktestsOnAFleetsOwnClockAreThoseOnUTCOfTheSameRecipe() throws {
        func revenue(_ zone: String, readOn read: String? = nil) throws -> [String] {
            let (history, _) = try history(zone, days: 120, readOn: read)
            var bt = Backtest(history: history)
            bt.forecaster = { model, affinity in
                RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model).forecaster(
                    model: model,
                    affinity: affinity
                )
            }
            // Rounded to a thousandth: fits on equal inputs are equal, but summing in another order is not.
            return bt.run().weeks.map {
                String(
                    format: "%@ %@ %d %.3f %.3f %.3f",
                    $0.deviceID,
                    $0.change.description,
                    Int($0.firstDay),
                    $0.actual,
                    $0.predicted,
                    $0.naive
                )
            }
        }
        let utc = try revenue("UTC")
        XCTAssertGreaterThan(utc.count, 3, "layout changes with whole weeks after them")
        // Honolulu (UTC−10, no daylight saving): a layout changed at 07:00 there is 17:00 UTC, after UTC's noon.
        XCTAssertEqual(
            try revenue("Pacific/Honolulu"),
            utc,
            "the same changes, days, actuals and predictions on Honolulu's clock"
        )
        XCTAssertNotEqual(
            try revenue("Pacific/Honolulu", readOn: "UTC"),
            utc,
            "read on UTC's clock, the Honolulu fleet's days are others"
        )
        func venue(_ zone: String) throws -> String {
            let r = VenueBacktest.run(try history(zone, days: 120).0)
            return String(
                format: "%d %.4f %.4f %.4f %.4f",
                r.devices,
                r.recallAt10,
                r.baselineRecallAt10,
                r.wape,
                r.baselineWAPE
            )
        }
        XCTAssertEqual(try venue("Pacific/Honolulu"), try venue("UTC"))
    }

    /// The demand backtest (`backtest demand`): the same intervals between visits, capacities and forecasts.
    /// (The layout looked up at UTC's noon instead of the local one is caught by the revenue test above,
    /// through the count model's calibration on these intervals; no scored interval here starts on a change.)
    func testTheDemandBacktestOnAFleetsOwnClockIsThatOnUTCOfTheSameRecipe() throws {
        func demand(_ zone: String, readOn read: String? = nil) throws -> [String] {
            var bt = DemandBacktest(history: try history(zone, days: 120, readOn: read).0)
            bt.origins = 2
            return bt.run().intervals.map {
                String(
                    format: "%@ %d %d %d %.0f %.3f %.3f",
                    $0.key.description,
                    Int($0.startDay),
                    $0.days,
                    $0.capacity,
                    $0.actual,
                    $0.predicted,
                    $0.baseline
                )
            }
        }
        let utc = try demand("UTC")
        XCTAssertGreaterThan(utc.count, 300)
        XCTAssertEqual(
            try demand("Pacific/Honolulu"),
            utc,
            "the same intervals, capacities and forecasts on Honolulu's clock"
        )
        XCTAssertNotEqual(try demand("Pacific/Honolulu", readOn: "UTC"), utc)
    }
}

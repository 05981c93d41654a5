import FleetGenerator
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// `backtest --plan --time-zone`: the service plan replayed on a fleet's own clock. One recipe generated
/// on UTC's and on Tokyo's clock (no daylight saving: the same local days, sales hours and visit times)
/// must replay to the same figures when each is read on its own clock, and to others when the Tokyo fleet
/// is read on UTC's.
final class PlanReplayClockTests: XCTestCase {
    func testTheReplayOnAFleetsOwnClockIsTheReplayOnUTCOfTheSameRecipe() throws {
        let dir = NSTemporaryDirectory() + "replay-zones-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func replay(_ zone: String, readOn read: String? = nil) throws -> (PlanReplay.Outcome, PlanReplay.Outcome, Int) {
            var model = FleetModel()
            model.seed = 11
            model.devices = 4
            model.days = 70
            model.endDay = 1_793_491_200 + 9 * 86_400 // 2026-11-10
            model.timeZone = zone
            let files = dir + "/" + zone.replacingOccurrences(of: "/", with: "_")
            if !FileManager.default.fileExists(atPath: files) { _ = try FleetGenerator(model: model).write(to: files) }
            let clock = try XCTUnwrap(FleetClock(identifier: read ?? zone))
            let store = try Store(path: files + "-\(clock.identifier.replacingOccurrences(of: "/", with: "_")).db")
            _ = try Importer(store: store, clock: clock).importDirectory(files)
            let history = try InsightsEngine.loadHistory(store, clock: clock)
            let days = 21
            let first = Int64(history.lastDay) + 1 - Int64(days)
            let truth = DemandModel.fit(history), forecast = DemandModel.fit(history, before: Int32(first))
            let devices = PlanReplay.devices(history: history, truth: truth, truthCounts: DemandCounts.fit(model: truth), forecast: forecast,
                                             forecastCounts: DemandCounts.fit(model: forecast), firstDay: first, days: days, clock: clock)
            var planner = ServicePlanner(visitCost: 25)
            planner.clock = clock
            let (h, p) = PlanReplay(planner: planner, firstDay: first, days: days).run(devices)
            return (h, p, devices.reduce(0) { $0 + $1.historicalVisitDays.count })
        }
        let (utcHistory, utcPlan, utcVisits) = try replay("UTC")
        let (tokyoHistory, tokyoPlan, tokyoVisits) = try replay("Asia/Tokyo")
        XCTAssertGreaterThan(utcHistory.visits, 10)
        XCTAssertGreaterThan(utcHistory.stockoutHours, 0)
        XCTAssertGreaterThan(utcPlan.visits, 0)
        XCTAssertEqual(tokyoVisits, utcVisits)
        XCTAssertEqual(tokyoHistory, utcHistory, "the history's policy on Tokyo's clock")
        XCTAssertEqual(tokyoPlan, utcPlan, "the plan's policy on Tokyo's clock")
        let (misreadHistory, misreadPlan, _) = try replay("Asia/Tokyo", readOn: "UTC")
        XCTAssertTrue(misreadHistory != utcHistory || misreadPlan != utcPlan, "read on UTC's clock, the Tokyo fleet replays otherwise")
    }
}

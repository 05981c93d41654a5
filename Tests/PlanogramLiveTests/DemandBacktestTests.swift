import FleetGenerator
import Forecasting
import Foundation
import PlanogramLive
import Store
import XCTest

/// The demand backtest on a generated fleet of its own (20 weeks), fitted before each origin.
final class DemandBacktestTests: XCTestCase {
    func testTheBacktestPredictsHeldOutIntervalsBetterThanTheVendsPerDayRule() throws {
        let dir = NSTemporaryDirectory() + "demand-bt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var model = FleetModel()
        model.seed = 11
        model.devices = 4
        model.days = 140
        _ = try FleetGenerator(model: model).write(to: dir + "/fleet")
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(dir + "/fleet")
        var bt = DemandBacktest(history: try InsightsEngine.loadHistory(store))
        bt.origins = 2
        let r = bt.run()
        XCTAssertEqual(r.origins.count, 2)
        XCTAssertGreaterThan(r.intervals.count, 500)
        for i in r.intervals {
            XCTAssertLessThanOrEqual(i.predicted, Double(i.capacity) + 1e-9, "expected sales never exceed what the slot holds")
            XCTAssertTrue((0...1).contains(i.soldOutProbability))
            XCTAssertGreaterThanOrEqual(i.startDay, r.origins.first!, "only intervals after an origin are scored")
        }
        XCTAssertLessThan(r.wape, r.baselineWAPE, "the model beats the rule on data it was not fitted on")
        XCTAssertLessThan(r.medianWAPE, r.baselineWAPE)
        XCTAssertLessThan(r.deviceIntervalWAPE.model, r.deviceIntervalWAPE.baseline)
        XCTAssertLessThan(r.deviceIntervalWAPE.model, r.medianWAPE, "a device's total is less noisy than one slot's")
        // The noise floor is what a perfect forecast would still miss: no point forecast gets below it by
        // much, and it is well above zero for counts of a few units.
        XCTAssertGreaterThan(r.noiseFloorWAPE, 10)
        XCTAssertGreaterThan(r.medianWAPE, r.noiseFloorWAPE * 0.9)
        for i in r.intervals { XCTAssertLessThanOrEqual(i.predictedMedian, Double(i.capacity)) }
        XCTAssertEqual(r.calibration.count, 10)
        XCTAssertEqual(r.calibration.reduce(0) { $0 + $1.count }, r.intervals.count)
    }
}

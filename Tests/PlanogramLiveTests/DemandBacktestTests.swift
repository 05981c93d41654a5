import FleetGenerator
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// The demand backtest on a generated fleet of its own (20 weeks), fitted before each origin.
final class DemandBacktestTests: XCTestCase {
    /// The test fleet's recipe: 4 devices, 20 weeks.
    static func recipe() -> FleetModel {
        var model = FleetModel()
        model.seed = 11
        model.devices = 4
        model.days = 140
        return model
    }

    func testTheBacktestPredictsHeldOutIntervalsBetterThanTheVendsPerDayRule() throws {
        let dir = NSTemporaryDirectory() + "demand-bt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try FleetGenerator(model: Self.recipe()).write(to: dir + "/fleet")
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(dir + "/fleet")
        var bt = DemandBacktest(history: try InsightsEngine.loadHistory(store))
        bt.origins = 2
        let r = bt.run()
        XCTAssertEqual(r.origins.count, 2)
        XCTAssertGreaterThan(r.intervals.count, 500)
        for i in r.intervals {
            XCTAssertLessThanOrEqual(
                i.predicted,
                Double(i.capacity) + 1e-9,
                "expected sales never exceed what the slot holds"
            )
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

    /// `backtest demand --generator-truth`: listening to the generator's true demand draws nothing (the
    /// files are the same), its rates account for what the slots sold, and the forecast that knew them is the
    /// one the model cannot beat: what it still misses is noise no forecast removes.
    func testTheGeneratorsTrueDemandIsTheForecastNoModelBeats() throws {
        let dir = NSTemporaryDirectory() + "demand-truth-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var model = Self.recipe()
        model.basketRate = 0.4  // companions a quarter of the sales: the rates must count them
        _ = try FleetGenerator(model: model).write(to: dir + "/plain")
        var rates: [SlotKey: [Int32: (productID: String, unitsPerDay: Double)]] = [:]
        var told = 0
        var gen = FleetGenerator(model: model)
        gen.trueDemand = { t in
            told += 1
            rates[SlotKey(CabinetKey(t.deviceID, t.cabinetIndex), t.slot), default: [:]][Int32(t.day)] = (
                t.productID, t.unitsPerDay
            )
        }
        _ = try gen.write(to: dir + "/fleet")
        for name in ["sales.csv", "services.csv", "planograms.csv", "products.csv"] {
            XCTAssertEqual(
                FileManager.default.contents(atPath: dir + "/plain/" + name),
                FileManager.default.contents(atPath: dir + "/fleet/" + name),
                name
            )
        }
        XCTAssertEqual(told, rates.values.reduce(0) { $0 + $1.count }, "one rate per slot and day")
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(dir + "/fleet")
        let history = try InsightsEngine.loadHistory(store)
        var bt = DemandBacktest(history: history)
        bt.origins = 2
        bt.trueDemand = { key, day in rates[key]?[day]?.unitsPerDay }
        let r = bt.run()
        let t = try XCTUnwrap(r.truthWAPE)
        XCTAssertEqual(t.intervals, r.intervals.count, "every scored interval has its slot's rates")
        let expected = r.intervals.reduce(0) { $0 + $1.truth!.expected }
        let sold = r.intervals.reduce(0) { $0 + $1.actual }
        XCTAssertEqual(
            expected / sold,
            1,
            accuracy: 0.05,
            "the true rates, companions included, account for the units sold (within 0.6–0.9 % on the demo and second fleets)"
        )
        XCTAssertLessThan(t.truth, t.model, "the model does not beat the truth")
        XCTAssertEqual(t.truth, t.floor, accuracy: 3, "the truth misses what its own noise says it will")
        XCTAssertGreaterThan(t.floor, 20)

        // `backtest plan --generator-truth`: the replay's demand is the generator's wherever the slot held
        // the replayed product, the fitted truth's on the other days, and those are counted.
        let days = 28
        let first = Int64(history.lastDay) + 1 - Int64(days)
        let fitted = DemandModel.fit(history)
        let forecast = DemandModel.fit(history, before: Int32(first))
        func replayed(
            _ truth: ((SlotKey, Int64) -> (productID: String, unitsPerDay: Double)?)?
        ) -> ([PlanReplay.Device], Int) {
            var fallback = 0
            let devices = PlanReplay.devices(
                history: history,
                truth: fitted,
                truthCounts: DemandCounts.fit(model: fitted),
                forecast: forecast,
                forecastCounts: DemandCounts.fit(model: forecast),
                firstDay: first,
                days: days,
                trueDemand: truth,
                fallbackDays: { fallback += $0 }
            )
            return (devices, fallback)
        }
        let (plain, none) = replayed(nil)
        let (real, fallback) = replayed { key, day in rates[key]?[Int32(day)] }
        XCTAssertEqual(none, 0)
        var same = 0
        var slotDays = 0
        for (a, b) in zip(plain.flatMap(\.slots), real.flatMap(\.slots)) {
            for d in 0..<days {
                slotDays += 1
                if let t = rates[a.planner.key]?[Int32(first) + Int32(d)], t.productID == a.planner.productID {
                    XCTAssertEqual(b.trueRatePerDay[d], t.unitsPerDay)
                } else {
                    XCTAssertEqual(b.trueRatePerDay[d], a.trueRatePerDay[d])
                    same += 1
                }
            }
        }
        XCTAssertEqual(fallback, same)
        XCTAssertLessThan(fallback, slotDays / 4, "most slot-days hold the product they start the period with")
        let planner = ServicePlanner(visitCost: 25)
        XCTAssertNotEqual(
            PlanReplay(planner: planner, firstDay: first, days: days).run(plain).history,
            PlanReplay(planner: planner, firstDay: first, days: days).run(real).history,
            "the demand faced is another"
        )
    }
}

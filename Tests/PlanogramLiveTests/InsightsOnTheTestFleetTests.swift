import FleetGenerator
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// The models fitted on the shared test fleet as the server reads it from the store (`InsightsEngine.loadHistory`).
final class InsightsOnTheTestFleetTests: XCTestCase {
    func testEstimationRecoversTheGeneratorsPositionEffects() throws {
        // The shared test fleet is small (3 devices, 8 weeks); the snack layout is seen in enough
        // positions to recover the true multipliers within 0.12 on average (stated error).
        let dir = NSTemporaryDirectory() + "insights-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        let history = try InsightsEngine.loadHistory(store)
        let model = DemandModel.fit(history)
        let truth = FleetModel.fromFile(TestFleet.directory + "/model.json")
        for (key, cabinet) in history.cabinets where key.index == 0 && cabinet.rows == 6 {
            var errors: [Double] = []
            let trueMax = cabinet.allSlots.map {
                truth.positionMultiplier(row: $0.row, column: $0.column, rows: 6, columns: 8)
            }.max()!
            for s in cabinet.allSlots {
                let t = truth.positionMultiplier(row: s.row, column: s.column, rows: 6, columns: 8) / trueMax
                errors.append(abs(model.positionMultiplier(cabinet, s) - t))
            }
            let mae = errors.reduce(0, +) / Double(errors.count)
            XCTAssertLessThan(mae, 0.12, "mean absolute error of position multipliers")
            // Eye level beats the bottom row clearly.
            XCTAssertGreaterThan(
                model.positionMultiplier(cabinet, SlotCode("B4")!),
                model.positionMultiplier(cabinet, SlotCode("F4")!) * 1.3
            )
            return
        }
        XCTFail("no snack cabinet in the test fleet")
    }

    func testTheRevenueLevelIsFittedOnTheFitWindowScalesRevenueNotLiftAndSurvivesStorage() throws {
        let dir = NSTemporaryDirectory() + "insights-level-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        let history = try InsightsEngine.loadHistory(store)
        let model = DemandModel.fit(history)
        XCTAssertTrue((0.9...1.1).contains(model.revenueLevel), "\(model.revenueLevel)")
        // Its definition: the forecast times the level is level with what sold in the fit window's last
        // eight weeks, in the mean of the log ratio per device-week.
        var plain = model
        plain.revenueLevel = 1
        var logs: [Double] = []
        for d in history.devices.keys {
            var start = model.fittedBefore - 56
            while start + 7 <= model.fittedBefore {
                let pred = RevenueForecaster(model: plain).deviceRevenue(
                    deviceID: d,
                    days: start..<(start + 7),
                    overrides: [:]
                )
                let act = (start..<(start + 7)).reduce(0.0) { $0 + (history.deviceDayRevenue[d]?[$1] ?? 0) }
                if act > 0 && pred > 0 { logs.append(log(act / pred)) }
                start += 7
            }
        }
        XCTAssertGreaterThanOrEqual(logs.count, 4)
        XCTAssertEqual(
            model.revenueLevel,
            min(1.1, max(0.9, exp(logs.reduce(0, +) / Double(logs.count)))),
            accuracy: 1e-9
        )
        // It multiplies revenue and leaves lifts alone.
        let (key, cabinet) = try XCTUnwrap(history.cabinets.first { history.planograms[$0.key] != nil })
        let current = try XCTUnwrap(history.planograms[key]?.last)
        var proposed = current
        if let (slot, facing) = current.sortedFacings.first {
            proposed.facings[slot] = Facing(productID: facing.productID, capacity: facing.capacity + 3)
        }
        let a = RevenueForecaster(model: model).predict(
            cabinet: cabinet,
            current: current,
            proposed: proposed,
            forecastDays: 28,
            changeCostPerSlot: 0
        )
        let b = RevenueForecaster(model: plain).predict(
            cabinet: cabinet,
            current: current,
            proposed: proposed,
            forecastDays: 28,
            changeCostPerSlot: 0
        )
        XCTAssertEqual(a.predictedRevenue, b.predictedRevenue * model.revenueLevel, accuracy: 1e-9)
        XCTAssertEqual(a.liftPercentage, b.liftPercentage, accuracy: 1e-9)
        // Stored and restored with the other parameters.
        let stored = StoredModels(
            model: model,
            affinity: AffinityTable(history: history),
            fingerprint: "f",
            fittedAt: 0
        )
        let restored = try StoredModels.decode(stored.encoded()).restore().0
        XCTAssertEqual(restored.revenueLevel, model.revenueLevel)
    }
}

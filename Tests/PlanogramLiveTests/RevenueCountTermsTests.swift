import Forecasting
import Foundation
import Insights
import Logging
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

/// The revenue forecast riding on the count model (Forecasting/CountRevenueForecaster.swift).
final class RevenueCountTermsTests: XCTestCase {
    func testIntervalSharesWeighEachLengthByTheDaysSpentInIt() {
        let shares = IntervalShare.of([1, 1, 1, 3, 0, 3, 0.5])
        // 3 days in one-day intervals, 6 days in three-day ones; lengths below a day are left out.
        XCTAssertEqual(shares, [IntervalShare(days: 1, weight: 3.0 / 9), IntervalShare(days: 3, weight: 6.0 / 9)])
        XCTAssertEqual(IntervalShare.of([]), [])
        XCTAssertEqual(IntervalShare.of([0.2]), [])
    }

    func loadedHistory() throws -> (SalesHistory, () -> Void) {
        let dir = NSTemporaryDirectory() + "count-revenue-\(UUID().uuidString)"
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        return (try InsightsEngine.loadHistory(store), { try? FileManager.default.removeItem(atPath: dir) })
    }

    /// A fit is the same to the last bit whatever order the history's dictionaries iterate in (it changes
    /// with each process's hash seed, and with a dictionary's capacity): the same days, inserted backwards
    /// into dictionaries of another capacity, give the same trend per device.
    func testTheFitDoesNotDependOnTheOrderItsDictionariesIterate() throws {
        let (history, cleanup) = try loadedHistory()
        defer { cleanup() }
        var shuffled = history
        var orderChanged = false
        shuffled.deviceDayUnits = history.deviceDayUnits.mapValues { days in
            var d: [Int32: Double] = [:]
            d.reserveCapacity(days.count * 8 + 1_000)
            for (k, v) in days.sorted(by: { $0.key > $1.key }) { d[k] = v }
            if Array(d.keys) != Array(days.keys) { orderChanged = true }
            return d
        }
        XCTAssertTrue(orderChanged, "the copy iterates in another order")
        let a = DemandModel.fit(history)
        let b = DemandModel.fit(shuffled)
        let ca = DemandCounts.fit(model: a)
        let cb = DemandCounts.fit(model: b)
        XCTAssertFalse(ca.trendPerDay.isEmpty)
        for (device, beta) in ca.trendPerDay {
            XCTAssertEqual(beta.bitPattern, cb.trendPerDay[device]?.bitPattern, device)
        }
    }

    func testASlotsAvailabilityIsItsShareOfDemandServedOverTheDevicesRealIntervals() throws {
        let (history, cleanup) = try loadedHistory()
        defer { cleanup() }
        let model = DemandModel.fit(history)
        let terms = RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model)
        let f = terms.forecaster(model: model, affinity: nil)
        let (device, shares) = try XCTUnwrap(terms.visitIntervals.sorted { $0.key < $1.key }.first)
        XCTAssertEqual(shares.reduce(0) { $0 + $1.weight }, 1, accuracy: 1e-12)
        // The intervals are the device's own, between its visits in the last eight weeks of the fit.
        let visits = try XCTUnwrap(history.serviceDays[device]).filter { $0 < model.fittedBefore }
        let expected = zip(visits, visits.dropFirst()).filter { $0.0 >= model.fittedBefore - 56 && $0.1 > $0.0 }.map {
            Double($0.1 - $0.0)
        }
        XCTAssertEqual(shares, IntervalShare.of(expected))
        // E[min(X, C)] summed over the intervals / E[X] summed, by hand for two lengths.
        let size = f.countSize
        let lambda = 2.0
        let capacity = 5
        var served = 0.0
        var demand = 0.0
        for t in expected {
            served += availability(lambdaPerDay: lambda, capacity: capacity, intervalDays: t, size: size) * lambda * t
            demand += lambda * t
        }
        XCTAssertEqual(
            f.slotAvailability(deviceID: device, lambdaPerDay: lambda, capacity: capacity),
            served / demand,
            accuracy: 1e-12
        )
        // A device without intervals falls back to its mean interval.
        XCTAssertEqual(
            f.slotAvailability(deviceID: "NONE", lambdaPerDay: lambda, capacity: capacity),
            availability(
                lambdaPerDay: lambda,
                capacity: capacity,
                intervalDays: model.serviceInterval("NONE"),
                size: size
            ),
            accuracy: 1e-12
        )
        // Mixed intervals serve less than their mean would suggest when a long one empties the slot.
        var mixed = f
        mixed.visitIntervals = ["X": IntervalShare.of([1, 5])]
        XCTAssertLessThan(
            mixed.slotAvailability(deviceID: "X", lambdaPerDay: 1.5, capacity: 4),
            availability(lambdaPerDay: 1.5, capacity: 4, intervalDays: 3, size: size)
        )
    }

    func testTheLevelMakesTheForecasterLevelWithTheFitWindowAndTheTrendIsLeftOutUnlessAsked() throws {
        let (history, cleanup) = try loadedHistory()
        defer { cleanup() }
        let model = DemandModel.fit(history)
        var counts = DemandCounts.fit(model: model)
        let terms = RevenueCountTerms.fit(counts: counts, model: model)
        XCTAssertEqual(terms.trendPerDay, [:])
        XCTAssertTrue((0.9...1.1).contains(terms.level), "\(terms.level)")
        // Its definition: the mean log ratio of sold to forecast per device-week over the last eight weeks.
        var plain = terms.forecaster(model: model, affinity: nil)
        plain.level = 1
        var logs: [Double] = []
        for d in history.devices.keys {
            var start = model.fittedBefore - 56
            while start + 7 <= model.fittedBefore {
                let pred = plain.deviceRevenue(deviceID: d, days: start..<(start + 7), overrides: [:])
                let act = (start..<(start + 7)).reduce(0.0) { $0 + (history.deviceDayRevenue[d]?[$1] ?? 0) }
                if act > 0 && pred > 0 { logs.append(log(act / pred)) }
                start += 7
            }
        }
        XCTAssertGreaterThanOrEqual(logs.count, 4)
        XCTAssertEqual(terms.level, min(1.1, max(0.9, exp(logs.reduce(0, +) / Double(logs.count)))), accuracy: 1e-9)
        // With the trend asked for, it multiplies days after the fit's end only, bounded to ×0.7…×1.4.
        let device = try XCTUnwrap(history.devices.keys.sorted().first)
        counts.trendPerDay[device] = 0.01
        let trended = RevenueCountTerms.fit(counts: counts, model: model, includesTrend: true).forecaster(
            model: model,
            affinity: nil
        )
        let end = model.fittedBefore
        XCTAssertEqual(trended.trendFactor(device, end - 10), 1)
        XCTAssertEqual(trended.trendFactor(device, end + 10), exp(0.1), accuracy: 1e-12)
        XCTAssertEqual(trended.trendFactor(device, end + 100), 1.4)
        XCTAssertEqual(trended.trendFactor("NONE", end + 10), 1)
        let days = end..<(end + 14)
        let flat =
            trended.deviceRevenue(deviceID: device, days: end..<(end + 1), overrides: [:])
            / trended.trendFactor(device, end) / model.weekdayFactor(device, end)
        let sum = days.reduce(0.0) { $0 + flat * model.weekdayFactor(device, $1) * trended.trendFactor(device, $1) }
        XCTAssertEqual(trended.deviceRevenue(deviceID: device, days: days, overrides: [:]), sum, accuracy: 1e-9 * sum)
    }

    func testTheServedForecasterIsTheCountDrivenOneAndSurvivesARestart() throws {
        let dir = NSTemporaryDirectory() + "count-revenue-engine-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        let engine = InsightsEngine(store: store, logger: Logger(label: "test"))
        let fitted = try engine.rebuild()
        let history = try InsightsEngine.loadHistory(store)
        let model = DemandModel.fit(history)
        let expected = RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model).forecaster(
            model: model,
            affinity: fitted.affinity
        )
        XCTAssertFalse(fitted.forecaster.visitIntervals.isEmpty)
        XCTAssertEqual(fitted.forecaster.visitIntervals, expected.visitIntervals)
        XCTAssertEqual(fitted.forecaster.level, expected.level)
        XCTAssertEqual(fitted.forecaster.countSize, expected.countSize)
        // A restart reads the same terms from the store (the restored history has no day series to fit on).
        let restarted = InsightsEngine(store: store, logger: Logger(label: "test"))
        XCTAssertTrue(restarted.loadStored())
        let loaded = try XCTUnwrap(restarted.current)
        let (key, cabinet) = try XCTUnwrap(
            history.cabinets.sorted { $0.key < $1.key }.first { history.planograms[$0.key] != nil }
        )
        let current = try XCTUnwrap(history.planograms[key]?.last)
        var proposed = current
        if let (slot, facing) = current.sortedFacings.first {
            proposed.facings[slot] = Facing(productID: facing.productID, capacity: max(1, facing.capacity - 3))
        }
        let a = fitted.forecaster.predict(
            cabinet: cabinet,
            current: current,
            proposed: proposed,
            forecastDays: 28,
            changeCostPerSlot: 0
        )
        let b = loaded.forecaster.predict(
            cabinet: cabinet,
            current: current,
            proposed: proposed,
            forecastDays: 28,
            changeCostPerSlot: 0
        )
        XCTAssertEqual(a.predictedRevenue, b.predictedRevenue, accuracy: 1e-9)
        XCTAssertEqual(a.confidenceInterval.lower, b.confidenceInterval.lower, accuracy: 1e-9)
        // And it differs from the first forecaster (Poisson at the mean interval, the demand model's level).
        let part1 = RevenueForecaster(model: model, affinity: fitted.affinity)
            .predict(cabinet: cabinet, current: current, proposed: proposed, forecastDays: 28, changeCostPerSlot: 0)
        XCTAssertNotEqual(part1.predictedRevenue, a.predictedRevenue)
    }
}

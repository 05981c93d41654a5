import Forecasting
import Foundation
import PlanogramDomain
import XCTest

final class SlotStockTests: XCTestCase {
    let day: Int64 = 86_400

    func testSalesTakeTheOldestLotAndOldLotsExpire() {
        var s = SlotStock(shelfLifeDays: 3)
        s.restock(units: 2, at: 0)
        s.restock(units: 3, at: 2 * day)
        XCTAssertEqual(s.units, 5)
        XCTAssertEqual(s.expired(at: 3 * day - 1), 0)
        XCTAssertEqual(s.expired(at: 3 * day), 2, "the first lot is past its date after three days")
        XCTAssertTrue(s.sell())
        XCTAssertEqual(s.lots.map(\.units), [1, 3], "a sale takes the oldest lot first")
        XCTAssertEqual(s.expiring(after: 3 * day, before: 6 * day), 3)
        XCTAssertEqual(s.nextExpiry(after: 3 * day), 5 * day)
        XCTAssertEqual(s.pull(units: 2), 2)
        XCTAssertEqual(s.lots, [SlotStock.Lot(loadedAt: 2 * day, units: 2)], "a pull removes the oldest units")
        s.sell()
        s.sell()
        XCTAssertFalse(s.sell(), "nothing recorded to sell")
        XCTAssertEqual(s.unseenSales, 1)
    }

    func testProductsWithoutAShelfLifeNeverExpire() {
        var s = SlotStock(shelfLifeDays: 0)
        s.restock(units: 4, at: 0)
        XCTAssertEqual(s.expired(at: 10_000 * day), 0)
        XCTAssertNil(s.nextExpiry(after: 0))
    }

    func testTheLedgerCountsSpoilageWhenADriverPullsOrTheProductChanges() {
        var l = StockLedger(shelfLifeDays: { $0 == "SAND" ? 3 : nil })
        let k = SlotKey(CabinetKey("D", 0), SlotCode("A1")!)
        l.restock(k, product: "SAND", units: 4, at: 0)
        l.sale(k, product: "SAND", at: day)
        XCTAssertEqual(l.expired(at: 4 * day)[k], 3)
        XCTAssertEqual(l.pull(k, units: 3, at: 4 * day), 3)
        XCTAssertEqual(l.spoiled[k], 3)
        l.restock(k, product: "SAND", units: 2, at: 4 * day)
        l.restock(k, product: "COLA", units: 5, at: 10 * day)  // a new planogram: the old units leave, expired
        XCTAssertEqual(l.spoiled[k], 5)
        XCTAssertEqual(l.slots[k]?.units, 5)
        XCTAssertEqual(l.productOf[k], "COLA")
    }
}

final class CountDistributionTests: XCTestCase {
    func testPoissonAndNegativeBinomialAgreeWithTheirFormulas() {
        let p = CountDistribution(mean: 2)
        XCTAssertEqual(p.atLeast(1), 1 - exp(-2), accuracy: 1e-12)
        XCTAssertEqual(p.atLeast(3), 1 - exp(-2) * (1 + 2 + 2), accuracy: 1e-12)
        XCTAssertEqual(p.quantile(0.5), 2)
        // NB with mean 4, size 2: P(0) = (2/6)^2, variance 4 + 16/2 = 12.
        let nb = CountDistribution(mean: 4, size: 2)
        XCTAssertEqual(1 - nb.atLeast(1), pow(2.0 / 6, 2), accuracy: 1e-12)
        XCTAssertEqual(nb.variance, 12)
        // A wider distribution puts a 95 % quantile further out than Poisson of the same mean.
        XCTAssertGreaterThan(nb.quantile(0.95), CountDistribution(mean: 4).quantile(0.95))
        // Served units: a slot of 3 facing Poisson(2) serves E[min(X, 3)].
        let pmf: [Double] = [exp(-2), 2 * exp(-2), 2 * exp(-2)]  // 2^x e^-2 / x! for x = 0, 1, 2
        let served: Double = 0 * pmf[0] + 1 * pmf[1] + 2 * pmf[2] + 3 * p.atLeast(3)
        XCTAssertEqual(p.expectedServed(capacity: 3), served, accuracy: 1e-12)
        XCTAssertEqual(CountDistribution(mean: 0).atLeast(1), 0)
        XCTAssertEqual(CountDistribution(mean: 0).quantile(0.99), 0)
    }

    func testTheMedianOfUnitsSoldMinimisesTheExpectedAbsoluteError() {
        // Poisson(2) capped at 3: P(0) = e^-2, P(1) = P(2) = 2e^-2, P(3) = the rest; CDF 0.135, 0.406, 0.677.
        let p = CountDistribution(mean: 2)
        XCTAssertEqual(p.medianServed(capacity: 3), 2)
        XCTAssertEqual(p.medianServed(capacity: 1), 1, "P(sells its one unit) = 0.86: the median is the capacity")
        let pmf: [Double] = [exp(-2), 2 * exp(-2), 2 * exp(-2), p.atLeast(3)]
        for point in [0.0, 1, 1.5, 2, 2.5, 3] {
            let expected = pmf.enumerated().reduce(0.0) { $0 + abs(Double($1.offset) - point) * $1.element }
            XCTAssertEqual(p.expectedAbsoluteError(capacity: 3, point: point), expected, accuracy: 1e-12)
        }
        // No other forecast has a smaller expected absolute error than the median, for Poisson or NB, any cap.
        for d in [CountDistribution(mean: 0.7), CountDistribution(mean: 4.5), CountDistribution(mean: 6, size: 2)] {
            for cap in [1, 3, 8, 20] {
                let m = Double(d.medianServed(capacity: cap))
                let best = d.expectedAbsoluteError(capacity: cap, point: m)
                for point in stride(from: 0.0, through: Double(cap), by: 0.25) {
                    XCTAssertLessThanOrEqual(best, d.expectedAbsoluteError(capacity: cap, point: point) + 1e-12)
                }
            }
        }
        XCTAssertEqual(CountDistribution(mean: 0).medianServed(capacity: 5), 0)
    }

    func testSellOutRecalibrationIsIdentityByDefaultAndMonotone() throws {
        let plain = DemandCounts(trendPerDay: [:], size: 0, fittedBefore: 0)
        let d = CountDistribution(mean: 3)
        XCTAssertEqual(plain.sellOutProbability(d, units: 4), d.atLeast(4), accuracy: 1e-9)
        XCTAssertEqual(plain.sellOutProbability(d, units: 0), 1, "an empty slot is empty")
        var bent = plain
        bent.sellOutCalibration = [-0.2, 1.3]
        let raw = (1...10).map { d.atLeast($0) }
        let cal = (1...10).map { bent.sellOutProbability(d, units: $0) }
        XCTAssertEqual(cal, cal.sorted(by: >), "more units to sell is never likelier to sell out")
        XCTAssertNotEqual(raw, cal)
        // Stored models from before the recalibration existed still load, with none.
        let old = #"{"trendPerDay":{"VM-001":0.001},"size":8,"meanScale":1.1,"fittedBefore":20000}"#
        let decoded = try JSONDecoder().decode(DemandCounts.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.sellOutCalibration, [0, 1])
        XCTAssertEqual(decoded.meanScale, 1.1)
        let again = try JSONDecoder().decode(DemandCounts.self, from: JSONEncoder().encode(bent))
        XCTAssertEqual(again, bent)
    }

    func testADemandPathSpreadsEachDayOverTradingHoursAndFindsTheMedianEmptyTime() {
        let day: Int64 = 86_400
        let path = DemandPath(firstDay: 100, ratePerDay: [8, 16], size: .infinity)
        let d0 = 100 * day
        XCTAssertEqual(path.expected(from: d0, to: d0 + day), 8, accuracy: 1e-9)
        XCTAssertEqual(
            path.expected(from: d0 + 6 * 3600, to: d0 + 14 * 3600),
            4,
            accuracy: 1e-9,
            "half the trading day"
        )
        XCTAssertEqual(path.expected(from: d0, to: d0 + 6 * 3600), 0, "nothing sells before opening")
        XCTAssertEqual(
            path.expected(from: d0 + day, to: d0 + 3 * day),
            32,
            accuracy: 1e-9,
            "the last rate holds beyond"
        )
        // 4 units at 8/day from 06:00: the median empty time is about half a trading day in.
        let empty = path.medianEmptyTime(stock: 4, now: d0 + 6 * 3600, horizon: d0 + 2 * day)!
        XCTAssertGreaterThan(empty, d0 + 11 * 3600)
        XCTAssertLessThan(empty, d0 + 16 * 3600)
        XCTAssertNil(path.medianEmptyTime(stock: 1_000, now: d0, horizon: d0 + day))
        XCTAssertEqual(path.medianEmptyTime(stock: 0, now: d0, horizon: d0 + day), d0)
    }

    /// On New York's clock the day's rate is spread over 06:00–22:00 local, the days are local dates, and
    /// the day the clocks go forward (8 March 2026, 23 hours) still trades its 16 hours.
    func testADemandPathTradesOnTheFleetsClock() {
        let york = FleetClock(identifier: "America/New_York")!
        let first: Int64 = 20_520  // 2026-03-08, the spring-forward day
        let path = DemandPath(firstDay: first, ratePerDay: [16, 32], size: .infinity, clock: york)
        func local(_ day: Int64, _ hour: Int) -> Int64 { york.instant(day: day, minute: hour * 60) }
        XCTAssertEqual(york.midnight(first + 1) - york.midnight(first), 23 * 3_600)
        XCTAssertEqual(path.expected(from: york.midnight(first), to: york.midnight(first + 1)), 16, accuracy: 1e-9)
        XCTAssertEqual(
            path.expected(from: local(first, 6), to: local(first, 7)),
            1,
            accuracy: 1e-9,
            "an hour of sixteen"
        )
        XCTAssertEqual(
            path.expected(from: local(first, 22), to: local(first + 1, 6)),
            0,
            "closed overnight, local time"
        )
        XCTAssertEqual(
            path.expected(from: local(first + 1, 21), to: local(first + 1, 22)),
            2,
            accuracy: 1e-9,
            "the second day's rate"
        )
        XCTAssertEqual(
            path.expectedEmptySeconds(stock: 0, from: york.midnight(first), to: york.midnight(first + 2)),
            32 * 3_600,
            accuracy: 1e-6
        )
        // The same instants read on UTC's clock: 22:00–06:00 New York is 03:00–11:00Z, five hours of trading.
        let utc = DemandPath(firstDay: first, ratePerDay: [16, 32], size: .infinity)
        XCTAssertGreaterThan(utc.expected(from: local(first, 22), to: local(first + 1, 6)), 1)
    }

    /// Every 17 minutes for nine days around the autumn change (1 November 2026, 25 hours), the days
    /// before and after the path's included: the expected demand of the next hour and of the next 30 hours
    /// is each local date's rate times its share of that date's 06:00–22:00, read straight off the clock.
    func testADemandPathsDaysAreTheClocksAcrossAChangeAndBeyondItsDays() {
        let york = FleetClock(identifier: "America/New_York")!
        let first: Int64 = 20_757  // 2026-10-31
        let rates: [Double] = [16, 32, 8, 24]
        let path = DemandPath(firstDay: first, ratePerDay: rates, size: .infinity, clock: york)
        func reference(_ from: Int64, _ to: Int64) -> Double {
            var total = 0.0
            for day in (york.day(of: from) - 1)...(york.day(of: to) + 1) {
                let open = york.instant(day: day, minute: 360)
                let close = york.instant(day: day, minute: 1_320)
                let overlap = max(0, min(to, close) - max(from, open))
                total += rates[min(max(Int(day - first), 0), rates.count - 1)] * Double(overlap) / Double(close - open)
            }
            return total
        }
        for t in stride(from: york.midnight(first - 2), to: york.midnight(first + 7), by: 17 * 60) {
            XCTAssertEqual(path.expected(from: t, to: t + 3_600), reference(t, t + 3_600), accuracy: 1e-9, "\(t)")
            XCTAssertEqual(
                path.expected(from: t, to: t + 30 * 3_600),
                reference(t, t + 30 * 3_600),
                accuracy: 1e-9,
                "\(t) + 30 h"
            )
        }
        XCTAssertEqual(york.midnight(first + 2) - york.midnight(first + 1), 25 * 3_600)
    }

    func testExpectedEmptyHoursEqualTheIntegralOfTheChanceTheSlotIsEmpty() {
        let day: Int64 = 86_400
        for size in [Double.infinity, 3.0] {
            let path = DemandPath(firstDay: 100, ratePerDay: [6, 0, 11, 3], size: size)
            for (stock, fromHour, days) in [(0, 8, 1), (1, 8, 2), (4, 8, 3), (7, 20, 4), (12, 2, 4)] {
                let from = 100 * day + Int64(fromHour) * 3600
                let to = from + Int64(days) * day
                // The integral by brute force: the chance the slot is empty, minute by minute, in trading hours.
                var brute = 0.0
                var t = from
                while t < to {
                    let secondOfDay = ((t % day) + day) % day
                    if secondOfDay >= DemandPath.tradingStart && secondOfDay < DemandPath.tradingEnd {
                        brute += 60 * path.distribution(from: from, to: t + 30).atLeast(stock)
                    }
                    t += 60
                }
                let exact = path.expectedEmptySeconds(stock: stock, from: from, to: to)
                XCTAssertEqual(
                    exact,
                    brute,
                    accuracy: max(60, brute * 0.002),
                    "stock \(stock), size \(size), from \(fromHour):00, \(days) days"
                )
            }
        }
        let path = DemandPath(firstDay: 0, ratePerDay: [5], size: .infinity)
        XCTAssertEqual(
            path.expectedEmptySeconds(stock: 0, from: 0, to: day),
            16 * 3600,
            accuracy: 1e-6,
            "empty all the trading day"
        )
        XCTAssertEqual(path.expectedEmptySeconds(stock: 3, from: day, to: day), 0)
        XCTAssertLessThan(
            path.expectedEmptySeconds(stock: 100, from: 0, to: 2 * day),
            1e-6,
            "a deep slot does not run empty"
        )
    }
}

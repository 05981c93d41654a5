import Forecasting
import Insights
import PlanogramDomain
import XCTest

/// Pooled slot rates on sparse day counts (docs/MODELS.md "Sparse slots") and the horizon backtest that
/// scores them against the baselines a user already has.
final class SparseSlotRatesTests: XCTestCase {
    static let day0: Int32 = 19_000

    static func product(_ id: String, _ category: String) -> Product {
        Product(
            id: id,
            name: id,
            category: category,
            price: 2,
            unitCost: 1,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 365
        )
    }

    /// One device per entry of `devices`: one row of `columns` slots; `layouts` (device → [(from day, slot →
    /// product)]); `sold(device, slot, day)` units per day, written as day counts.
    static func history(
        devices: [String],
        columns: Int,
        days: Int32,
        layouts: [String: [(Int32, [Int: String])]],
        products: [Product],
        sold: (String, Int, Int32) -> Int
    ) -> SalesHistory {
        var cabinets: [CabinetKey: Cabinet] = [:]
        var planograms: [CabinetKey: [Planogram]] = [:]
        for d in devices {
            let key = CabinetKey(d, 0)
            cabinets[key] = Cabinet(
                deviceID: d,
                index: 0,
                temperature: .ambient,
                rows: 1,
                columns: columns,
                rowHeightsMM: [200]
            )
            planograms[key] = (layouts[d] ?? []).enumerated().map { i, l in
                var p = Planogram(deviceID: d, cabinetIndex: 0, version: i + 1, effectiveFrom: Int64(l.0) * 86_400)
                for (c, product) in l.1 {
                    p.facings[SlotCode(row: 0, column: c)] = Facing(productID: product, capacity: 10)
                }
                return p
            }
        }
        let b = HistoryBuilder(
            catalog: cabinets,
            devices: [:],
            products: products.sorted { $0.id < $1.id },
            planograms: planograms
        )
        for d in devices {
            for day in day0..<(day0 + days) {
                for c in 0..<columns {
                    let n = sold(d, c, day)
                    guard n > 0 else { continue }
                    let noon = Int64(day) * 86_400 + 43_200
                    let product = planograms[CabinetKey(d, 0)]!.last { $0.effectiveFrom <= noon }!.facings[
                        SlotCode(row: 0, column: c)
                    ]!
                    .productID
                    b.addDayCount(
                        day: day,
                        deviceID: d,
                        cabinetIndex: 0,
                        slot: SlotCode(row: 0, column: c),
                        productID: product,
                        units: n,
                        revenue: Double(n) * 2
                    )
                }
            }
        }
        return b.finish()
    }

    func testASlotsRateIsItsOwnUnitsPooledTowardItsDevicesMeanByAnEstimatedPrior() throws {
        // Ten slots; slot c sells one unit every (c + 1) days for 84 days; slot 9 never sells.
        let products = (0..<10).map { Self.product("p\($0)", "chips") }
        let layout: [Int: String] = Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, "p\($0)") })
        let h = Self.history(
            devices: ["D"],
            columns: 10,
            days: 84,
            layouts: ["D": [(Self.day0, layout)]],
            products: products,
            sold: { _, c, day in c < 9 && Int(day - Self.day0) % (c + 1) == 0 ? 1 : 0 }
        )
        XCTAssertEqual(h.resolutions["D"], .days)
        let rates = SparseSlotRates.fit(h, before: Self.day0 + 84, calibrate: false)
        XCTAssertEqual(rates.rates.count, 10)
        var own: [Double] = []
        for c in 0..<10 {
            let units = c < 9 ? 83 / (c + 1) + 1 : 0
            own.append(Double(units) / 84)
        }
        let mean: Double = own.reduce(0, +) / 10
        for c in 0..<10 {
            let r = try XCTUnwrap(rates.rates[SlotKey(CabinetKey("D", 0), SlotCode(row: 0, column: c))])
            XCTAssertEqual(r.ownDays, 84, accuracy: 1e-9)
            // The prior is the device's mean per slot, shrunk a slot-month toward the fleet's (here the same).
            XCTAssertEqual(r.pooledPerDay, mean, accuracy: 1e-9)
            // The posterior mean, from the estimated α: (u + α) / (e + α/μ).
            let alpha = rates.strength
            XCTAssertEqual(r.perDay, (own[c] * 84 + alpha) / (84 + alpha / mean), accuracy: 1e-9)
            // It lies between the slot's own rate and the device's mean.
            XCTAssertLessThanOrEqual(min(own[c], mean) - 1e-12, r.perDay)
            XCTAssertLessThanOrEqual(r.perDay, max(own[c], mean) + 1e-12)
        }
        XCTAssertGreaterThan(rates.strength, 0.3)
        XCTAssertLessThan(rates.strength, 50)
        // The slot that never sold is not forecast at zero: the prior says it may.
        XCTAssertGreaterThan(rates.rates[SlotKey(CabinetKey("D", 0), SlotCode(row: 0, column: 9))]!.perDay, 0)
    }

    func testAFlavourRotationKeepsTheCoilsHistoryAndAnotherCategoryStartsFromThePrior() throws {
        let products = [
            Self.product("chips-a", "chips"), Self.product("chips-b", "chips"), Self.product("cola", "soda"),
            Self.product("x", "chips"),
        ]
        // Slot 0 sells 2 a day; on day 56 it rotates to another flavour (same category). Slot 1 sells 2 a day
        // of chips, then from day 56 holds cola, which sells nothing yet. Slot 2 sells 1 a day throughout.
        let first: [Int: String] = [0: "chips-a", 1: "chips-b", 2: "x"]
        let second: [Int: String] = [0: "chips-b", 1: "cola", 2: "x"]
        let h = Self.history(
            devices: ["D"],
            columns: 3,
            days: 70,
            layouts: ["D": [(Self.day0, first), (Self.day0 + 56, second)]],
            products: products,
            sold: { _, c, day in
                switch c {
                case 0: return 2
                case 1: return day < Self.day0 + 56 ? 2 : 0
                default: return 1
                }
            }
        )
        let rates = SparseSlotRates.fit(h, before: Self.day0 + 70, calibrate: false)
        let rotated = try XCTUnwrap(rates.rates[SlotKey(CabinetKey("D", 0), SlotCode(row: 0, column: 0))])
        let changed = try XCTUnwrap(rates.rates[SlotKey(CabinetKey("D", 0), SlotCode(row: 0, column: 1))])
        XCTAssertEqual(rotated.ownDays, 70, accuracy: 1e-9)
        XCTAssertEqual(changed.ownDays, 14, accuracy: 1e-9)  // the cola's days only: chips sales do not count
        XCTAssertGreaterThan(rotated.perDay, 1.5)
        XCTAssertLessThan(changed.perDay, rotated.perDay)
    }

    func testAMachineThatArrivedLateIsExposedFromItsFirstSaleNotFromTheFleetsFirstDay() throws {
        let products = [Self.product("p", "chips"), Self.product("q", "chips")]
        // "OLD" sells 1 a day in each slot for 84 days; "NEW" arrives on day 70 and sells 4 a day per slot.
        let layout: [Int: String] = [0: "p", 1: "q"]
        let h = Self.history(
            devices: ["OLD", "NEW"],
            columns: 2,
            days: 84,
            layouts: ["OLD": [(Self.day0, layout)], "NEW": [(Self.day0 + 70, layout)]],
            products: products,
            sold: { d, _, day in d == "OLD" ? 1 : (day >= Self.day0 + 70 ? 4 : 0) }
        )
        let rates = SparseSlotRates.fit(h, before: Self.day0 + 84, calibrate: false)
        let r = try XCTUnwrap(rates.rates[SlotKey(CabinetKey("NEW", 0), SlotCode(row: 0, column: 0))])
        XCTAssertEqual(r.ownDays, 14, accuracy: 1e-9)
        XCTAssertGreaterThan(r.perDay, 3)
    }

    func testTheHorizonBacktestScoresEachSlotAgainstTheLastDaysAgainAndTheEightWeekMean() throws {
        // Two slots; slot 0 sells 1 a day for the first 70 days, then 3 a day; slot 1 first sells on day 100.
        let products = [Self.product("p", "chips"), Self.product("q", "chips")]
        let h = Self.history(
            devices: ["D"],
            columns: 2,
            days: 112,
            layouts: ["D": [(Self.day0, [0: "p", 1: "q"])]],
            products: products,
            sold: { _, c, day in
                let i = day - Self.day0
                return c == 0 ? (i < 70 ? 1 : 3) : (i >= 100 ? 1 : 0)
            }
        )
        var backtest = HorizonBacktest(history: h)
        backtest.origins = 1
        let report = backtest.run()
        XCTAssertEqual(report.origins, [Self.day0 + 84])
        // Slot 1 had not sold before the origin: a layout inferred from sales would not know it.
        XCTAssertEqual(report.rows.count, 1)
        let row = try XCTUnwrap(report.rows.first)
        XCTAssertEqual(row.actual, 84)
        XCTAssertEqual(row.naive, 56)  // 14 days at 1, 14 at 3
        // The 8 weeks before day 84: 42 days at 1 and 14 days at 3 = 84 units in 56 days → 42 in 28.
        XCTAssertEqual(row.eightWeek, 42, accuracy: 1e-9)
        XCTAssertEqual(report.slot["naive"]!.wape, 100.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(report.slot["eight_week_mean"]!.wape, 50, accuracy: 1e-9)
        XCTAssertEqual(report.slot["eight_week_mean"]!.bias, -50, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(row.low, row.model)
        XCTAssertLessThanOrEqual(row.model, row.high)
    }
}

import Foundation
import Insights
import PlanogramDomain
import XCTest

/// The demand model, scorer, forecaster and history builder on small hand-made histories (no store, no server).
final class InsightsTests: XCTestCase {
    // A 3-row × 2-column ambient cabinet; products FAST (sells a lot), SLOW, COLD (chilled).
    let cab = Cabinet(
        deviceID: "D",
        index: 0,
        temperature: .ambient,
        rows: 3,
        columns: 2,
        rowHeightsMM: [200, 200, 200]
    )
    let products = [
        Product(
            id: "FAST",
            name: "Fast",
            category: "chips",
            price: 2,
            unitCost: 1,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 90
        ),
        Product(
            id: "MID",
            name: "Mid",
            category: "candy",
            price: 1,
            unitCost: 0.5,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 90
        ),
        Product(
            id: "SLOW",
            name: "Slow",
            category: "nuts",
            price: 1,
            unitCost: 0.5,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 90
        ),
        Product(
            id: "COLD",
            name: "Cold",
            category: "soda",
            price: 2,
            unitCost: 1,
            temperature: .chilled,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 90
        ),
    ]
    let device = Device(id: "D", name: "D", venueType: .office, latitude: 0, longitude: 0, deviceType: .snack)

    func plan(_ v: Int, _ from: Int64, _ slots: [String: String]) -> Planogram {
        var p = Planogram(deviceID: "D", cabinetIndex: 0, version: v, effectiveFrom: from)
        for (s, pid) in slots { p.facings[SlotCode(s)!] = Facing(productID: pid, capacity: 100) }
        return p
    }

    /// 60 days: FAST sells 6/day, MID 3/day, SLOW 1/day at the top row, half that in the bottom row;
    /// the products rotate rows every 20 days so position and product can be told apart.
    func history() -> SalesHistory {
        let day0: Int64 = 20_000 * 86400
        let versions = [
            plan(1, day0, ["A1": "FAST", "B1": "MID", "C1": "SLOW"]),
            plan(2, day0 + 20 * 86400, ["A1": "SLOW", "B1": "FAST", "C1": "MID"]),
            plan(3, day0 + 40 * 86400, ["A1": "MID", "B1": "SLOW", "C1": "FAST"]),
        ]
        let b = HistoryBuilder(
            catalog: [CabinetKey("D", 0): cab],
            devices: ["D": device],
            products: products,
            planograms: [CabinetKey("D", 0): versions]
        )
        let base = ["FAST": 6.0, "MID": 3.0, "SLOW": 1.0]
        let row = [1.0, 0.8, 0.5]
        for d in 0..<60 {
            let v = versions[d / 20]
            for (slot, f) in v.facings {
                let n = Int((base[f.productID]! * row[slot.row] * 2).rounded())  // per two days, to keep halves exact
                let count = d % 2 == 0 ? n / 2 + n % 2 : n / 2
                for k in 0..<count {
                    b.addSale(
                        ts: day0 + Int64(d) * 86400 + 8 * 3600 + Int64(k * 600 + slot.row * 60),
                        deviceID: "D",
                        cabinetIndex: 0,
                        slot: slot,
                        productID: f.productID,
                        price: products.first { $0.id == f.productID }!.price,
                        transactionID: nil
                    )
                }
            }
        }
        return b.finish()
    }

    func testEstimationSeparatesPositionFromProduct() {
        let model = DemandModel.fit(history())
        let a = model.positionMultiplier(cab, SlotCode("A1")!)
        let c = model.positionMultiplier(cab, SlotCode("C1")!)
        XCTAssertEqual(c / a, 0.5, accuracy: 0.08)
        XCTAssertEqual(
            model.baseRate(productID: "FAST", deviceID: "D") / model.baseRate(productID: "SLOW", deviceID: "D"),
            6,
            accuracy: 0.9
        )
    }

    func testHighVelocityProductScoresHigherAtEyeLevelThanAtTheBottom() {
        let model = DemandModel.fit(history())
        let scorer = PlacementScorer(model: model, affinity: nil)
        let draft = plan(4, 0, ["B1": "MID", "B2": "SLOW"])
        let top = scorer.score(productID: "FAST", at: SlotCode("A1")!, cabinet: cab, draft: draft, capacity: 40)
        let bottom = scorer.score(productID: "FAST", at: SlotCode("C1")!, cabinet: cab, draft: draft, capacity: 40)
        XCTAssertTrue(top.constraintsPassed && bottom.constraintsPassed)
        XCTAssertGreaterThan(top.score, bottom.score + 10, "\(top.factors) vs \(bottom.factors)")
        XCTAssertEqual(top.factors.map(\.weight).reduce(0, +), 100)
        XCTAssertLessThanOrEqual(top.suggestions.count, 3)
        // From the bottom, the scorer suggests moving up.
        XCTAssertTrue(
            bottom.suggestions.contains { $0.kind == .moveToSlot && $0.slot.row == 0 },
            "\(bottom.suggestions)"
        )
    }

    func testChilledProductInAnAmbientCabinetFails() {
        let scorer = PlacementScorer(model: DemandModel.fit(history()), affinity: nil)
        let s = scorer.score(productID: "COLD", at: SlotCode("A2")!, cabinet: cab, draft: plan(1, 0, [:]), capacity: 5)
        XCTAssertFalse(s.constraintsPassed)
        XCTAssertEqual(s.score, 0)
        XCTAssertEqual(s.violations.map(\.rule), ["temperature"])
        XCTAssertTrue(s.reasoning.contains("cannot go in A2"))
    }

    func testProposalEqualToCurrentHasZeroLift() {
        let model = DemandModel.fit(history())
        let f = RevenueForecaster(model: model)
        let current = plan(3, 0, ["A1": "MID", "B1": "SLOW", "C1": "FAST"])
        let p = f.predict(cabinet: cab, current: current, proposed: current, forecastDays: 28, changeCostPerSlot: 2)
        XCTAssertEqual(p.liftPercentage, 0)
        XCTAssertEqual(p.baselineRevenue, p.predictedRevenue)
        XCTAssertEqual(p.touchedSlots, [])
        XCTAssertEqual(p.breakEvenDays, 0)
        XCTAssertLessThan(p.confidenceInterval.lower, p.predictedRevenue)
        XCTAssertGreaterThan(p.confidenceInterval.upper, p.predictedRevenue)
        // Moving the fast seller to the top earns more, and the change pays back.
        let better = plan(4, 0, ["A1": "FAST", "B1": "MID", "C1": "SLOW"])
        let q = f.predict(cabinet: cab, current: current, proposed: better, forecastDays: 28, changeCostPerSlot: 2)
        XCTAssertGreaterThan(q.liftPercentage, 5)
        XCTAssertEqual(q.touchedSlots.map(\.description), ["A1", "B1", "C1"])
        let dailyLift = (q.predictedRevenue - q.baselineRevenue) / 28
        XCTAssertEqual(q.breakEvenDays ?? -1, 3 * 2 / dailyLift, accuracy: 1e-9)
        // Per slot: units = demand × availability × the model's revenue level (no affinity table),
        // revenue = units × price; the level is fitted on the fit window and bounded.
        XCTAssertTrue((0.9...1.1).contains(f.model.revenueLevel), "\(f.model.revenueLevel)")
        for (_, proposed) in q.perSlot {
            let s = proposed!
            XCTAssertEqual(s.unitsPerDay, s.demandPerDay * s.availability * f.model.revenueLevel, accuracy: 1e-12)
        }
    }

    func testAvailabilityMatchesTheHandComputedPoissonExpectation() {
        // λ·interval = 1, capacity 2: E[min(X, 2)] = e⁻¹ + 2·(1 − 2e⁻¹) = 2 − 3/e.
        XCTAssertEqual(availability(lambdaPerDay: 1, capacity: 2, intervalDays: 1), 2 - 3 / M_E, accuracy: 1e-12)
        XCTAssertEqual(availability(lambdaPerDay: 0.01, capacity: 20, intervalDays: 3), 1, accuracy: 1e-9)
        XCTAssertLessThan(availability(lambdaPerDay: 10, capacity: 5, intervalDays: 3), 0.2)
    }

    func testAffinityFromBaskets() {
        let b = HistoryBuilder(
            catalog: [CabinetKey("D", 0): cab],
            devices: ["D": device],
            products: products,
            planograms: [CabinetKey("D", 0): [plan(1, 0, ["A1": "FAST", "A2": "MID", "B1": "SLOW"])]]
        )
        // 7 transactions: {FAST, MID} ×3, {FAST}, {SLOW} ×2, {MID}.
        let txns: [[String]] = [
            ["FAST", "MID"], ["FAST", "MID"], ["FAST", "MID"], ["FAST"], ["SLOW"], ["SLOW"], ["MID"],
        ]
        let slotOf = ["FAST": "A1", "MID": "A2", "SLOW": "B1"]
        var ts: Int64 = 86400
        for (i, t) in txns.enumerated() {
            for p in t {
                ts += 30
                b.addSale(
                    ts: ts,
                    deviceID: "D",
                    cabinetIndex: 0,
                    slot: SlotCode(slotOf[p]!)!,
                    productID: p,
                    price: 1,
                    transactionID: "t\(i)"
                )
            }
        }
        let table = AffinityTable(history: b.finish(), minimumBaskets: 3)
        let ab = try! XCTUnwrap(table.affinity("FAST", "MID"))
        XCTAssertEqual(ab.support, 3.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(ab.confidence, 3.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(ab.lift, (3.0 / 4) / (4.0 / 7), accuracy: 1e-12)
        XCTAssertNil(table.affinity("FAST", "SLOW"))
        XCTAssertEqual(table.lift("FAST", "SLOW"), 1)
    }

    func testStockoutTimeIsExcludedFromExposure() {
        let b = HistoryBuilder(
            catalog: [CabinetKey("D", 0): cab],
            devices: ["D": device],
            products: products,
            planograms: [
                CabinetKey("D", 0): [
                    Planogram(
                        deviceID: "D",
                        cabinetIndex: 0,
                        version: 1,
                        effectiveFrom: 0,
                        facings: [SlotCode("A1")!: Facing(productID: "FAST", capacity: 2)]
                    )
                ]
            ]
        )
        let day: Int64 = 10 * 86400
        // Two units, both sold by 10:00 (empty from 10:00), restocked the next day at 14:00.
        b.addSale(
            ts: day + 9 * 3600,
            deviceID: "D",
            cabinetIndex: 0,
            slot: SlotCode("A1")!,
            productID: "FAST",
            price: 2,
            transactionID: nil
        )
        b.addSale(
            ts: day + 10 * 3600,
            deviceID: "D",
            cabinetIndex: 0,
            slot: SlotCode("A1")!,
            productID: "FAST",
            price: 2,
            transactionID: nil
        )
        b.addService(ts: day + 86400 + 14 * 3600, deviceID: "D", cabinetIndex: 0, slot: SlotCode("A1")!, units: 2)
        let h = b.finish()
        let days = h.series.first { $0.slot == SlotCode("A1")! }!.days
        XCTAssertEqual(days.map(\.inStock), [4.0 / 16, 8.0 / 16])  // 06–10 in stock; next day 14–22 in stock
        XCTAssertEqual(days.map(\.units), [2, 0])
    }

    /// On the fleet's clock (New York, UTC−5 in January) a day is a local date and the trading hours are
    /// 06:00–22:00 local: the same sales as above, five hours later in UTC, give the same in-stock shares,
    /// and a sale at 21:30 counts on that evening's date (UTC reading: 9/16 and 3/16, and the next day).
    func testStockoutTimeAndDaysAreOnTheFleetsClock() {
        let york = FleetClock(identifier: "America/New_York")!
        let b = HistoryBuilder(
            catalog: [CabinetKey("D", 0): cab],
            devices: ["D": device],
            products: products,
            planograms: [
                CabinetKey("D", 0): [
                    Planogram(
                        deviceID: "D",
                        cabinetIndex: 0,
                        version: 1,
                        effectiveFrom: 0,
                        facings: [
                            SlotCode("A1")!: Facing(productID: "FAST", capacity: 2),
                            SlotCode("A2")!: Facing(productID: "MID", capacity: 9),
                        ]
                    )
                ]
            ],
            clock: york
        )
        let date: Int64 = 20_455  // 2026-01-02
        func local(_ day: Int64, _ hour: Int, _ minute: Int = 0) -> Int64 {
            york.instant(day: day, minute: hour * 60 + minute)
        }
        b.addSale(
            ts: local(date, 9),
            deviceID: "D",
            cabinetIndex: 0,
            slot: SlotCode("A1")!,
            productID: "FAST",
            price: 2,
            transactionID: nil
        )
        b.addSale(
            ts: local(date, 10),
            deviceID: "D",
            cabinetIndex: 0,
            slot: SlotCode("A1")!,
            productID: "FAST",
            price: 2,
            transactionID: nil
        )
        b.addSale(
            ts: local(date, 21, 30),
            deviceID: "D",
            cabinetIndex: 0,
            slot: SlotCode("A2")!,
            productID: "MID",
            price: 1,
            transactionID: nil
        )
        b.addService(ts: local(date + 1, 14), deviceID: "D", cabinetIndex: 0, slot: SlotCode("A1")!, units: 2)
        let h = b.finish()
        let a1 = h.series.first { $0.slot == SlotCode("A1")! }!.days
        let a2 = h.series.first { $0.slot == SlotCode("A2")! }!.days
        XCTAssertEqual(a1.map(\.day), [Int32(date), Int32(date + 1)])
        XCTAssertEqual(a1.map(\.inStock), [4.0 / 16, 8.0 / 16])
        XCTAssertEqual(a2.first { $0.units > 0 }?.day, Int32(date), "21:30 in New York is 02:30Z the next day")
        XCTAssertEqual(h.deviceDayUnits["D"]?[Int32(date)], 3)
    }
}

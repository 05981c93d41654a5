import PlanogramDomain
import XCTest

final class DomainTests: XCTestCase {
    let ambient = Cabinet(
        deviceID: "D",
        index: 0,
        temperature: .ambient,
        rows: 3,
        columns: 4,
        rowHeightsMM: [200, 150, 100]
    )
    func product(_ id: String, temp: Temperature = .ambient, height: Int = 90, width: Int = 1) -> Product {
        Product(
            id: id,
            name: id,
            category: "chips",
            price: 1.5,
            unitCost: 0.5,
            temperature: temp,
            heightMM: height,
            widthColumns: width,
            shelfLifeDays: 90
        )
    }

    func testSlotCodesAreCaseInsensitiveInAndUpperCaseOut() throws {
        XCTAssertEqual(SlotCode("b4"), SlotCode(row: 1, column: 3))
        XCTAssertEqual(SlotCode("B4")?.description, "B4")
        XCTAssertEqual(SlotCode("c12")?.description, "C12")
        for bad in ["", "4B", "B", "B0", "B04", "BB4", "B4x", "ä1", "B-1", " B4", "B12345"] {
            XCTAssertNil(SlotCode(bad), bad)
        }
    }

    func testSlotOutsideTheCabinetIsAnError() {
        XCTAssertEqual(try ambient.slot("c4").description, "C4")
        XCTAssertThrowsError(try ambient.slot("D1")) { e in
            XCTAssertEqual((e as? PlacementError)?.rule, "slot")
            XCTAssertTrue("\(e)".contains("outside the cabinet (A1…C4)"), "\(e)")
        }
        XCTAssertThrowsError(try ambient.slot("A5"))
        XCTAssertThrowsError(try ambient.slot("zz"))
    }

    func testTemperatureRule() {
        XCTAssertTrue(Temperature.ambient.fits(in: .chilled))
        XCTAssertFalse(Temperature.chilled.fits(in: .ambient))
        XCTAssertFalse(Temperature.frozen.fits(in: .chilled))
        XCTAssertTrue(Temperature.frozen.fits(in: .frozen))
        let plan = Planogram(deviceID: "D", cabinetIndex: 0, version: 1, effectiveFrom: 0)
        let cold = product("COLD", temp: .chilled)
        let v = PlacementRules.violations(
            placing: cold,
            capacity: 5,
            at: SlotCode("A1")!,
            in: ambient,
            planogram: plan,
            products: ["COLD": cold]
        )
        XCTAssertEqual(v.map(\.rule), ["temperature"])
        XCTAssertEqual(v.first?.slot, "A1")
    }

    func testHeightAndCapacityRules() {
        let plan = Planogram(deviceID: "D", cabinetIndex: 0, version: 1, effectiveFrom: 0)
        let tall = product("TALL", height: 160)
        XCTAssertEqual(
            PlacementRules.violations(
                placing: tall,
                capacity: 5,
                at: SlotCode("A1")!,
                in: ambient,
                planogram: plan,
                products: [:]
            ),
            []
        )
        let v = PlacementRules.violations(
            placing: tall,
            capacity: 0,
            at: SlotCode("C1")!,
            in: ambient,
            planogram: plan,
            products: [:]
        )
        XCTAssertEqual(v.map(\.rule), ["height", "capacity"])
        XCTAssertTrue(v[0].description.contains("160 mm"))
    }

    func testWideProductsNeedTheirRightNeighbour() {
        let wide = product("WIDE", width: 2)
        let small = product("S")
        let products = ["WIDE": wide, "S": small]
        var plan = Planogram(deviceID: "D", cabinetIndex: 0, version: 1, effectiveFrom: 0)
        XCTAssertEqual(
            PlacementRules.violations(
                placing: wide,
                capacity: 3,
                at: SlotCode("A4")!,
                in: ambient,
                planogram: plan,
                products: products
            ).map(\.rule),
            ["width"]
        )
        plan.facings[SlotCode("A2")!] = Facing(productID: "S", capacity: 3)
        XCTAssertEqual(
            PlacementRules.violations(
                placing: wide,
                capacity: 3,
                at: SlotCode("A1")!,
                in: ambient,
                planogram: plan,
                products: products
            ).map(\.rule),
            ["width"]
        )
        XCTAssertEqual(
            PlacementRules.violations(
                placing: wide,
                capacity: 3,
                at: SlotCode("A1")!,
                in: ambient,
                planogram: plan,
                ignoring: [SlotCode("A2")!],
                products: products
            ),
            []
        )
        plan.facings[SlotCode("B1")!] = Facing(productID: "WIDE", capacity: 3)
        // B2 is covered by the wide product in B1.
        let v = PlacementRules.violations(
            placing: small,
            capacity: 3,
            at: SlotCode("B2")!,
            in: ambient,
            planogram: plan,
            products: products
        )
        XCTAssertEqual(v, [.slotOccupiedByWideNeighbour(slot: SlotCode("B2")!, neighbour: SlotCode("B1")!)])
        XCTAssertEqual(plan.anchor(of: SlotCode("B2")!, widths: { products[$0]?.widthColumns ?? 1 }), SlotCode("B1"))
    }
}

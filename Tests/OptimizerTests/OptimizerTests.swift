import Foundation
import Optimizer
import PlanogramDomain
import XCTest

final class OptimizerTests: XCTestCase {
    func product(_ id: String, temperature: Temperature = .ambient, height: Int = 100, width: Int = 1) -> Product {
        Product(
            id: id,
            name: id,
            category: "c",
            price: 1,
            unitCost: 0.5,
            temperature: temperature,
            heightMM: height,
            widthColumns: width,
            shelfLifeDays: 100,
            caseSize: 1
        )
    }

    /// A random small instance: a 2×3 cabinet (the second row low), five products (one 2-wide, one tall,
    /// one chilled), values from a seeded stream.
    func instance(seed: UInt64) -> LayoutProblem {
        var rng = SeededRandom(seed: seed)
        let cabinet = Cabinet(
            deviceID: "D",
            index: 0,
            temperature: .ambient,
            rows: 2,
            columns: 3,
            rowHeightsMM: [200, 120]
        )
        let products = [
            product("A"), product("B"), product("W", width: 2), product("T", height: 180),
            product("C", temperature: .chilled),
        ]
        let value = products.map { _ in (0..<6).map { _ in 10 * rng.unit() } }
        var p = LayoutProblem(cabinet: cabinet, products: products, value: value, capacity: 8)
        p.defaultMaxFacings = 2
        return p
    }

    /// Every layout that passes the rules, by enumeration: each slot empty or the start of a product.
    func bruteForce(_ p: LayoutProblem) -> Double {
        let slots = (0..<p.cabinet.rows).flatMap { r in (0..<p.cabinet.columns).map { SlotCode(row: r, column: $0) } }
        var best = -Double.infinity
        func go(_ k: Int, _ facings: [SlotCode: String], _ used: Set<SlotCode>) {
            if k == slots.count {
                var counts: [String: Int] = [:]
                for id in facings.values { counts[id, default: 0] += 1 }
                guard
                    counts.allSatisfy({ id, n in
                        n <= (p.maxFacings[id] ?? p.defaultMaxFacings) && n >= (p.minFacings[id] ?? 0)
                    }),
                    p.minFacings.allSatisfy({ id, m in (counts[id] ?? 0) >= m }),
                    p.locked.allSatisfy({ facings[$0.key] == $0.value })
                else { return }
                best = max(best, p.objective(facings))
                return
            }
            let s = slots[k]
            go(k + 1, facings, used)
            guard !used.contains(s) else { return }
            for prod in p.products {
                guard let cover = p.covers(prod, at: s), cover.allSatisfy({ !used.contains($0) }) else { continue }
                var f = facings
                f[s] = prod.id
                go(k + 1, f, used.union(cover))
            }
        }
        go(0, [:], [])
        return best
    }

    func testTheOptimumEqualsABruteForceEnumeration() throws {
        for seed: UInt64 in 1...12 {
            let p = instance(seed: seed)
            let s = try LayoutOptimizer.solve(p, seconds: 10)
            XCTAssertTrue(s.provenOptimal, "seed \(seed)")
            XCTAssertEqual(s.objective, bruteForce(p), accuracy: 1e-6, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(s.objective, s.greedyObjective - 1e-9)
        }
    }

    func testEveryProposalPassesTheHardRules() throws {
        for seed: UInt64 in 1...12 {
            let p = instance(seed: seed)
            let s = try LayoutOptimizer.solve(p, seconds: 10)
            let catalog = Dictionary(uniqueKeysWithValues: p.products.map { ($0.id, $0) })
            var plan = Planogram(deviceID: "D", cabinetIndex: 0, version: 1, effectiveFrom: 0)
            for (slot, id) in s.facings.sorted(by: { $0.key < $1.key }) {
                XCTAssertEqual(
                    PlacementRules.violations(
                        placing: catalog[id]!,
                        capacity: p.capacity,
                        at: slot,
                        in: p.cabinet,
                        planogram: plan,
                        products: catalog
                    ),
                    [],
                    "seed \(seed): \(id) at \(slot)"
                )
                plan.facings[slot] = Facing(productID: id, capacity: p.capacity)
            }
            // A 2-wide product's right neighbour is never used by another placement, checked the other way round too.
            for (slot, id) in s.facings where catalog[id]!.widthColumns == 2 {
                XCTAssertNil(s.facings[SlotCode(row: slot.row, column: slot.column + 1)])
            }
        }
    }

    func testLockedSlotsAndFacingLimitsAreKeptAndBadRequestsNamed() throws {
        var p = instance(seed: 3)
        p.locked = [SlotCode(row: 1, column: 2): "B"]
        p.minFacings = ["A": 2]
        p.maxFacings = ["B": 1]
        let s = try LayoutOptimizer.solve(p, seconds: 10)
        XCTAssertEqual(s.facings[SlotCode(row: 1, column: 2)], "B")
        XCTAssertEqual(s.facings.values.filter { $0 == "A" }.count, 2)
        XCTAssertEqual(s.facings.values.filter { $0 == "B" }.count, 1)
        XCTAssertEqual(s.objective, bruteForce(p), accuracy: 1e-6)
        // A chilled product locked in an ambient cabinet; a tall one in the low row; unknown; too many facings.
        var bad = instance(seed: 3)
        bad.locked = [SlotCode(row: 0, column: 0): "C"]
        XCTAssertThrowsError(try LayoutOptimizer.solve(bad)) {
            XCTAssertEqual($0 as? LayoutError, .lockedBreaksRule(SlotCode(row: 0, column: 0), "C"))
        }
        bad.locked = [SlotCode(row: 1, column: 0): "T"]
        XCTAssertThrowsError(try LayoutOptimizer.solve(bad)) {
            XCTAssertEqual($0 as? LayoutError, .lockedBreaksRule(SlotCode(row: 1, column: 0), "T"))
        }
        bad.locked = [SlotCode(row: 0, column: 0): "W", SlotCode(row: 0, column: 1): "A"]
        XCTAssertThrowsError(try LayoutOptimizer.solve(bad)) {
            XCTAssertEqual($0 as? LayoutError, .lockedOverlap(SlotCode(row: 0, column: 1)))
        }
        bad.locked = ["A1".slot: "Z"]
        XCTAssertThrowsError(try LayoutOptimizer.solve(bad)) {
            XCTAssertEqual($0 as? LayoutError, .unknownProduct("Z"))
        }
        bad.locked = [:]
        bad.minFacings = ["C": 1]
        XCTAssertThrowsError(try LayoutOptimizer.solve(bad)) { e in
            guard case .infeasible = e as? LayoutError else { return XCTFail("\(e)") }
        }
    }

    func testASecondFacingIsWorthLessThanTheFirst() throws {
        // One product worth 10 everywhere in a 1×2 cabinet: a second facing keeps half its value.
        let cabinet = Cabinet(deviceID: "D", index: 0, temperature: .ambient, rows: 1, columns: 2, rowHeightsMM: [200])
        let p = LayoutProblem(cabinet: cabinet, products: [product("A")], value: [[10, 10]], capacity: 8)
        let s = try LayoutOptimizer.solve(p)
        XCTAssertEqual(s.facings.count, 2)
        XCTAssertEqual(s.objective, 15, accuracy: 1e-9)
    }
}

extension String {
    var slot: SlotCode { SlotCode(self)! }
}

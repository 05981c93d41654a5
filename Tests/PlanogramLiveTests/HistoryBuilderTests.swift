import FleetGenerator
import Foundation
import PlanogramDomain
import PlanogramLive
import Store
import XCTest

@testable import Insights

/// `HistoryBuilder` keeps its state in arrays indexed by slot and day for speed; these tests hold it to
/// the plain dictionary-based builder it replaced (`ReferenceHistoryBuilder` below, the code as it was),
/// field by field, on the generated test fleet read from a real SQLite file and on random streams with
/// events out of order, slots and devices no planogram knows, sales from slots thought empty and baskets.
final class HistoryBuilderTests: XCTestCase {
    func testTheTestFleetBuildsTheSameHistoryAsThePlainBuilder() throws {
        let dir = NSTemporaryDirectory() + "history-builder-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/t.db")
        _ = try Importer(store: store).importDirectory(TestFleet.directory)
        let catalog = try store.loadCatalog()
        let planograms = try HistoryReader.planograms(store)
        let products = catalog.products.values.sorted { $0.id < $1.id }
        let fast = HistoryBuilder(
            catalog: catalog.cabinets,
            devices: catalog.devices,
            products: products,
            planograms: planograms
        )
        let plain = ReferenceHistoryBuilder(
            catalog: catalog.cabinets,
            devices: catalog.devices,
            products: products,
            planograms: planograms
        )
        var events = 0
        try HistoryReader.forEachEvent(store) { e in
            events += 1
            if e.isSale {
                fast.addSale(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    productID: e.productID,
                    price: e.price,
                    transactionID: e.transactionID
                )
                plain.addSale(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    productID: e.productID,
                    price: e.price,
                    transactionID: e.transactionID
                )
            } else {
                fast.addService(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    units: e.unitsAdded
                )
                plain.addService(
                    ts: e.ts,
                    deviceID: e.deviceID,
                    cabinetIndex: e.cabinetIndex,
                    slot: e.slot,
                    units: e.unitsAdded
                )
            }
        }
        XCTAssertGreaterThan(events, 5_000)
        let a = fast.finish()
        let b = plain.finish()
        assertSame(a, b)
        XCTAssertFalse(a.baskets.isEmpty, "the fleet has baskets")
        XCTAssertTrue(a.series.contains { $0.days.contains { $0.inStock < 1 } }, "and stockouts")
        assertSame(fast.finish(), a, "finishing twice gives the same history")
    }

    func testRandomStreamsOutOfOrderAndOffThePlanogramBuildTheSameHistory() {
        let cab = Cabinet(
            deviceID: "D0",
            index: 0,
            temperature: .ambient,
            rows: 3,
            columns: 3,
            rowHeightsMM: [200, 200, 200]
        )
        let products = (0..<4).map {
            Product(
                id: "P\($0)",
                name: "P\($0)",
                category: "chips",
                price: 1 + Double($0) * 0.35,
                unitCost: 0.5,
                temperature: .ambient,
                heightMM: 100,
                widthColumns: 1,
                shelfLifeDays: 90
            )
        }
        let devices = [
            "D0": Device(id: "D0", name: "D0", venueType: .office, latitude: 0, longitude: 0, deviceType: .snack),
            "D1": Device(id: "D1", name: "D1", venueType: .office, latitude: 0, longitude: 0, deviceType: .snack),
        ]
        let day0: Int64 = 20_000 * 86_400
        func plan(_ device: String, _ v: Int, _ from: Int64, _ capacity: Int) -> Planogram {
            var p = Planogram(deviceID: device, cabinetIndex: 0, version: v, effectiveFrom: from)
            for (i, s) in cab.allSlots.prefix(6).enumerated() {
                p.facings[s] = Facing(productID: "P\((i + v) % 4)", capacity: capacity)
            }
            return p
        }
        let cabinets = [
            CabinetKey("D0", 0): cab,
            CabinetKey("D1", 0): Cabinet(
                deviceID: "D1",
                index: 0,
                temperature: .ambient,
                rows: 3,
                columns: 3,
                rowHeightsMM: [200, 200, 200]
            ),
        ]
        let planograms = [
            CabinetKey("D0", 0): [plan("D0", 2, day0 + 9 * 86_400, 3), plan("D0", 1, day0, 4)],
            CabinetKey("D1", 0): [plan("D1", 1, day0 + 86_400, 2)],
        ]
        var rng = SeededRandom(seed: 11)
        for round in 0..<20 {
            let fast = HistoryBuilder(catalog: cabinets, devices: devices, products: products, planograms: planograms)
            let plain = ReferenceHistoryBuilder(
                catalog: cabinets,
                devices: devices,
                products: products,
                planograms: planograms
            )
            var ts = day0 + 5 * 3600
            for _ in 0..<600 {
                // Mostly forward in time, sometimes days back (an out-of-order row), sometimes far ahead.
                let step = rng.unit()
                ts +=
                    step < 0.03
                    ? -Int64(rng.int(1...2)) * 86_400
                    : step < 0.06 ? Int64(rng.int(1...3)) * 86_400 : Int64(rng.int(0...4_000))
                let device = rng.chance(0.1) ? "D9" : rng.chance(0.3) ? "D1" : "D0"
                // Three of nine slots no planogram holds.
                let slot = SlotCode(row: rng.int(0...2), column: rng.int(0...2))
                let cabinet = rng.chance(0.05) ? 1 : 0
                if rng.chance(0.15) {
                    let units = rng.int(1...4)
                    fast.addService(ts: ts, deviceID: device, cabinetIndex: cabinet, slot: slot, units: units)
                    plain.addService(ts: ts, deviceID: device, cabinetIndex: cabinet, slot: slot, units: units)
                } else {
                    let product = rng.chance(0.05) ? "UNKNOWN" : "P\(rng.int(0...3))"
                    let txn: String? = rng.chance(0.3) ? nil : rng.chance(0.1) ? "" : "t\(rng.int(0...40))"
                    let price = Double(rng.int(50...400)) / 100
                    fast.addSale(
                        ts: ts,
                        deviceID: device,
                        cabinetIndex: cabinet,
                        slot: slot,
                        productID: product,
                        price: price,
                        transactionID: txn
                    )
                    plain.addSale(
                        ts: ts,
                        deviceID: device,
                        cabinetIndex: cabinet,
                        slot: slot,
                        productID: product,
                        price: price,
                        transactionID: txn
                    )
                }
            }
            let a = fast.finish()
            assertSame(a, plain.finish(), "round \(round)")
            XCTAssertFalse(a.series.isEmpty, "round \(round)")
            XCTAssertTrue(a.series.contains { $0.days.contains { $0.inStock < 1 } }, "round \(round): some stockouts")
        }
        // No events at all.
        assertSame(
            HistoryBuilder(catalog: cabinets, devices: devices, products: products, planograms: planograms).finish(),
            ReferenceHistoryBuilder(catalog: cabinets, devices: devices, products: products, planograms: planograms)
                .finish()
        )
    }

    /// One recipe generated on New York's clock (across its autumn change) and on Tokyo's: the same local
    /// days, hours and draws, at instants 13–14 hours apart. Imported and read each on its own clock, the
    /// two give the same history and the same daily totals to the bit; read on UTC's clock, New York's does
    /// not (its evenings fall on the next UTC date).
    func testTheSameFleetOnTwoClocksIsTheSameHistory() throws {
        let dir = NSTemporaryDirectory() + "history-zones-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func load(_ zone: String, readOn read: String? = nil) throws -> (SalesHistory, [String]) {
            let (store, clock) = try ZonedFleet.imported(
                dir: dir,
                zone: zone,
                readOn: read,
                seed: 7,
                devices: 3,
                days: 30
            )
            let daily = try store.read { db in
                try db.query("SELECT device_id, day, revenue, units FROM sales_daily ORDER BY 1, 2") {
                    "\($0.text(0)) \($0.int(1)) \($0.double(2)) \($0.int(3))"
                }
            }
            return (try InsightsEngine.loadHistory(store, clock: clock), daily)
        }
        let (york, yorkDaily) = try load("America/New_York")
        let (tokyo, tokyoDaily) = try load("Asia/Tokyo")
        XCTAssertGreaterThan(york.series.count, 20)
        assertSame(york, tokyo, "New York and Tokyo")
        XCTAssertEqual(yorkDaily, tokyoDaily)
        XCTAssertEqual(yorkDaily.count, 90, "3 devices × 30 local dates")
        let (utc, utcDaily) = try load("America/New_York", readOn: "UTC")
        XCTAssertNotEqual(utc.deviceDayUnits, york.deviceDayUnits)
        XCTAssertNotEqual(utcDaily, yorkDaily)
    }

    private func assertSame(
        _ a: SalesHistory,
        _ b: SalesHistory,
        _ what: String = "",
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(a.firstDay, b.firstDay, what, file: file, line: line)
        XCTAssertEqual(a.lastDay, b.lastDay, what, file: file, line: line)
        XCTAssertEqual(a.series.count, b.series.count, what, file: file, line: line)
        for (x, y) in zip(a.series, b.series) {
            XCTAssertEqual(x.cabinet, y.cabinet, what, file: file, line: line)
            XCTAssertEqual(x.slot, y.slot, what, file: file, line: line)
            XCTAssertEqual(
                x.days.map(\.day),
                y.days.map(\.day),
                "\(what) \(x.cabinet) \(x.slot)",
                file: file,
                line: line
            )
            XCTAssertEqual(
                x.days.map(\.product),
                y.days.map(\.product),
                "\(what) \(x.cabinet) \(x.slot)",
                file: file,
                line: line
            )
            XCTAssertEqual(
                x.days.map(\.units),
                y.days.map(\.units),
                "\(what) \(x.cabinet) \(x.slot)",
                file: file,
                line: line
            )
            XCTAssertEqual(
                x.days.map(\.revenue),
                y.days.map(\.revenue),
                "\(what) \(x.cabinet) \(x.slot)",
                file: file,
                line: line
            )
            XCTAssertEqual(
                x.days.map(\.inStock),
                y.days.map(\.inStock),
                "\(what) \(x.cabinet) \(x.slot)",
                file: file,
                line: line
            )
        }
        XCTAssertEqual(a.deviceDayRevenue, b.deviceDayRevenue, what, file: file, line: line)
        XCTAssertEqual(a.deviceDayUnits, b.deviceDayUnits, what, file: file, line: line)
        XCTAssertEqual(a.baskets, b.baskets, what, file: file, line: line)
        XCTAssertEqual(a.transactionCount, b.transactionCount, what, file: file, line: line)
        XCTAssertEqual(a.transactionsWithProduct, b.transactionsWithProduct, what, file: file, line: line)
        XCTAssertEqual(a.serviceIntervalDays, b.serviceIntervalDays, what, file: file, line: line)
        XCTAssertEqual(a.serviceDays, b.serviceDays, what, file: file, line: line)
    }
}

/// The builder as it was before 2026-12-03: nested dictionaries by cabinet, slot and day. Kept only as the
/// tests' reference for `HistoryBuilder`.
final class ReferenceHistoryBuilder {
    static let tradingStart: Int64 = 6 * 3600, tradingEnd: Int64 = 22 * 3600

    struct SlotState {
        var stock: Int
        var emptySince: Int64?
        var outSeconds: [Int32: Int64] = [:]
    }

    let cabinets: [CabinetKey: Cabinet]
    let devices: [String: Device]
    let products: [Product]
    let productIndex: [String: Int32]
    let planograms: [CabinetKey: [Planogram]]
    private var states: [CabinetKey: [SlotCode: SlotState]] = [:]
    private var units: [CabinetKey: [SlotCode: [Int32: (units: Float, revenue: Float)]]] = [:]
    private var deviceDayRevenue: [String: [Int32: Double]] = [:]
    private var deviceDayUnits: [String: [Int32: Double]] = [:]
    private var transactions: [String: [Int32]] = [:]
    private var serviceDays: [String: Set<Int32>] = [:]
    private var firstDay = Int32.max, lastDay = Int32.min

    init(
        catalog: [CabinetKey: Cabinet],
        devices: [String: Device],
        products: [Product],
        planograms: [CabinetKey: [Planogram]]
    ) {
        self.cabinets = catalog
        self.devices = devices
        self.products = products
        var idx: [String: Int32] = [:]
        for (i, p) in products.enumerated() { idx[p.id] = Int32(i) }
        self.productIndex = idx
        self.planograms = planograms.mapValues { $0.sorted { $0.effectiveFrom < $1.effectiveFrom } }
        for (key, versions) in self.planograms {
            guard let first = versions.first else { continue }
            var m: [SlotCode: SlotState] = [:]
            for (slot, f) in first.facings { m[slot] = SlotState(stock: f.capacity) }
            states[key] = m
        }
    }

    private func touch(_ day: Int32) {
        if day < firstDay { firstDay = day }
        if day > lastDay { lastDay = day }
    }

    private static func addOut(_ state: inout SlotState, from: Int64, to: Int64) {
        guard to > from else { return }
        var t = from
        while t < to {
            let day = dayOf(t)
            let dayStart = Int64(day) * 86400
            let lo = max(t, dayStart + tradingStart)
            let hi = min(to, dayStart + tradingEnd)
            if hi > lo { state.outSeconds[day, default: 0] += hi - lo }
            t = dayStart + 86400
        }
    }

    func addService(ts: Int64, deviceID: String, cabinetIndex: Int, slot: SlotCode, units added: Int) {
        let key = CabinetKey(deviceID, cabinetIndex)
        touch(dayOf(ts))
        serviceDays[deviceID, default: []].insert(dayOf(ts))
        var s = states[key]?[slot] ?? SlotState(stock: 0)
        if let since = s.emptySince { Self.addOut(&s, from: since, to: ts) }
        s.emptySince = nil
        s.stock += added
        states[key, default: [:]][slot] = s
    }

    func addSale(
        ts: Int64,
        deviceID: String,
        cabinetIndex: Int,
        slot: SlotCode,
        productID: String,
        price: Double,
        transactionID: String?
    ) {
        let key = CabinetKey(deviceID, cabinetIndex)
        let day = dayOf(ts)
        touch(day)
        var s = states[key]?[slot] ?? SlotState(stock: 1)
        if s.emptySince != nil {
            s.emptySince = nil
            s.stock = 1
        }
        s.stock = max(0, s.stock - 1)
        if s.stock == 0 { s.emptySince = ts }
        states[key, default: [:]][slot] = s
        var u = units[key]?[slot]?[day] ?? (0, 0)
        u.units += 1
        u.revenue += Float(price)
        units[key, default: [:]][slot, default: [:]][day] = u
        deviceDayRevenue[deviceID, default: [:]][day, default: 0] += price
        deviceDayUnits[deviceID, default: [:]][day, default: 0] += 1
        if let t = transactionID, !t.isEmpty, let p = productIndex[productID] {
            transactions[deviceID + "\u{1F}" + t, default: []].append(p)
        }
    }

    func finish() -> SalesHistory {
        let endTs = Int64(lastDay + 1) * 86400
        var series: [SalesHistory.SlotSeries] = []
        for key in planograms.keys.sorted() {
            guard let cab = cabinets[key], let versions = planograms[key] else { continue }
            var st = states[key] ?? [:]
            for slot in cab.allSlots {
                if var s = st[slot], let since = s.emptySince {
                    Self.addOut(&s, from: since, to: endTs)
                    s.emptySince = nil
                    st[slot] = s
                }
            }
            for slot in cab.allSlots {
                var days: [SalesHistory.SlotDay] = []
                guard firstDay <= lastDay else { continue }
                var vi = 0
                for day in firstDay...lastDay {
                    let noon = Int64(day) * 86400 + 12 * 3600
                    while vi + 1 < versions.count && versions[vi + 1].effectiveFrom <= noon { vi += 1 }
                    guard versions[vi].effectiveFrom <= noon else { continue }
                    let facing = versions[vi].facings[slot]
                    let u = units[key]?[slot]?[day] ?? (0, 0)
                    if facing == nil && u.units == 0 { continue }
                    // A device without a fill on record: stock unknown, never "out".
                    let fillsKnown = !(serviceDays[key.deviceID] ?? []).isEmpty
                    let out =
                        fillsKnown
                        ? Float(st[slot]?.outSeconds[day] ?? 0) / Float(Self.tradingEnd - Self.tradingStart) : 0
                    days.append(
                        SalesHistory.SlotDay(
                            day: day,
                            product: facing.flatMap { productIndex[$0.productID] } ?? -1,
                            units: u.units,
                            revenue: u.revenue,
                            inStock: max(0, 1 - out)
                        )
                    )
                }
                if !days.isEmpty { series.append(SalesHistory.SlotSeries(cabinet: key, slot: slot, days: days)) }
            }
        }
        var baskets: [[Int32]] = []
        var withProduct: [Int32: Int] = [:]
        for (_, items) in transactions {
            let distinct = Array(Set(items)).sorted()
            for p in distinct { withProduct[p, default: 0] += 1 }
            if distinct.count >= 2 { baskets.append(distinct) }
        }
        baskets.sort { $0.lexicographicallyPrecedes($1) }
        var intervals: [String: Double] = [:]
        for (d, days) in serviceDays {
            let sorted = days.sorted()
            intervals[d] = sorted.count >= 2 ? Double(sorted.last! - sorted.first!) / Double(sorted.count - 1) : 3
        }
        var h = SalesHistory(
            cabinets: cabinets,
            devices: devices,
            products: products,
            productIndex: productIndex,
            series: series,
            deviceDayRevenue: deviceDayRevenue,
            deviceDayUnits: deviceDayUnits,
            baskets: baskets,
            transactionCount: transactions.count,
            transactionsWithProduct: withProduct,
            serviceIntervalDays: intervals,
            planograms: planograms,
            firstDay: firstDay == .max ? 0 : firstDay,
            lastDay: lastDay == .min ? 0 : lastDay
        )
        h.serviceDays = serviceDays.mapValues { $0.sorted() }
        return h
    }
}

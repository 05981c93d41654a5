import Foundation
import PlanogramDomain

/// What importing a telemetry export did (docs/formats/EXPORTS.md).
package struct TransactionImportReport: Sendable, Codable, Equatable {
    package var rowsRead = 0
    /// Export lines written now, and lines already in the store (an import repeated).
    package var imported = 0
    package var alreadyRecorded = 0
    package var skipped = 0
    package var skippedRows: [ExportSkip] = []
    package var devicesCreated: [String] = []
    package var productsCreated = 0
    package var planogramVersionsCreated = 0
    /// `day` (the export has dates only, kept as days) or `time`.
    package var resolution = "day"
    package var firstDay: String?
    package var lastDay: String?
    /// What the export does not say and was set so the product can work, each said once.
    package var assumptions: [String] = []
    package var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case rowsRead = "rows_read"
        case imported
        case alreadyRecorded = "already_recorded"
        case skipped
        case skippedRows = "skipped_rows"
        case devicesCreated = "devices_created"
        case productsCreated = "products_created"
        case planogramVersionsCreated = "planogram_versions_created"
        case resolution
        case firstDay = "first_day"
        case lastDay = "last_day"
        case assumptions, seconds
    }

    package init() {}
}

/// A telemetry export into the store, in one transaction: devices, cabinets and products the store does
/// not know are created (what the export does not say is set and reported as an assumption), the layout
/// is inferred from which product sells from which selection (a selection keeps its product until
/// another sells from it), and the sales are written — day-only rows as days (`sales_days`), timed rows
/// as vends (`sales`). The same export imported again writes nothing.
package enum TransactionImport {
    /// Capacity of a slot the export cannot tell (a coil of this many units; the editor sets the real one).
    package static let assumedCapacity = 10
    static let rowHeightMM = 200
    static let productHeightMM = 150
    static let unknownShelfLifeDays = 365
    static let drinkCategories: Set<String> = ["soda", "juice", "water", "energy", "coffee"]

    /// Writes `export` (read with `TransactionExport.read`). `strict`: any row left out refuses the whole
    /// file. Throws `ExportRefusal` for a strict refusal; database errors roll everything back.
    package static func run(
        _ export: TransactionExport,
        source: String,
        into store: Store,
        clock: FleetClock,
        strict: Bool,
        at now: Int64
    ) throws -> TransactionImportReport {
        let started = Date()
        var report = TransactionImportReport()
        report.rowsRead = export.rowsRead
        report.resolution = export.dayOnly ? "day" : "time"
        if strict && export.skippedCount > 0 {
            let first = export.skipped.first.map { " (line \($0.line): \($0.reason))" } ?? ""
            throw ExportRefusal(
                code: "export_rows_refused",
                message:
                    "\(export.skippedCount) row(s) cannot be used\(first); --strict refuses the file, nothing was written"
            )
        }
        // By device, then time, then line (each line's instant computed once: a day starts at its local midnight).
        // The lines are grouped by device and each device's sorted by index (the file's order): the lines
        // themselves are moved once.
        var midnights: [Int64: Int64] = [:]
        var instants = [Int64](repeating: 0, count: export.lines.count)
        var indicesByDevice: [String: [Int]] = [:]
        for (i, l) in export.lines.enumerated() {
            indicesByDevice[l.deviceID, default: []].append(i)
            if let ts = l.ts {
                instants[i] = ts
            } else {
                let day = l.day ?? 0
                if let m = midnights[day] {
                    instants[i] = m
                } else {
                    let m = clock.midnight(day)
                    midnights[day] = m
                    instants[i] = m
                }
            }
        }
        let byDevice: [(id: String, lines: [ExportLine])] = indicesByDevice.keys.sorted().map { id in
            let order = indicesByDevice[id]!.sorted { a, b in
                instants[a] != instants[b] ? instants[a] < instants[b] : a < b
            }
            return (id, order.map { export.lines[$0] })
        }
        try store.write { db in
            // Half a million lines touch more pages than the connection's usual cache holds; spilled pages are
            // written twice. The cache grows for the import (to 512 MiB at most, what is used) and shrinks back.
            if db.dialect == .sqlite {
                try db.execute("PRAGMA cache_size=-524288")
            }
            defer { if db.dialect == .sqlite { try? db.execute("PRAGMA cache_size=\(SQLiteDatabase.cacheSize)") } }
            var catalog = try Catalog.load(db)
            var skipped = export.skipped
            var skippedCount = export.skippedCount
            func skip(_ line: Int, _ reason: String) {
                skippedCount += 1
                if skipped.count < TransactionExport.listedSkips {
                    skipped.append(ExportSkip(line: line, reason: reason))
                }
            }
            var assumptions: [String] = []
            func assume(_ text: String) { if !assumptions.contains(text) { assumptions.append(text) } }

            // Products: matched by their cleaned name; the newest price of a new one is its price.
            var productByKey: [String: String] = [:]
            for p in catalog.products.values.sorted(by: { $0.id < $1.id }) {
                let key = TransactionExport.cleanName(p.name).key
                if productByKey[key] == nil { productByKey[key] = p.id }
            }
            var newProducts: [String: Product] = [:]
            var usedIDs = Set(catalog.products.keys)
            // A product the store does not know takes the price of its newest line (across every device); new
            // products are named in the order their first line comes (by device, then time).
            var newest: [String: (at: Int64, price: Double)] = [:]
            var firstLines: [ExportLine] = []
            for l in byDevice.lazy.flatMap(\.lines) {
                let at = l.ts ?? (l.day ?? 0) * 86_400
                if let had = newest[l.productKey] {
                    if at >= had.at { newest[l.productKey] = (at, l.price) }
                } else {
                    newest[l.productKey] = (at, l.price)
                    firstLines.append(l)
                }
            }
            for first in firstLines where productByKey[first.productKey] == nil {
                let key = first.productKey
                let id = uniqueID(slug(first.productName), taken: &usedIDs)
                productByKey[key] = id
                newProducts[id] = Product(
                    id: id,
                    name: first.productName,
                    category: first.category,
                    price: newest[key]!.price,
                    unitCost: 0,
                    temperature: .ambient,
                    heightMM: productHeightMM,
                    widthColumns: 1,
                    shelfLifeDays: unknownShelfLifeDays
                )
            }
            if !newProducts.isEmpty {
                assume(
                    "products the store did not know were created from their names: unit cost 0 (margins read as revenue until products.csv gives costs), ambient, 1 column wide, shelf life \(unknownShelfLifeDays) days"
                )
            }
            for p in newProducts.values.sorted(by: { $0.id < $1.id }) {
                try db.run(
                    """
                    INSERT INTO products(product_id, name, category, price, unit_cost, temperature, height_mm, width_cols, shelf_life_days, case_size)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """,
                    [
                        .text(p.id), .text(p.name), .text(p.category), .double(p.price), .double(p.unitCost),
                        .text(p.temperature.rawValue), .of(p.heightMM), .of(p.widthColumns), .of(p.shelfLifeDays),
                    ]
                )
                catalog.products[p.id] = p
            }
            report.productsCreated = newProducts.count

            // Devices and their slots.
            var touchedDays = Set<Int64>()
            var nextVersionID: Int64? =
                db.dialect == .sqlite
                ? try db.scalarInt("SELECT coalesce(max(id), 0) + 1 FROM planogram_versions") ?? 1 : nil
            var dailyAdded: [DeviceDay: (revenue: Double, units: Int)] = [:]
            let ahead = PreparedAhead<(layouts: LayoutPlan, sales: SalesPlan)>()
            var daySales = DaySales()
            for (deviceID, lines) in byDevice {
                var deviceLines = lines
                let selectionMap = try selectionMap(db, deviceID)
                // Without slot numbers, each selection (or, with no selection column, each product) is a column
                // of a one-row cabinet, kept in the device's selection map so every import places it alike.
                var assigned = selectionMap
                let needsMap = deviceLines.contains { $0.slot == nil }
                if needsMap {
                    var nextColumn = (assigned.values.map(\.column).max() ?? -1) + 1
                    for key in Set(deviceLines.filter { $0.slot == nil }.map { $0.selection ?? $0.productKey })
                        .sorted()
                    where assigned[key] == nil {
                        assigned[key] = SlotCode(row: 0, column: nextColumn)
                        nextColumn += 1
                    }
                    for i in deviceLines.indices where deviceLines[i].slot == nil {
                        deviceLines[i].slot = assigned[deviceLines[i].selection ?? deviceLines[i].productKey]
                    }
                    assume(
                        "an export without slot numbers places each selection (or product) in a column of its own on a one-row cabinet"
                    )
                }
                let rows = (deviceLines.compactMap { $0.slot?.row }.max() ?? 0) + 1
                let columns = (deviceLines.compactMap { $0.slot?.column }.max() ?? 0) + 1
                var cabinet = catalog.cabinet(deviceID, 0)
                if catalog.devices[deviceID] == nil {
                    let categories = Set(
                        Set(deviceLines.map(\.productKey)).map { catalog.products[productByKey[$0]!]!.category }
                    )
                    let drinks = categories.filter { drinkCategories.contains($0) }.count
                    let type: DeviceType =
                        drinks == 0 ? .snack : drinks == categories.count ? .beverage : .combo
                    let name = deviceLines.compactMap(\.deviceName).last ?? deviceID
                    try db.run(
                        """
                        INSERT INTO devices(device_id, name, venue_type, latitude, longitude, device_type)
                        VALUES (?, ?, 'other', 0, 0, ?)
                        """,
                        [.text(deviceID), .text(name), .text(type.rawValue)]
                    )
                    let c = Cabinet(
                        deviceID: deviceID,
                        index: 0,
                        temperature: .ambient,
                        rows: rows,
                        columns: columns,
                        rowHeightsMM: Array(repeating: rowHeightMM, count: rows)
                    )
                    try insertCabinet(db, c, inferred: true)
                    catalog.cabinets[CabinetKey(deviceID, 0)] = c
                    cabinet = c
                    report.devicesCreated.append(deviceID)
                    assume(
                        "devices the store did not know were created: venue type other, location unknown (0, 0) until devices.csv gives it, one ambient cabinet as large as the highest tray and column sold from"
                    )
                } else if var c = cabinet, rows > c.rows || columns > c.columns,
                    try db.scalarInt(
                        "SELECT inferred FROM cabinets WHERE device_id = ? AND cabinet_index = 0",
                        [.text(deviceID)]
                    ) == 1
                {
                    // A cabinet an earlier export sized grows to the slots this one sells from.
                    c.rows = max(c.rows, rows)
                    c.columns = max(c.columns, columns)
                    c.rowHeightsMM += Array(repeating: rowHeightMM, count: c.rows - c.rowHeightsMM.count)
                    try db.run(
                        "UPDATE cabinets SET rows = ?, columns = ?, row_heights_mm = ? WHERE device_id = ? AND cabinet_index = 0",
                        [
                            .of(c.rows), .of(c.columns), .text(c.rowHeightsMM.map(String.init).joined(separator: ";")),
                            .text(deviceID),
                        ]
                    )
                    catalog.cabinets[CabinetKey(deviceID, 0)] = c
                    cabinet = c
                    assume(
                        "a cabinet an earlier export sized grows to the highest tray and column this export sells from"
                    )
                }
                guard let cabinet else {
                    for l in deviceLines { skip(l.line, "device \(deviceID) has no cabinet") }
                    continue
                }
                for (key, slot) in assigned where selectionMap[key] == nil {
                    try db.run(
                        "INSERT INTO device_selections(device_id, cabinet_index, selection, slot) VALUES (?, 0, ?, ?) ON CONFLICT DO NOTHING",
                        [.text(deviceID), .text(key), .text(slot.description)]
                    )
                }
                let inside = { (l: ExportLine) in l.slot.map(cabinet.contains) ?? false }
                if !deviceLines.allSatisfy(inside) {
                    deviceLines = deviceLines.filter { l in
                        guard inside(l) else {
                            skip(
                                l.line,
                                "slot \(l.slot?.description ?? "?") is outside device \(deviceID)'s cabinet (\(cabinet.rows) × \(cabinet.columns))"
                            )
                            return false
                        }
                        return true
                    }
                }
                guard let first = deviceLines.first else { continue }
                let reads = try LayoutReads.load(
                    db,
                    deviceID: deviceID,
                    from: first.ts ?? clock.midnight(first.day ?? 0)
                )
                assume(
                    "the layout is inferred from which product sells from which slot (a slot keeps its product until another sells from it); capacities the store does not know are \(assumedCapacity)"
                )
                // The device's layouts and sales are worked out on the second core while the one before it is
                // written.
                let planned = deviceLines
                let products = productByKey
                try ahead.submit {
                    (
                        layouts: layoutPlan(planned, reads, productByKey: products, clock: clock),
                        sales: salesPlan(planned, deviceID: deviceID, productByKey: products)
                    )
                } write: { plan in
                    report.planogramVersionsCreated += try writeLayouts(
                        db,
                        plan.layouts,
                        deviceID: deviceID,
                        nextID: &nextVersionID
                    )
                    let vends = try writeVends(db, plan.sales.vends, clock: clock)
                    report.imported += vends.written
                    report.alreadyRecorded += vends.existing
                    touchedDays.formUnion(vends.recompute)
                    daySales.add(deviceID, plan.sales.days)
                }
            }
            try ahead.finish()
            // Day-only sales in date order, after every device's: the key of `sales_days` is the date first.
            let written = try writeDaySales(db, daySales)
            report.imported += written.written
            report.alreadyRecorded += written.existing
            touchedDays.formUnion(written.recompute)
            dailyAdded = written.added
            // Days partly written before are computed again; the others take what was written now.
            try SalesDaily.recompute(db, days: touchedDays.sorted(), clock: clock)
            try SalesDaily.add(
                db,
                dailyAdded.filter { !touchedDays.contains($0.key.day) }.sorted {
                    ($0.key.deviceID, $0.key.day) < ($1.key.deviceID, $1.key.day)
                }.map { ($0.key.deviceID, $0.key.day, $0.value.revenue, $0.value.units) }
            )
            let days = touchedDays.union(dailyAdded.keys.map(\.day))
            report.skipped = skippedCount
            report.skippedRows = skipped
            report.assumptions = assumptions
            if let lo = days.min(), let hi = days.max() {
                report.firstDay = String(FieldParse.iso8601(lo * 86_400).prefix(10))
                report.lastDay = String(FieldParse.iso8601(hi * 86_400).prefix(10))
            }
            _ = try db.run(
                "INSERT INTO import_runs(at, files, rows_read, rows_written) VALUES (?, ?, ?, ?)",
                [.int(now), .text(source), .of(export.rowsRead), .of(report.imported)]
            )
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    static func insertCabinet(_ db: any SQLConnection, _ c: Cabinet, inferred: Bool) throws {
        try db.run(
            "INSERT INTO cabinets(device_id, cabinet_index, temperature, rows, columns, row_heights_mm, inferred) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                .text(c.deviceID), .of(c.index), .text(c.temperature.rawValue), .of(c.rows), .of(c.columns),
                .text(c.rowHeightsMM.map(String.init).joined(separator: ";")), .int(inferred ? 1 : 0),
            ]
        )
    }

    static func selectionMap(_ db: any SQLConnection, _ deviceID: String) throws -> [String: SlotCode] {
        var out: [String: SlotCode] = [:]
        for (selection, slot) in try db.query(
            "SELECT selection, slot FROM device_selections WHERE device_id = ? AND cabinet_index = 0",
            [.text(deviceID)],
            { ($0.text(0), $0.text(1)) }
        ) {
            if let code = SlotCode(slot) { out[selection] = code }
        }
        return out
    }

    /// What the store holds of a device's layouts that inferring more depends on: the version in effect before the
    /// export's first line (read alone, not the device's whole history), the times of the versions it has (an
    /// import repeated), and its next version number.
    struct LayoutReads: Sendable {
        var before: Planogram?
        var stored: Set<Int64>
        var next: Int

        static func load(_ db: any SQLConnection, deviceID: String, from: Int64) throws -> LayoutReads {
            let before = try db.scalarInt(
                "SELECT version FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0 AND effective_from < ? ORDER BY effective_from DESC LIMIT 1",
                [.text(deviceID), .int(from)]
            ).flatMap { try PlanogramRepository.load(db, deviceID: deviceID, cabinetIndex: 0, version: Int($0)) }
            let stored = Set(
                try db.query(
                    "SELECT effective_from FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0",
                    [.text(deviceID)]
                ) { $0.int64(0) }
            )
            let next =
                try db.scalarInt(
                    "SELECT coalesce(max(version), 0) + 1 FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0",
                    [.text(deviceID)]
                ) ?? 1
            return LayoutReads(before: before, stored: stored, next: Int(next))
        }
    }

    /// A device's inferred versions to write, each whole or as its differences from an earlier one of the plan.
    struct LayoutPlan: Sendable {
        struct Version: Sendable {
            var version: Int
            var at: Int64
            /// The plan's index of the version this one is stored as the differences from; nil: stored whole.
            var base: Int?
            var slots: [(slot: SlotCode, facing: Facing)]
        }

        var versions: [Version] = []
    }

    /// The device's layouts as its sales show them (`lines` sorted by time), from the layout in effect before
    /// the first line (without one, each slot's first product from then on): a new version wherever a slot's
    /// product changes, effective at the start of the day (or the second) the new product first sold. A version
    /// already stored at that time is left as it is.
    static func layoutPlan(
        _ lines: [ExportLine],
        _ reads: LayoutReads,
        productByKey: [String: String],
        clock: FleetClock
    ) -> LayoutPlan {
        guard let first = lines.first else { return LayoutPlan() }
        let from = first.ts ?? clock.midnight(first.day ?? 0)
        var current = reads.before?.facings ?? [:]
        var changes: [(at: Int64, facings: [SlotCode: Facing])] = []
        if reads.before == nil {
            // The device's first layout: each slot holds, from the first day of the export, the product it
            // first sold (it stood there unsold until then; a machine's slow slots are slots all the same).
            for l in lines {
                guard let slot = l.slot, current[slot] == nil, let product = productByKey[l.productKey] else {
                    continue
                }
                current[slot] = Facing(productID: product, capacity: assumedCapacity)
            }
            if !current.isEmpty { changes.append((from, current)) }
        }
        for l in lines {
            guard let slot = l.slot, let product = productByKey[l.productKey] else { continue }
            if current[slot]?.productID == product { continue }
            let at = l.ts ?? clock.midnight(l.day ?? 0)
            let capacity = current[slot]?.capacity ?? assumedCapacity
            current[slot] = Facing(productID: product, capacity: capacity)
            if let last = changes.last, last.at == at {
                changes[changes.count - 1].facings = current
            } else {
                changes.append((at, current))
            }
        }
        var plan = LayoutPlan()
        var next = reads.next
        // Each version is stored as its differences from the version written before it, while those are at most
        // half its slots and the chain back to a whole version is shorter than `PlanogramRepository.maxChain`;
        // otherwise whole (PlanogramRepository).
        var base: (index: Int, facings: [SlotCode: Facing], depth: Int)?
        for change in changes where !reads.stored.contains(change.at) {
            let differing = base.map { b in change.facings.filter { b.facings[$0.key] != $0.value } }
            // (A difference cannot remove a slot: only a version holding every slot of the base is one.)
            let delta =
                differing.map { $0.count * 2 <= change.facings.count } ?? false
                && base!.depth < PlanogramRepository.maxChain
                && base!.facings.keys.allSatisfy { change.facings[$0] != nil }
            let rows = delta ? differing! : change.facings
            plan.versions.append(
                LayoutPlan.Version(
                    version: next,
                    at: change.at,
                    base: delta ? base!.index : nil,
                    slots: rows.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                )
            )
            next += 1
            base = (plan.versions.count - 1, change.facings, delta ? base!.depth + 1 : 0)
        }
        return plan
    }

    /// Writes a device's planned versions; returns how many. `nextID`: on SQLite, the next free version id (the
    /// import holds the only write lock: versions are numbered here and written in batches); nil elsewhere.
    static func writeLayouts(
        _ db: any SQLConnection,
        _ plan: LayoutPlan,
        deviceID: String,
        nextID: inout Int64?
    ) throws -> Int {
        var ids: [Int64] = []
        var versionValues: [SQLValue] = []
        var slotValues: [SQLValue] = []
        for v in plan.versions {
            let baseID: SQLValue = v.base.map { .int(ids[$0]) } ?? .null
            let id: Int64
            if let n = nextID {
                id = n
                nextID = n + 1
                versionValues += [
                    .int(id), .text(deviceID), .int(0), .of(v.version), .int(v.at), .text("inferred"), baseID,
                ]
            } else {
                id = try db.insertReturningID(
                    "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source, base_id) VALUES (?, 0, ?, ?, 'inferred', ?)",
                    [.text(deviceID), .of(v.version), .int(v.at), baseID]
                )
            }
            ids.append(id)
            for (slot, f) in v.slots {
                slotValues += [.int(id), .text(slot.description), .text(f.productID), .of(f.capacity)]
            }
        }
        _ = try db.insertRows(
            "planogram_versions(id, device_id, cabinet_index, version, effective_from, source, base_id)",
            width: 7,
            versionValues
        )
        _ = try db.insertRows("planogram_slots(version_id, slot, product_id, capacity)", width: 4, slotValues)
        return plan.versions.count
    }

    /// A device's local date.
    struct DeviceDay: Hashable, Sendable {
        var deviceID: String
        var day: Int64

        init(_ deviceID: String, _ day: Int64) {
            self.deviceID = deviceID
            self.day = day
        }
    }

    /// What was written of sales: lines written and already stored; the local dates whose daily totals must be
    /// computed again (a vend written, or a batch of day-only lines partly stored before), and the totals of
    /// day-only lines written to device-dates none of whose lines were stored before.
    struct WrittenSales {
        var written = 0
        var existing = 0
        var recompute = Set<Int64>()
        var added: [DeviceDay: (revenue: Double, units: Int)] = [:]
    }

    /// A device's sales to write: its day-only lines as rows of `sales_days` (dates ascending), its timed lines
    /// each as its vends (one row of `sales` per unit) and its instant.
    struct SalesPlan: Sendable {
        struct DayRow: Sendable {
            var day: Int64
            var slot: String
            var product: String
            var units: Int
            var revenue: Double
            var key: String
        }

        var days: [DayRow] = []
        var vends: [(rows: [[SQLValue]], ts: Int64)] = []
    }

    /// The device's sales: day-only lines as rows of `sales_days` (one row per export line; lines of one
    /// transaction, slot and product are one row), timed lines as one vend per unit in `sales`.
    static func salesPlan(_ lines: [ExportLine], deviceID: String, productByKey: [String: String]) -> SalesPlan {
        var occurrences: [UInt64: Int] = [:]
        // Lines of one key are merged: the same transaction, selection and product on one day. A key is a
        // 64-bit FNV-1a digest of the line's identity (stored as 16 hex digits: the identity itself is long, a
        // product's name, and would be most of the table).
        var merged: [(key: UInt64, line: Int)] = []
        var quantities: [Int] = []
        var index: [UInt64: Int] = [:]
        for (i, l) in lines.enumerated() {
            var h = FNV()
            if let t = l.transaction {
                h.add("t:")
                h.add(t)
                h.add("|")
                h.add(l.selection ?? "")
                h.add("|")
                h.add(l.productKey)
            } else {
                h.add("r:", String(l.day ?? l.ts ?? 0), "|", l.selection ?? "", "|", l.productKey, "|", String(l.price))
                h.add("|", String(l.quantity))
                let n = occurrences[h.value, default: 0]
                occurrences[h.value] = n + 1
                h.add("#", String(n))
            }
            if let ts = l.ts { h.add("@", String(ts)) }
            if let j = index[h.value] {
                quantities[j] += l.quantity
            } else {
                index[h.value] = merged.count
                merged.append((h.value, i))
                quantities.append(l.quantity)
            }
        }
        var plan = SalesPlan()
        for (j, (digest, i)) in merged.enumerated() {
            let l = lines[i]
            let quantity = quantities[j]
            let key = FNV.hex(digest)
            let product = productByKey[l.productKey]!
            let slot = l.slot!.description
            if let day = l.day {
                plan.days.append(
                    SalesPlan.DayRow(
                        day: day,
                        slot: slot,
                        product: product,
                        units: quantity,
                        revenue: l.price * Double(quantity),
                        key: key
                    )
                )
            } else if let ts = l.ts {
                plan.vends.append(
                    (
                        (0..<quantity).map { k in
                            [
                                .int(ts), .text(deviceID), .text(slot), .text(product), .double(l.price),
                                .of(l.transaction), .text(k == 0 ? key : "\(key)#\(k)"),
                            ]
                        },
                        ts
                    )
                )
            }
        }
        return plan
    }

    /// The day-only rows of every device of an import, by date and, within a date, in the order the devices
    /// were added.
    struct DaySales {
        var byDay: [Int64: [(deviceID: String, row: SalesPlan.DayRow)]] = [:]
        var count = 0

        mutating func add(_ deviceID: String, _ rows: [SalesPlan.DayRow]) {
            for r in rows { byDay[r.day, default: []].append((deviceID, r)) }
            count += rows.count
        }
    }

    /// Rows of `sales_days` to insert together, and their totals by device and date.
    struct DayBatch: Sendable {
        var values: [SQLValue] = []
        var totals: [DeviceDay: (revenue: Double, units: Int)] = [:]
    }

    /// The day-only rows in date order, handed out a batch at a time. Used from one thread at a time: the
    /// preparing thread of a `PreparedAhead`, which prepares in the order batches are asked for.
    final class DayBatches: @unchecked Sendable {
        static let columns = 8
        static let rows = 256
        let sales: DaySales
        let days: [Int64]
        private var day = 0
        private var row = 0

        init(_ sales: DaySales) {
            self.sales = sales
            days = sales.byDay.keys.sorted()
        }

        var count: Int { (sales.count + Self.rows - 1) / Self.rows }

        func next() -> DayBatch {
            var batch = DayBatch()
            batch.values.reserveCapacity(Self.rows * Self.columns)
            while batch.values.count < Self.rows * Self.columns && day < days.count {
                let d = days[day]
                let rows = sales.byDay[d]!
                while batch.values.count < Self.rows * Self.columns && row < rows.count {
                    let (deviceID, r) = rows[row]
                    batch.values.append(.text(deviceID))
                    batch.values.append(.int(d))
                    batch.values.append(.int(0))
                    batch.values.append(.text(r.slot))
                    batch.values.append(.text(r.product))
                    batch.values.append(.of(r.units))
                    batch.values.append(.double(r.revenue))
                    batch.values.append(.text(r.key))
                    let key = DeviceDay(deviceID, d)
                    let had = batch.totals[key] ?? (0, 0)
                    batch.totals[key] = (had.revenue + r.revenue, had.units + r.units)
                    row += 1
                }
                if row == rows.count {
                    day += 1
                    row = 0
                }
            }
            return batch
        }
    }

    /// Writes the day-only rows in date order (each batch prepared on the second core while the one before it is
    /// written). A batch is counted as written or already there together: a batch written whole adds its totals
    /// to its device-dates; one written in part has its dates computed again (computing an unchanged date again
    /// is harmless).
    static func writeDaySales(_ db: any SQLConnection, _ sales: DaySales) throws -> WrittenSales {
        var out = WrittenSales()
        let batches = DayBatches(sales)
        let ahead = PreparedAhead<DayBatch>()
        for _ in 0..<batches.count {
            try ahead.submit {
                batches.next()
            } write: { batch in
                let rows = batch.values.count / DayBatches.columns
                let n = try db.insertRows(
                    "sales_days(device_id, day, cabinet_index, slot, product_id, units, revenue, line_key)",
                    width: DayBatches.columns,
                    batch.values,
                    suffix: "ON CONFLICT DO NOTHING"
                )
                out.written += n
                out.existing += rows - n
                if n == rows {
                    for (key, t) in batch.totals {
                        let had = out.added[key] ?? (0, 0)
                        out.added[key] = (had.revenue + t.revenue, had.units + t.units)
                    }
                } else if n > 0 {
                    out.recompute.formUnion(batch.totals.keys.map(\.day))
                }
            }
        }
        try ahead.finish()
        // A date both added to and computed again is computed again only.
        out.added = out.added.filter { !out.recompute.contains($0.key.day) }
        return out
    }

    /// Writes a device's vends (timed lines): a line is written when any of its units is, and its date is
    /// computed again.
    static func writeVends(
        _ db: any SQLConnection,
        _ vends: [(rows: [[SQLValue]], ts: Int64)],
        clock: FleetClock
    ) throws -> WrittenSales {
        var out = WrittenSales()
        for (rows, ts) in vends {
            var any = 0
            for values in rows {
                any += try db.run(
                    """
                    INSERT INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key)
                    VALUES (?, ?, 0, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING
                    """,
                    values
                )
            }
            if any > 0 {
                out.written += 1
                out.recompute.insert(clock.day(of: ts))
            } else {
                out.existing += 1
            }
        }
        return out
    }

    /// FNV-1a, 64 bits: the same text gives the same key in every process (Swift's `Hasher` is seeded per
    /// process).
    struct FNV {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ parts: String...) {
            for part in parts { add(part) }
        }

        mutating func add(_ part: String) {
            for b in part.utf8 {
                value ^= UInt64(b)
                value = value &* 0x0000_0100_0000_01b3
            }
        }

        /// `v` as 16 lower-case hex digits.
        static func hex(_ v: UInt64) -> String {
            String(unsafeUninitializedCapacity: 16) { out in
                let digits: StaticString = "0123456789abcdef"
                for i in 0..<16 {
                    out[i] = digits.utf8Start[Int((v >> UInt64(60 - 4 * i)) & 0xf)]
                }
                return 16
            }
        }
    }

    /// `Red Bull - Energy Drink` → `red-bull-energy-drink` (letters and digits, dashes between words).
    static func slug(_ name: String) -> String {
        var out = ""
        var dash = false
        for u in name.lowercased().unicodeScalars {
            if (u >= "a" && u <= "z") || (u >= "0" && u <= "9") {
                if dash && !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(u)
                dash = false
            } else {
                dash = true
            }
        }
        return out.isEmpty ? "product" : String(out.prefix(60))
    }

    static func uniqueID(_ base: String, taken: inout Set<String>) -> String {
        var id = base
        var n = 2
        while taken.contains(id) {
            id = "\(base)-\(n)"
            n += 1
        }
        taken.insert(id)
        return id
    }
}

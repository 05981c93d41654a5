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
            // A product the store does not know takes the price of its newest line (across every device).
            var priceAt: [String: Int64] = [:]
            for l in byDevice.lazy.flatMap(\.lines) {
                let at = l.ts ?? (l.day ?? 0) * 86_400
                if let id = productByKey[l.productKey] {
                    guard newProducts[id] != nil, at >= priceAt[id] ?? .min else { continue }
                    newProducts[id]?.price = l.price
                    priceAt[id] = at
                    continue
                }
                let id = uniqueID(slug(l.productName), taken: &usedIDs)
                productByKey[l.productKey] = id
                priceAt[id] = at
                newProducts[id] = Product(
                    id: id,
                    name: l.productName,
                    category: l.category,
                    price: l.price,
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
                    let categories = Set(deviceLines.map { catalog.products[productByKey[$0.productKey]!]!.category })
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
                deviceLines = deviceLines.filter { l in
                    guard let slot = l.slot, cabinet.contains(slot) else {
                        skip(
                            l.line,
                            "slot \(l.slot?.description ?? "?") is outside device \(deviceID)'s cabinet (\(cabinet.rows) × \(cabinet.columns))"
                        )
                        return false
                    }
                    return true
                }
                guard let first = deviceLines.first else { continue }
                report.planogramVersionsCreated += try inferLayouts(
                    db,
                    deviceLines,
                    deviceID: deviceID,
                    from: first.ts ?? clock.midnight(first.day ?? 0),
                    productByKey: productByKey,
                    clock: clock,
                    nextID: &nextVersionID
                )
                assume(
                    "the layout is inferred from which product sells from which slot (a slot keeps its product until another sells from it); capacities the store does not know are \(assumedCapacity)"
                )
                let sales = try writeSales(
                    db,
                    deviceLines,
                    deviceID: deviceID,
                    productByKey: productByKey,
                    clock: clock
                )
                report.imported += sales.written
                report.alreadyRecorded += sales.existing
                touchedDays.formUnion(sales.recompute)
                for (day, t) in sales.added { dailyAdded[DeviceDay(deviceID, day)] = t }
            }
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

    /// The device's layouts as its sales show them, from the layout in effect before `from` (without one, each
    /// slot's first product from `from` on): a new version wherever a slot's product changes, effective at the
    /// start of the day (or the second) the new product first sold. A version already stored at that time is
    /// left as it is. Returns the versions written.
    static func inferLayouts(
        _ db: any SQLConnection,
        _ lines: [ExportLine],
        deviceID: String,
        from: Int64,
        productByKey: [String: String],
        clock: FleetClock,
        nextID: inout Int64?
    ) throws -> Int {
        // The version in effect before `from`, read alone (not the device's whole history).
        let before = try db.scalarInt(
            "SELECT version FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0 AND effective_from < ? ORDER BY effective_from DESC LIMIT 1",
            [.text(deviceID), .int(from)]
        ).flatMap { try PlanogramRepository.load(db, deviceID: deviceID, cabinetIndex: 0, version: Int($0)) }
        var current = before?.facings ?? [:]
        var changes: [(at: Int64, facings: [SlotCode: Facing])] = []
        if before == nil {
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
        // What the device has already (an import repeated): one read, not two per change.
        let stored = Set(
            try db.query(
                "SELECT effective_from FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0",
                [.text(deviceID)]
            ) { $0.int64(0) }
        )
        var next =
            try db.scalarInt(
                "SELECT coalesce(max(version), 0) + 1 FROM planogram_versions WHERE device_id = ? AND cabinet_index = 0",
                [.text(deviceID)]
            ) ?? 1
        var written = 0
        var versionValues: [SQLValue] = []
        var slotValues: [SQLValue] = []
        // Each version is stored as its differences from the version written before it, while those are at most
        // half its slots and the chain back to a whole version is shorter than `PlanogramRepository.maxChain`;
        // otherwise whole (PlanogramRepository).
        var base: (id: Int64, facings: [SlotCode: Facing], depth: Int)?
        for change in changes where !stored.contains(change.at) {
            let differing = base.map { b in change.facings.filter { b.facings[$0.key] != $0.value } }
            // (A difference cannot remove a slot: only a version holding every slot of the base is one.)
            let delta =
                differing.map { $0.count * 2 <= change.facings.count } ?? false
                && base!.depth < PlanogramRepository.maxChain
                && base!.facings.keys.allSatisfy { change.facings[$0] != nil }
            let baseID: SQLValue = delta ? .int(base!.id) : .null
            let id: Int64
            if let n = nextID {
                // SQLite: numbered here (the import holds the only write lock), written in batches below.
                id = n
                nextID = n + 1
                versionValues += [
                    .int(id), .text(deviceID), .int(0), .int(next), .int(change.at), .text("inferred"), baseID,
                ]
            } else {
                id = try db.insertReturningID(
                    "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source, base_id) VALUES (?, 0, ?, ?, 'inferred', ?)",
                    [.text(deviceID), .int(next), .int(change.at), baseID]
                )
            }
            next += 1
            let rows = delta ? differing! : change.facings
            for (slot, f) in rows.sorted(by: { $0.key < $1.key }) {
                slotValues += [.int(id), .text(slot.description), .text(f.productID), .of(f.capacity)]
            }
            base = (id, change.facings, delta ? base!.depth + 1 : 0)
            written += 1
        }
        _ = try insertRows(
            db,
            "planogram_versions(id, device_id, cabinet_index, version, effective_from, source, base_id)",
            width: 7,
            versionValues
        )
        _ = try insertRows(db, "planogram_slots(version_id, slot, product_id, capacity)", width: 4, slotValues)
        return written
    }

    /// Inserts `rows` (each the table's columns in order) with multi-row statements of up to 256 rows, each
    /// ending in `suffix`; returns the rows inserted. Batches are 256 rows, the rest in powers of two: nine
    /// statement texts at most per target, which the connection's statement cache keeps prepared.
    static func insertRows(
        _ db: any SQLConnection,
        _ target: String,
        width: Int,
        _ values: [SQLValue],
        suffix: String = ""
    ) throws -> Int {
        let rows = values.count / width
        guard rows > 0 else { return 0 }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var inserted = 0
        var start = 0
        while start < rows {
            var size = 256
            while size > rows - start { size /= 2 }
            let end = start + size
            let sql =
                "INSERT INTO \(target) VALUES " + Array(repeating: row, count: end - start).joined(separator: ", ")
                + (suffix.isEmpty ? "" : " " + suffix)
            inserted += try db.run(sql, Array(values[(start * width)..<(end * width)]))
            start = end
        }
        return inserted
    }

    /// A device's local date.
    struct DeviceDay: Hashable {
        var deviceID: String
        var day: Int64

        init(_ deviceID: String, _ day: Int64) {
            self.deviceID = deviceID
            self.day = day
        }
    }

    /// What `writeSales` wrote: lines written and already stored; the local dates whose daily totals must be
    /// computed again (a vend written, or a batch of day-only lines partly stored before), and the totals of
    /// day-only lines written to dates none of whose lines were stored before.
    struct WrittenSales {
        var written = 0
        var existing = 0
        var recompute = Set<Int64>()
        var added: [Int64: (revenue: Double, units: Int)] = [:]
    }

    /// The device's sales: day-only lines into `sales_days` (one row per export line; lines of one
    /// transaction, slot and product are one row), timed lines as one vend per unit into `sales`.
    static func writeSales(
        _ db: any SQLConnection,
        _ lines: [ExportLine],
        deviceID: String,
        productByKey: [String: String],
        clock: FleetClock
    ) throws -> WrittenSales {
        var out = WrittenSales()
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
                h.add("t:", t, "|", l.selection ?? "", "|", l.productKey)
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
        // Day-only lines in batches: a batch's rows are counted as written or already there together. A batch
        // written whole adds its totals to its days; one written in part has its days computed again
        // (computing an unchanged day again is harmless).
        var dayValues: [SQLValue] = []
        var batchTotals: [Int64: (revenue: Double, units: Int)] = [:]
        func flushDays() throws {
            guard !dayValues.isEmpty else { return }
            let n = try insertRows(
                db,
                "sales_days(device_id, day, cabinet_index, slot, product_id, units, revenue, line_key)",
                width: 8,
                dayValues,
                suffix: "ON CONFLICT DO NOTHING"
            )
            out.written += n
            out.existing += dayValues.count / 8 - n
            if n == dayValues.count / 8 {
                for (day, t) in batchTotals {
                    let had = out.added[day] ?? (0, 0)
                    out.added[day] = (had.revenue + t.revenue, had.units + t.units)
                }
            } else if n > 0 {
                out.recompute.formUnion(batchTotals.keys)
            }
            dayValues.removeAll(keepingCapacity: true)
            batchTotals.removeAll(keepingCapacity: true)
        }
        for (j, (digest, i)) in merged.enumerated() {
            var l = lines[i]
            l.quantity = quantities[j]
            let key = FNV.hex(digest)
            let product = productByKey[l.productKey]!
            let slot = l.slot!.description
            if let day = l.day {
                let revenue = l.price * Double(l.quantity)
                dayValues += [
                    .text(deviceID), .int(day), .int(0), .text(slot), .text(product), .of(l.quantity),
                    .double(revenue), .text(key),
                ]
                let had = batchTotals[day] ?? (0, 0)
                batchTotals[day] = (had.revenue + revenue, had.units + l.quantity)
                if dayValues.count == 256 * 8 { try flushDays() }
            } else if let ts = l.ts {
                var any = 0
                for k in 0..<l.quantity {
                    any += try db.run(
                        """
                        INSERT INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key)
                        VALUES (?, ?, 0, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING
                        """,
                        [
                            .int(ts), .text(deviceID), .text(slot), .text(product), .double(l.price),
                            .of(l.transaction),
                            .text(k == 0 ? key : "\(key)#\(k)"),
                        ]
                    )
                }
                if any > 0 {
                    out.written += 1
                    out.recompute.insert(clock.day(of: ts))
                } else {
                    out.existing += 1
                }
            }
        }
        try flushDays()
        // A date both added to and computed again is computed again only.
        for day in out.recompute { out.added[day] = nil }
        return out
    }

    /// FNV-1a, 64 bits: the same text gives the same key in every process (Swift's `Hasher` is seeded per
    /// process).
    struct FNV {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ parts: String...) {
            for part in parts {
                for b in part.utf8 {
                    value ^= UInt64(b)
                    value = value &* 0x0000_0100_0000_01b3
                }
            }
        }

        static func hex(_ v: UInt64) -> String {
            let hex = String(v, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
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

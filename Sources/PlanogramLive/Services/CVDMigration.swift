import DEX
import Foundation
import PlanogramDomain
import Store

/// A CVD database into the store (docs/formats/CVD.md), in one transaction: devices that are not soft-deleted
/// with their locations, cabinets, the layout CVD holds now, products, sales (CVD's have no slot: shared among
/// the device's slots holding the product), fills, and DEX reads through the reader. Every trap the data
/// holds is mapped or reported, never dropped in silence. Run again, it writes nothing.
package enum CVDMigration {
    package struct LeftOut: Sendable, Codable, Equatable {
        package var item: String
        package var reason: String
        /// A DEX read's machine serial, when the read is left out for want of a device that owns it: what the
        /// admin links to a device (`PUT /api/devices/{id}/dex-serial`) before migrating again.
        package var serial: String?

        package init(item: String, reason: String, serial: String? = nil) {
            self.item = item
            self.reason = reason
            self.serial = serial
        }
    }

    package struct Report: Sendable, Codable, Equatable {
        package var devicesMigrated: [String] = []
        package var devicesLeftOut: [LeftOut] = []
        package var cabinets = 0
        package var slotsFilled = 0
        package var slotsEmpty = 0
        package var planogramVersionsCreated = 0
        package var productsMigrated = 0
        package var placeholderProducts: [String] = []
        package var categoriesAsOther: [String] = []
        package var capacitiesRaised = 0
        package var parsAboveCapacity = 0
        package var slotPricesDiffering = 0
        package var slotsLeftOut: [LeftOut] = []
        package var salesRows = 0
        package var salesUnitsWritten = 0
        package var salesLeftOut = 0
        package var salesLeftOutListed: [LeftOut] = []
        package var fillsWritten = 0
        package var fillsLeftOut = 0
        package var fillsLeftOutListed: [LeftOut] = []
        package var dexReadsRecorded = 0
        package var dexReadsLeftOut: [LeftOut] = []
        package var routeDisagreements = 0
        package var alreadyMigrated = false
        package var assumptions: [String] = []
        package var seconds = 0.0

        enum CodingKeys: String, CodingKey {
            case devicesMigrated = "devices_migrated"
            case devicesLeftOut = "devices_left_out"
            case cabinets
            case slotsFilled = "slots_filled"
            case slotsEmpty = "slots_empty"
            case planogramVersionsCreated = "planogram_versions_created"
            case productsMigrated = "products_migrated"
            case placeholderProducts = "placeholder_products"
            case categoriesAsOther = "categories_as_other"
            case capacitiesRaised = "capacities_raised"
            case parsAboveCapacity = "pars_above_capacity"
            case slotPricesDiffering = "slot_prices_differing"
            case slotsLeftOut = "slots_left_out"
            case salesRows = "sales_rows"
            case salesUnitsWritten = "sales_units_written"
            case salesLeftOut = "sales_left_out"
            case salesLeftOutListed = "sales_left_out_listed"
            case fillsWritten = "fills_written"
            case fillsLeftOut = "fills_left_out"
            case fillsLeftOutListed = "fills_left_out_listed"
            case dexReadsRecorded = "dex_reads_recorded"
            case dexReadsLeftOut = "dex_reads_left_out"
            case routeDisagreements = "route_disagreements"
            case alreadyMigrated = "already_migrated"
            case assumptions, seconds
        }

        package init() {}
    }

    static let listed = 100

    /// CVD's `TIMESTAMP` text (`2025-07-01 08:13:00`, SQLite's `CURRENT_TIMESTAMP`: UTC) as an instant.
    static func instant(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.count >= 10 else { return nil }
        let iso = t.count == 10 ? t : t.replacingOccurrences(of: " ", with: "T") + (t.hasSuffix("Z") ? "" : "Z")
        return Array(iso.utf8).withUnsafeBufferPointer { FieldParse.timestamp($0, dateOnlyAllowed: true) }
    }

    static func temperature(_ typeName: String) -> Temperature {
        let n = typeName.lowercased()
        if n.contains("freezer") { return .frozen }
        if n.contains("cooler") { return .chilled }
        return .ambient
    }

    package static func run(
        _ src: CVDSource,
        into store: Store,
        clock: FleetClock,
        at now: Int64
    ) throws -> Report {
        let started = Date()
        var r = Report()
        func assume(_ text: String) { if !r.assumptions.contains(text) { r.assumptions.append(text) } }

        // Products: CVD's placeholder for an empty slot is not a product.
        var productIDs: [Int64: String] = [:]
        var products: [Product] = []
        for p in src.products {
            if p.isSystem || p.name.trimmingCharacters(in: .whitespaces).uppercased() == "EMPTY_SLOT" {
                r.placeholderProducts.append(p.name)
                continue
            }
            let category = TransactionExport.category(p.category)
            if category == "other", !r.categoriesAsOther.contains(p.category) { r.categoriesAsOther.append(p.category) }
            let id = "cvd-\(p.id)"
            productIDs[p.id] = id
            products.append(
                Product(
                    id: id,
                    name: TransactionExport.cleanName(p.name).name,
                    category: category,
                    price: p.price,
                    unitCost: 0,
                    temperature: .ambient,
                    heightMM: 150,
                    widthColumns: 1,
                    shelfLifeDays: 365
                )
            )
        }
        assume(
            "products: unit cost 0 (CVD keeps none; margins read as revenue until products.csv gives costs), ambient, 1 column wide, 150 mm, shelf life 365 days; CVD's free-text categories mapped to ours by name, the rest 'other'"
        )

        // Devices that are not soft-deleted, with their cabinets.
        var devices: [Int64: String] = [:]
        var cabinetsOf: [Int64: [CVDSource.Cabinet]] = [:]
        for c in src.cabinets { cabinetsOf[c.deviceID, default: []].append(c) }
        for d in src.devices {
            let asset = d.asset.trimmingCharacters(in: .whitespaces)
            if d.deleted {
                r.devicesLeftOut.append(LeftOut(item: asset, reason: "soft-deleted in CVD"))
                continue
            }
            guard !asset.isEmpty else {
                r.devicesLeftOut.append(LeftOut(item: "CVD device \(d.id)", reason: "no asset number"))
                continue
            }
            if devices.values.contains(asset) {
                r.devicesLeftOut.append(LeftOut(item: asset, reason: "a second CVD device with the same asset number"))
                continue
            }
            devices[d.id] = asset
        }
        let routeFromDevice = Dictionary(uniqueKeysWithValues: src.devices.map { ($0.id, $0.routeID) })
        for d in src.devices where !d.deleted {
            let table = src.deviceRoutes[d.id] ?? []
            let column = routeFromDevice[d.id] ?? nil
            if table != Set(column.map { [$0] } ?? []) { r.routeDisagreements += 1 }
        }

        // First record of each device (its layout is taken as in effect since then: CVD keeps no layout history).
        var firstRecord: [Int64: Int64] = [:]
        for s in src.sales {
            if let t = instant(s.at) { firstRecord[s.deviceID] = min(firstRecord[s.deviceID] ?? t, t) }
        }
        for f in src.fills {
            if let t = instant(f.at) { firstRecord[f.deviceID] = min(firstRecord[f.deviceID] ?? t, t) }
        }

        var touchedDays = Set<Int64>()
        var dexToRecord: [(CVDSource.DEXText, String)] = []
        try store.write { db in
            r.alreadyMigrated =
                (try db.scalarInt("SELECT count(*) FROM import_runs WHERE files LIKE 'cvd:%'") ?? 0) > 0
            for p in products {
                try db.run(
                    """
                    INSERT INTO products(product_id, name, category, price, unit_cost, temperature, height_mm, width_cols, shelf_life_days, case_size)
                    VALUES (?, ?, ?, ?, 0, 'ambient', ?, 1, ?, 1) ON CONFLICT DO NOTHING
                    """,
                    [
                        .text(p.id), .text(p.name), .text(p.category), .double(p.price), .of(p.heightMM),
                        .of(p.shelfLifeDays),
                    ]
                )
            }
            r.productsMigrated = products.count
            // holders[device][cvd product] = the slots that hold it.
            var holders: [Int64: [Int64: [(cabinet: Int, slot: SlotCode)]]] = [:]
            let slotsByCabinet = Dictionary(grouping: src.slots, by: \.cabinetID)
            for d in src.devices {
                guard let asset = devices[d.id] else { continue }
                let cabinets = (cabinetsOf[d.id] ?? []).sorted { $0.index < $1.index }
                let temps = Set(cabinets.map { temperature($0.typeName) })
                let type: DeviceType =
                    temps.count > 1
                    ? .combo : temps.first == .chilled ? .beverage : temps.first == .frozen ? .frozen : .snack
                let known = d.latitude != nil && d.longitude != nil
                if !known {
                    assume(
                        "devices without coordinates in CVD's locations are placed at (0, 0) until devices.csv gives them"
                    )
                }
                try db.run(
                    """
                    INSERT INTO devices(device_id, name, venue_type, latitude, longitude, device_type)
                    VALUES (?, ?, 'other', ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                    [
                        .text(asset), .text(d.cooler), .double(d.latitude ?? 0), .double(d.longitude ?? 0),
                        .text(type.rawValue),
                    ]
                )
                r.devicesMigrated.append(asset)
                var seenIndex = Set<Int>()
                for c in cabinets {
                    guard seenIndex.insert(c.index).inserted else {
                        r.slotsLeftOut.append(
                            LeftOut(item: "\(asset) cabinet \(c.index)", reason: "a second cabinet with the same index")
                        )
                        continue
                    }
                    guard c.rows >= 1, c.columns >= 1, c.rows <= 26, c.columns <= 60 else {
                        r.slotsLeftOut.append(
                            LeftOut(
                                item: "\(asset) cabinet \(c.index)",
                                reason: "\(c.rows) × \(c.columns) is not a cabinet"
                            )
                        )
                        continue
                    }
                    let temp = temperature(c.typeName)
                    try db.run(
                        """
                        INSERT INTO cabinets(device_id, cabinet_index, temperature, rows, columns, row_heights_mm)
                        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                        [
                            .text(asset), .of(c.index), .text(temp.rawValue), .of(c.rows), .of(c.columns),
                            .text(Array(repeating: "200", count: c.rows).joined(separator: ";")),
                        ]
                    )
                    r.cabinets += 1
                    var facings: [(SlotCode, String, Int, Int?)] = []
                    var updated: Int64?
                    for s in slotsByCabinet[c.id] ?? [] {
                        if let u = s.planogramUpdatedAt.flatMap(instant) { updated = min(updated ?? u, u) }
                        guard let code = SlotCode(s.position), code.row < c.rows, code.column < c.columns else {
                            r.slotsLeftOut.append(
                                LeftOut(
                                    item: "\(asset) cabinet \(c.index) \(s.position)",
                                    reason: "not a slot of a \(c.rows) × \(c.columns) cabinet"
                                )
                            )
                            continue
                        }
                        guard let pid = s.productID, let product = productIDs[pid] else {
                            if let pid = s.productID, !src.products.contains(where: { $0.id == pid }) {
                                r.slotsLeftOut.append(
                                    LeftOut(
                                        item: "\(asset) cabinet \(c.index) \(s.position)",
                                        reason: "product \(pid) is not in CVD's products"
                                    )
                                )
                            }
                            r.slotsEmpty += 1
                            continue
                        }
                        var capacity = max(1, s.capacity)
                        if s.quantity > capacity {
                            capacity = s.quantity
                            r.capacitiesRaised += 1
                        }
                        var par: Int? = s.par > 0 ? s.par : nil
                        if let p = par, p > capacity {
                            par = capacity
                            r.parsAboveCapacity += 1
                        }
                        if let price = s.price, let p = src.products.first(where: { $0.id == pid }),
                            abs(price - p.price) > 0.005
                        {
                            r.slotPricesDiffering += 1
                        }
                        facings.append((code, product, capacity, par))
                        holders[d.id, default: [:]][pid, default: []].append((c.index, code))
                        r.slotsFilled += 1
                    }
                    guard !facings.isEmpty else { continue }
                    let from = min(updated ?? now, firstRecord[d.id] ?? now)
                    let exists =
                        try db.scalarInt(
                            "SELECT count(*) FROM planogram_versions WHERE device_id = ? AND cabinet_index = ? AND effective_from = ?",
                            [.text(asset), .of(c.index), .int(from)]
                        ) ?? 0
                    guard exists == 0 else { continue }
                    let next =
                        try db.scalarInt(
                            "SELECT coalesce(max(version), 0) + 1 FROM planogram_versions WHERE device_id = ? AND cabinet_index = ?",
                            [.text(asset), .of(c.index)]
                        ) ?? 1
                    let id = try db.insertReturningID(
                        "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source) VALUES (?, ?, ?, ?, 'cvd')",
                        [.text(asset), .of(c.index), .int(next), .int(from)]
                    )
                    for (code, product, capacity, par) in facings.sorted(by: { $0.0 < $1.0 }) {
                        try db.run(
                            "INSERT INTO planogram_slots(version_id, slot, product_id, capacity, par) VALUES (?, ?, ?, ?, ?)",
                            [.int(id), .text(code.description), .text(product), .of(capacity), .of(par)]
                        )
                    }
                    r.planogramVersionsCreated += 1
                }
            }
            assume(
                "the layout CVD holds now is taken as in effect since the device's first sale or fill (CVD keeps no history of layouts); a slot holding more than its capacity has its capacity raised to what it holds; a par above capacity is set to the capacity"
            )

            // Sales: device × product × units × time, shared among the device's slots holding the product.
            // Rows left out are listed by reason (a device and product whose sales have no slot are one line).
            var saleReasons: [String: (rows: Int, units: Int, first: Int64)] = [:]
            var reasonOrder: [String] = []
            func leftOutSale(_ s: CVDSource.Sale, _ reason: String) {
                r.salesLeftOut += 1
                if saleReasons[reason] == nil { reasonOrder.append(reason) }
                saleReasons[reason, default: (0, 0, s.id)].rows += 1
                saleReasons[reason, default: (0, 0, s.id)].units += max(0, s.units)
            }
            r.salesRows = src.sales.count
            for s in src.sales {
                guard let asset = devices[s.deviceID] else {
                    leftOutSale(s, "device \(s.deviceID) is soft-deleted or unknown")
                    continue
                }
                guard let ts = instant(s.at) else {
                    leftOutSale(s, "time \"\(s.at)\" cannot be read")
                    continue
                }
                guard s.units >= 1, s.units <= 10_000, s.cash >= 0 else {
                    leftOutSale(s, "\(s.units) units for \(s.cash) is not a sale")
                    continue
                }
                guard let slots = holders[s.deviceID]?[s.productID], !slots.isEmpty,
                    let product = productIDs[s.productID]
                else {
                    let name = src.products.first { $0.id == s.productID }?.name ?? "product \(s.productID)"
                    leftOutSale(s, "\(name) is in none of \(asset)'s slots now (CVD keeps no earlier layout)")
                    continue
                }
                let price = (s.cash / Double(s.units) * 100).rounded() / 100
                for k in 0..<s.units {
                    let slot = slots[(Int(s.id % Int64(slots.count)) + k) % slots.count]
                    r.salesUnitsWritten += try db.run(
                        """
                        INSERT INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING
                        """,
                        [
                            .int(ts), .text(asset), .of(slot.cabinet), .text(slot.slot.description), .text(product),
                            .double(price), .text("cvd-sale-\(s.id)"), .text("cvd-\(s.id)#\(k)"),
                        ]
                    )
                }
                touchedDays.insert(clock.day(of: ts))
            }
            for reason in reasonOrder.prefix(listed) {
                let g = saleReasons[reason]!
                r.salesLeftOutListed.append(
                    LeftOut(item: "\(g.rows) sale row(s), \(g.units) unit(s) (first: sale \(g.first))", reason: reason)
                )
            }
            assume(
                "CVD's sales carry no slot: each sale's units are shared in turn among the device's slots holding the product; its times are UTC (SQLite's CURRENT_TIMESTAMP)"
            )

            // Fills: a visit's units of a product shared among the device's slots holding it.
            func leftOutFill(_ f: CVDSource.Fill, _ reason: String) {
                r.fillsLeftOut += 1
                if r.fillsLeftOutListed.count < listed {
                    r.fillsLeftOutListed.append(LeftOut(item: "fill \(f.id)", reason: reason))
                }
            }
            for f in src.fills {
                guard let asset = devices[f.deviceID] else {
                    leftOutFill(f, "device \(f.deviceID) is soft-deleted or unknown")
                    continue
                }
                guard let ts = instant(f.at), f.units >= 0 else {
                    leftOutFill(f, "time \"\(f.at)\" or \(f.units) units cannot be read")
                    continue
                }
                guard let slots = holders[f.deviceID]?[f.productID], !slots.isEmpty else {
                    leftOutFill(f, "product \(f.productID) is in none of \(asset)'s slots")
                    continue
                }
                for (i, slot) in slots.enumerated() {
                    let share = f.units / slots.count + (i < f.units % slots.count ? 1 : 0)
                    r.fillsWritten += try db.run(
                        """
                        INSERT INTO services(ts, device_id, cabinet_index, slot, units_added) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT DO NOTHING
                        """,
                        [.int(ts), .text(asset), .of(slot.cabinet), .text(slot.slot.description), .of(share)]
                    )
                }
            }

            // DEX reads: each through the reader; linked to a device by its serial when a device's reads carry it.
            for read in src.dexReads {
                let bytes = Array(read.text.utf8)
                let parsed: DEXRead
                do throws(DEXError) {
                    parsed = try DEXReader.read(bytes)
                } catch {
                    r.dexReadsLeftOut.append(
                        LeftOut(
                            item: read.filename,
                            reason: "the DEX reader refuses it: line \(error.line), \(error.record): \(error.message)"
                        )
                    )
                    continue
                }
                do {
                    let serial = parsed.serial ?? read.serial
                    let owner = try serial.flatMap {
                        try db.query("SELECT device_id FROM dex_serials WHERE serial = ?", [.text($0)]) { $0.text(0) }
                            .first
                    }
                    if let owner {
                        dexToRecord.append((read, owner))
                    } else {
                        r.dexReadsLeftOut.append(
                            LeftOut(
                                item: "\(read.filename) (serial \(serial ?? "none"))",
                                reason:
                                    "linked to no device: CVD keeps no serial on its devices (link the serial to its device, then migrate again)",
                                serial: serial
                            )
                        )
                    }
                }
            }
            try SalesDaily.recompute(db, days: touchedDays.sorted(), clock: clock)
            _ = try db.run(
                "INSERT INTO import_runs(at, files, rows_read, rows_written) VALUES (?, ?, ?, ?)",
                [.int(now), .text("cvd:\(src.devices.count) devices"), .of(src.sales.count), .of(r.salesUnitsWritten)]
            )
        }
        if r.routeDisagreements > 0 {
            assume(
                "routes are not migrated (Planogram Live plans the day's routes itself); CVD's two records of route membership disagree for \(r.routeDisagreements) device(s)"
            )
        }
        let cat = try store.loadCatalog()
        for (read, owner) in dexToRecord {
            let o = try DEXRecording.record(
                Array(read.text.utf8),
                deviceID: owner,
                store: store,
                catalog: cat,
                clock: clock,
                by: "import-cvd",
                receivedAt: instant(read.uploadedAt) ?? now
            )
            if o.recorded { r.dexReadsRecorded += 1 }
        }
        r.seconds = Date().timeIntervalSince(started)
        return r
    }

    /// The report for a terminal.
    package static func summary(_ r: Report) -> String {
        var out =
            "CVD migrated in \(String(format: "%.2f", r.seconds)) s\(r.alreadyMigrated ? " (already migrated before: only what was missing was written)" : "")\n"
        out += "  devices: \(r.devicesMigrated.count) migrated, \(r.devicesLeftOut.count) left out\n"
        for d in r.devicesLeftOut { out += "    \(d.item): \(d.reason)\n" }
        out +=
            "  cabinets: \(r.cabinets); slots: \(r.slotsFilled) with a product, \(r.slotsEmpty) empty (placeholder \(r.placeholderProducts.joined(separator: ", "))); \(r.planogramVersionsCreated) planogram version(s) written\n"
        out +=
            "  products: \(r.productsMigrated); categories read as 'other': \(r.categoriesAsOther.isEmpty ? "none" : r.categoriesAsOther.joined(separator: ", "))\n"
        out +=
            "  capacities raised to the quantity held: \(r.capacitiesRaised); pars above capacity: \(r.parsAboveCapacity); slot prices differing from the product's: \(r.slotPricesDiffering)\n"
        for s in r.slotsLeftOut { out += "    \(s.item): \(s.reason)\n" }
        out +=
            "  sales: \(r.salesRows) rows, \(r.salesUnitsWritten) units written, \(r.salesLeftOut) rows left out, by reason:\n"
        for s in r.salesLeftOutListed { out += "    \(s.item): \(s.reason)\n" }
        out += "  fills: \(r.fillsWritten) slot fills written, \(r.fillsLeftOut) left out\n"
        for f in r.fillsLeftOutListed { out += "    \(f.item): \(f.reason)\n" }
        out += "  DEX reads: \(r.dexReadsRecorded) recorded, \(r.dexReadsLeftOut.count) left out\n"
        for d in r.dexReadsLeftOut { out += "    \(d.item): \(d.reason)\n" }
        for a in r.assumptions { out += "  assumed: \(a)\n" }
        return out
    }
}

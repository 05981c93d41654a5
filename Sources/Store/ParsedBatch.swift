import Foundation
import PlanogramDomain

/// The checked content of one import, held in memory between validation and writing.
/// Sales and services are kept as compact rows with interned ids (the files can hold millions).
struct ParsedBatch {
    struct SaleRow {
        var ts: Int64
        var nanos: Int32
        var device: Int32
        var cabinet: Int32
        var slot: SlotCode
        var product: Int32
        var price: Double
        var txnStart: Int32  // into `txnBytes`, -1 when empty
        var txnLength: Int32
        var line: Int32
    }
    struct ServiceRow {
        var ts: Int64
        var device: Int32
        var cabinet: Int32
        var slot: SlotCode
        var units: Int32
    }
    struct PlanogramRow {
        var line: Int
        var slot: SlotCode
        var facing: Facing
    }
    struct VersionKey: Hashable {
        var cabinet: CabinetKey
        var effectiveFrom: Int64
    }

    var catalog: Catalog
    var products: [Product] = []
    var devices: [Device] = []
    var cabinets: [Cabinet] = []
    var planograms: [VersionKey: [PlanogramRow]] = [:]
    var sales: [SaleRow] = []
    var services: [ServiceRow] = []
    var txnBytes: [UInt8] = []
    var rowsRead: [String: Int] = [:]

    // Interning of ids for the history files.
    var deviceIndex: [String: Int32] = [:]
    var deviceNames: [String] = []
    var productIndex: [String: Int32] = [:]
    var productNames: [String] = []

    /// The fleet's clock: the days of `sales_daily` are its local dates.
    var clock: FleetClock = .utc

    init(existing: Catalog) { catalog = existing }

    // MARK: parsing

    mutating func parse(
        file: String,
        bytes: UnsafeBufferPointer<UInt8>,
        issues: inout ImportIssueList,
        progress: ((ImportProgress) -> Void)?
    ) {
        var reader = CSVReader(bytes)
        let expected = Importer.headers[file]!
        let before = issues.total
        do {
            guard try reader.next() else {
                issues.add(file, 1, "", "empty file (a header row is required: \(expected.joined(separator: ",")))")
                return
            }
        } catch {
            issues.add(file, error.line, "", error.reason)
            return
        }
        // Map header names to field positions; every expected column must be there.
        var position: [Int] = []
        let header = (0..<reader.count).map { reader.string($0).trimmingCharacters(in: .whitespaces).lowercased() }
        for name in expected {
            if let i = header.firstIndex(of: name) {
                position.append(i)
            } else if Importer.optionalColumns.contains(name) {
                position.append(-1)
            } else {
                issues.add(file, 1, name, "missing column \(name) in the header")
            }
        }
        guard issues.total == before else { return }
        var rows = 0
        let total = bytes.count
        if file == "sales.csv" { sales.reserveCapacity(total / 45) }
        if file == "services.csv" {
            services.reserveCapacity(total / 35)
            serviceKeys.reserveCapacity(total / 35)
        }
        while true {
            do { guard try reader.next() else { break } } catch {
                issues.add(
                    file,
                    error.line,
                    error.column <= expected.count ? expected[max(0, error.column - 1)] : "",
                    error.reason
                )
                break  // the rest of the file cannot be framed reliably
            }
            rows += 1
            if reader.count != header.count {
                issues.add(file, reader.line, "", "expected \(header.count) fields, found \(reader.count)")
                continue
            }
            let row = FieldCursor(reader: reader, position: position, names: expected, file: file)
            switch file {
            case "products.csv": parseProduct(row, &issues)
            case "devices.csv": parseDevice(row, &issues)
            case "cabinets.csv": parseCabinet(row, &issues)
            case "planograms.csv": parsePlanogramRow(row, &issues)
            case "sales.csv": parseSale(row, &issues)
            case "services.csv": parseService(row, &issues)
            case "depots.csv": parseDepot(row, &issues)
            case "vehicles.csv": parseVehicle(row, &issues)
            case "travel_matrix.csv": parseTravel(row, &issues)
            default: break
            }
            if rows & 0xFFFF == 0, let progress {
                progress(
                    ImportProgress(
                        phase: "validate",
                        file: file,
                        rows: rows,
                        bytesDone: reader.offset,
                        bytesTotal: total
                    )
                )
            }
        }
        rowsRead[file] = rows
        progress?(ImportProgress(phase: "validate", file: file, rows: rows, bytesDone: total, bytesTotal: total))
    }

    /// The fields of one record, by expected column, with typed reads that report problems.
    struct FieldCursor {
        let reader: CSVReader
        let position: [Int]
        let names: [String]
        let file: String
        var line: Int { reader.line }

        func raw(_ c: Int) -> String {
            position[c] < 0 ? "" : reader.string(position[c])
        }
        /// The field without surrounding spaces, made without Foundation (hot path).
        func trimmed(_ c: Int) -> String {
            guard position[c] >= 0 else { return "" }
            return reader.withField(position[c]) { b in
                var lo = 0
                var hi = b.count
                while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
                while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
            }
        }
        func text(_ c: Int, _ issues: inout ImportIssueList, required: Bool = true) -> String? {
            let s = raw(c).trimmingCharacters(in: .whitespaces)
            if required && s.isEmpty {
                issues.add(file, line, names[c], "empty value")
                return nil
            }
            return s
        }
        func decimal(_ c: Int, _ issues: inout ImportIssueList, min: Double? = nil, max: Double? = nil) -> Double? {
            let v = reader.withField(position[c]) { FieldParse.decimal($0) }
            guard let v else {
                let text = raw(c).trimmingCharacters(in: .whitespaces)
                let integerDigits = text.drop { $0 == "-" || $0 == "+" }.prefix { $0.isASCII && $0.isNumber }.count
                if integerDigits > FieldParse.maxIntegerDigits {
                    issues.add(
                        file,
                        line,
                        names[c],
                        "number out of range (more than \(FieldParse.maxIntegerDigits) digits before the point): \"\(text.prefix(40))\""
                    )
                } else {
                    issues.add(file, line, names[c], "bad number \"\(raw(c))\"")
                }
                return nil
            }
            if let min, v < min {
                issues.add(file, line, names[c], "must be at least \(min), got \(raw(c))")
                return nil
            }
            if let max, v > max {
                issues.add(file, line, names[c], "must be at most \(max), got \(raw(c))")
                return nil
            }
            return v
        }
        func integer(_ c: Int, _ issues: inout ImportIssueList, range: ClosedRange<Int>) -> Int? {
            let v = reader.withField(position[c]) { FieldParse.integer($0) }
            guard let v else {
                issues.add(file, line, names[c], "bad whole number \"\(raw(c))\"")
                return nil
            }
            guard range.contains(v) else {
                issues.add(
                    file,
                    line,
                    names[c],
                    "must be between \(range.lowerBound) and \(range.upperBound), got \(v)"
                )
                return nil
            }
            return v
        }
        func preciseTimestamp(_ c: Int, _ issues: inout ImportIssueList) -> (seconds: Int64, nanos: Int32)? {
            let v = reader.withField(position[c]) { FieldParse.preciseTimestamp($0) }
            if v == nil { issues.add(file, line, names[c], "bad date \"\(raw(c))\" (ISO 8601 with Z or an offset)") }
            return v
        }
        func timestamp(_ c: Int, _ issues: inout ImportIssueList, dateOnly: Bool = false) -> Int64? {
            let v = reader.withField(position[c]) { FieldParse.timestamp($0, dateOnlyAllowed: dateOnly) }
            if v == nil { issues.add(file, line, names[c], "bad date \"\(raw(c))\" (ISO 8601 with Z or an offset)") }
            return v
        }
        /// Whether an optional column is present with a value on this row.
        func has(_ c: Int) -> Bool { position[c] >= 0 && !raw(c).trimmingCharacters(in: .whitespaces).isEmpty }
        /// `HH:MM` as minutes after midnight.
        func timeOfDay(_ c: Int, _ issues: inout ImportIssueList) -> Int? {
            let text = raw(c).trimmingCharacters(in: .whitespaces)
            if let m = TimeWindow.minute(text) { return m }
            issues.add(file, line, names[c], "bad time of day \"\(text.prefix(40))\" (HH:MM, 00:00 to 24:00)")
            return nil
        }
        func enumeration<E: RawRepresentable & CaseIterable>(
            _ c: Int,
            _ type: E.Type,
            _ issues: inout ImportIssueList
        ) -> E?
        where E.RawValue == String {
            let s = raw(c).trimmingCharacters(in: .whitespaces).lowercased()
            if let v = E(rawValue: s) { return v }
            issues.add(
                file,
                line,
                names[c],
                "unknown value \"\(raw(c))\" (one of \(E.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
            return nil
        }
    }

    var productLines: [String: Int] = [:]
    mutating func parseProduct(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let id = r.text(0, &issues)
        let name = r.text(1, &issues)
        let category = r.text(2, &issues)
        let price = r.decimal(3, &issues, min: 0, max: 1_000_000)
        let cost = r.decimal(4, &issues, min: 0, max: 1_000_000)
        let temp = r.enumeration(5, Temperature.self, &issues)
        let height = r.integer(6, &issues, range: 1...2000)
        let width = r.integer(7, &issues, range: 1...2)
        let life = r.integer(8, &issues, range: 0...3650)
        let caseSize = r.has(9) ? r.integer(9, &issues, range: 1...1000) : 1
        guard issues.total == before, let id, let name, let category, let price, let cost, let temp, let height,
            let width, let life,
            let caseSize
        else { return }
        if let first = productLines[id] {
            issues.add(r.file, r.line, "product_id", "duplicate key \(id) (first on line \(first))")
            return
        }
        productLines[id] = r.line
        let p = Product(
            id: id,
            name: name,
            category: category.lowercased(),
            price: price,
            unitCost: cost,
            temperature: temp,
            heightMM: height,
            widthColumns: width,
            shelfLifeDays: life,
            caseSize: caseSize
        )
        products.append(p)
        catalog.products[id] = p
    }

    var deviceLines: [String: Int] = [:]
    /// `devices.csv`'s `dex_serial` column: serial → device.
    var dexSerials: [String: String] = [:]
    mutating func parseDevice(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let id = r.text(0, &issues)
        let name = r.text(1, &issues)
        let venue = r.enumeration(2, VenueType.self, &issues)
        let lat = r.decimal(3, &issues)
        let lon = r.decimal(4, &issues)
        let type = r.enumeration(5, DeviceType.self, &issues)
        if let lat, abs(lat) > 90 { issues.add(r.file, r.line, "latitude", "must be within ±90") }
        if let lon, abs(lon) > 180 { issues.add(r.file, r.line, "longitude", "must be within ±180") }
        var access: TimeWindow?
        if r.has(6) || r.has(7) {
            if !r.has(6) {
                issues.add(r.file, r.line, "access_from", "access_from and access_until go together")
            } else if !r.has(7) {
                issues.add(r.file, r.line, "access_until", "access_from and access_until go together")
            } else if let from = r.timeOfDay(6, &issues), let until = r.timeOfDay(7, &issues) {
                if until <= from {
                    issues.add(
                        r.file,
                        r.line,
                        "access_until",
                        "must be after access_from (a window does not cross midnight)"
                    )
                } else {
                    access = TimeWindow(from: from, until: until)
                }
            }
        }
        let minutes = r.has(8) ? r.integer(8, &issues, range: 1...480) : 10
        // The serial its DEX reads carry (docs/formats/DEX.md): links a read to the device by itself.
        let serial = r.has(9) ? r.raw(9).trimmingCharacters(in: .whitespaces) : nil
        if let serial, let other = dexSerials[serial], other != id {
            issues.add(r.file, r.line, "dex_serial", "serial \(serial) is already device \(other)'s")
        }
        guard issues.total == before, let id, let name, let venue, let lat, let lon, let type, let minutes else {
            return
        }
        if let serial { dexSerials[serial] = id }
        if let first = deviceLines[id] {
            issues.add(r.file, r.line, "device_id", "duplicate key \(id) (first on line \(first))")
            return
        }
        deviceLines[id] = r.line
        let d = Device(
            id: id,
            name: name,
            venueType: venue,
            latitude: lat,
            longitude: lon,
            deviceType: type,
            access: access,
            serviceMinutes: minutes
        )
        devices.append(d)
        catalog.devices[id] = d
    }

    var depots: [Depot] = []
    var depotLines: [String: Int] = [:]
    mutating func parseDepot(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let id = r.text(0, &issues)
        let name = r.text(1, &issues)
        let lat = r.decimal(2, &issues)
        let lon = r.decimal(3, &issues)
        let opens = r.timeOfDay(4, &issues)
        let closes = r.timeOfDay(5, &issues)
        if let lat, abs(lat) > 90 { issues.add(r.file, r.line, "latitude", "must be within ±90") }
        if let lon, abs(lon) > 180 { issues.add(r.file, r.line, "longitude", "must be within ±180") }
        if let opens, let closes, closes <= opens { issues.add(r.file, r.line, "closes", "must be after opens") }
        guard issues.total == before, let id, let name, let lat, let lon, let opens, let closes else { return }
        if let first = depotLines[id] {
            issues.add(r.file, r.line, "depot_id", "duplicate key \(id) (first on line \(first))")
            return
        }
        depotLines[id] = r.line
        let d = Depot(id: id, name: name, latitude: lat, longitude: lon, hours: TimeWindow(from: opens, until: closes))
        depots.append(d)
        catalog.depots[id] = d
    }

    var vehicles: [Vehicle] = []
    var vehicleLines: [String: Int] = [:]
    mutating func parseVehicle(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let id = r.text(0, &issues)
        let depot = r.text(1, &issues)
        let capacity = r.integer(2, &issues, range: 1...100_000)
        let start = r.timeOfDay(3, &issues)
        let end = r.timeOfDay(4, &issues)
        if let depot, catalog.depots[depot] == nil { issues.add(r.file, r.line, "depot_id", "unknown depot \(depot)") }
        if let start, let end, end <= start { issues.add(r.file, r.line, "shift_end", "must be after shift_start") }
        guard issues.total == before, let id, let depot, let capacity, let start, let end else { return }
        if let first = vehicleLines[id] {
            issues.add(r.file, r.line, "vehicle_id", "duplicate key \(id) (first on line \(first))")
            return
        }
        vehicleLines[id] = r.line
        let v = Vehicle(id: id, depotID: depot, capacityUnits: capacity, shift: TimeWindow(from: start, until: end))
        vehicles.append(v)
        catalog.vehicles[id] = v
    }

    struct TravelRow {
        var from: String
        var to: String
        var seconds: Int
        var meters: Int
    }
    var travel: [TravelRow] = []
    var travelLines: [String: Int] = [:]
    mutating func parseTravel(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let from = r.text(0, &issues)
        let to = r.text(1, &issues)
        let seconds = r.integer(2, &issues, range: 0...86_400 * 2)
        let meters = r.integer(3, &issues, range: 0...5_000_000)
        for (c, place) in [(0, from), (1, to)] {
            if let place, catalog.devices[place] == nil && catalog.depots[place] == nil {
                issues.add(
                    r.file,
                    r.line,
                    c == 0 ? "from_id" : "to_id",
                    "unknown place \(place) (a device or depot id)"
                )
            }
        }
        guard issues.total == before, let from, let to, let seconds, let meters else { return }
        let key = from + "\u{1F}" + to
        if let first = travelLines[key] {
            issues.add(r.file, r.line, "to_id", "duplicate key \(from) → \(to) (first on line \(first))")
            return
        }
        travelLines[key] = r.line
        travel.append(TravelRow(from: from, to: to, seconds: seconds, meters: meters))
    }

    /// Cross-file checks of the operations data (nothing yet beyond the per-row references).
    func checkOperations(issues: inout ImportIssueList) {}

    var cabinetLines: [CabinetKey: Int] = [:]
    mutating func parseCabinet(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let id = r.text(0, &issues)
        let index = r.integer(1, &issues, range: 0...63)
        let temp = r.enumeration(2, Temperature.self, &issues)
        let rows = r.integer(3, &issues, range: 1...26)
        let cols = r.integer(4, &issues, range: 1...99)
        let heightsRaw = r.raw(5).split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let heights = heightsRaw.compactMap { Int($0) }.filter { $0 > 0 }
        if let id, catalog.devices[id] == nil { issues.add(r.file, r.line, "device_id", "unknown device \(id)") }
        if heights.count != heightsRaw.count {
            issues.add(
                r.file,
                r.line,
                "row_heights_mm",
                "bad list \"\(r.raw(5))\" (positive whole numbers separated by ;)"
            )
        } else if let rows, heights.count != rows {
            issues.add(r.file, r.line, "row_heights_mm", "\(heights.count) heights for \(rows) rows")
        }
        guard issues.total == before, let id, let index, let temp, let rows, let cols else { return }
        let key = CabinetKey(id, index)
        if let first = cabinetLines[key] {
            issues.add(r.file, r.line, "cabinet_index", "duplicate key \(key) (first on line \(first))")
            return
        }
        cabinetLines[key] = r.line
        let c = Cabinet(deviceID: id, index: index, temperature: temp, rows: rows, columns: cols, rowHeightsMM: heights)
        cabinets.append(c)
        catalog.cabinets[key] = c
    }

    /// Cabinets by device id, built once the devices and cabinets files are read (history hot path).
    var cabinetsByDevice: [String: [Int: Cabinet]]?

    /// Resolves device, cabinet and slot of a history or planogram row, without Foundation on the way.
    mutating func locate(_ r: FieldCursor, deviceColumn: Int, _ issues: inout ImportIssueList) -> (Cabinet, SlotCode)? {
        if cabinetsByDevice == nil {
            var m: [String: [Int: Cabinet]] = [:]
            for id in catalog.devices.keys { m[id] = [:] }
            for c in catalog.cabinets.values { m[c.deviceID, default: [:]][c.index] = c }
            cabinetsByDevice = m
        }
        let id = r.trimmed(deviceColumn)
        let index = r.reader.withField(r.position[deviceColumn + 1]) { FieldParse.integer($0) }
        guard !id.isEmpty else {
            issues.add(r.file, r.line, "device_id", "empty value")
            return nil
        }
        guard let cabs = cabinetsByDevice![id] else {
            issues.add(r.file, r.line, "device_id", "unknown device \(id)")
            return nil
        }
        guard let index, index >= 0 else {
            issues.add(r.file, r.line, "cabinet_index", "bad whole number \"\(r.raw(deviceColumn + 1))\"")
            return nil
        }
        guard let cab = cabs[index] else {
            issues.add(r.file, r.line, "cabinet_index", "unknown cabinet \(index) of device \(id)")
            return nil
        }
        guard let slot = r.reader.withField(r.position[3], { SlotCode(bytes: $0) }) else {
            issues.add(
                r.file,
                r.line,
                "slot",
                "\"\(r.trimmed(3))\" is not a slot code (row letter then column number, e.g. B4)"
            )
            return nil
        }
        guard cab.contains(slot) else {
            issues.add(
                r.file,
                r.line,
                "slot",
                PlacementError.slotOutsideCabinet(slot, rows: cab.rows, columns: cab.columns).description
            )
            return nil
        }
        return (cab, slot)
    }

    var planogramLines: [VersionKey: [SlotCode: Int]] = [:]
    mutating func parsePlanogramRow(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let located = locate(r, deviceColumn: 0, &issues)
        let from = r.timestamp(2, &issues, dateOnly: true)
        let pid = r.text(4, &issues)
        let cap = r.integer(5, &issues, range: 1...1000)
        let par = r.has(6) ? r.integer(6, &issues, range: 1...1000) : nil
        if let pid, catalog.products[pid] == nil { issues.add(r.file, r.line, "product_id", "unknown product \(pid)") }
        if let par, let cap, par > cap {
            issues.add(r.file, r.line, "par", "par \(par) is above the slot's capacity \(cap)")
        }
        guard issues.total == before, let (cab, slot) = located, let from, let pid, let cap else { return }
        let key = VersionKey(cabinet: CabinetKey(cab.deviceID, cab.index), effectiveFrom: from)
        if let first = planogramLines[key]?[slot] {
            issues.add(
                r.file,
                r.line,
                "slot",
                "duplicate key: slot \(slot) already assigned on line \(first) for this version"
            )
            return
        }
        planogramLines[key, default: [:]][slot] = r.line
        planograms[key, default: []].append(
            PlanogramRow(line: r.line, slot: slot, facing: Facing(productID: pid, capacity: cap, par: par))
        )
    }

    /// The hard rules of docs/ARCHITECTURE.md over each imported planogram version, in slot order.
    mutating func checkPlanograms(issues: inout ImportIssueList) {
        for (key, rows) in planograms {
            guard let cab = catalog.cabinets[key.cabinet] else { continue }
            var draft = Planogram(
                deviceID: cab.deviceID,
                cabinetIndex: cab.index,
                version: 0,
                effectiveFrom: key.effectiveFrom
            )
            for row in rows.sorted(by: { $0.slot < $1.slot }) {
                guard let product = catalog.products[row.facing.productID] else { continue }
                let v = PlacementRules.violations(
                    placing: product,
                    capacity: row.facing.capacity,
                    at: row.slot,
                    in: cab,
                    planogram: draft,
                    products: catalog.products
                )
                for e in v {
                    issues.add("planograms.csv", row.line, e.rule == "width" ? "slot" : "product_id", e.description)
                }
                draft.facings[row.slot] = row.facing
            }
        }
    }

    mutating func intern(device id: String) -> Int32 {
        if let i = deviceIndex[id] { return i }
        let i = Int32(deviceNames.count)
        deviceNames.append(id)
        deviceIndex[id] = i
        return i
    }

    mutating func intern(product id: String) -> Int32 {
        if let i = productIndex[id] { return i }
        let i = Int32(productNames.count)
        productNames.append(id)
        productIndex[id] = i
        return i
    }

    struct HistoryKey: Hashable {
        var ts: Int64
        var packed: Int64
        var nanos: Int32 = 0
        var txn: UInt64 = 0
    }
    /// Duplicate detection for sales. A vend is identified by its device, cabinet, slot, timestamp at the
    /// file's full precision and transaction id (two vends of one slot in the same second with different
    /// transaction ids, or sub-second times, are two vends; the same line imported twice is one).
    /// Export files are in time order, so only the keys of the current second are kept; the first time a
    /// row goes back in time, every key seen so far is indexed.
    var saleKeys: [HistoryKey: Int32] = [:]
    var saleKeysComplete = false
    var lastSaleTs = Int64.min

    mutating func firstSale(with key: HistoryKey, line: Int32) -> Int32? {
        if !saleKeysComplete {
            if key.ts > lastSaleTs {
                saleKeys.removeAll(keepingCapacity: true)
                lastSaleTs = key.ts
            } else if key.ts < lastSaleTs {
                saleKeys.removeAll()
                saleKeys.reserveCapacity(sales.count * 2)
                for s in sales {
                    let k = HistoryKey(
                        ts: s.ts,
                        packed: Int64(s.device) << 24 | Int64(s.cabinet) << 16 | Int64(s.slot.row) << 8
                            | Int64(s.slot.column),
                        nanos: s.nanos,
                        txn: txnHash(s.txnStart, s.txnLength)
                    )
                    saleKeys[k] = s.line
                }
                saleKeysComplete = true
            }
        }
        if let first = saleKeys[key] { return first }
        saleKeys[key] = line
        return nil
    }
    var serviceKeys: [HistoryKey: Int32] = [:]

    /// FNV-1a of a transaction id's bytes (0 for none): part of a vend's in-memory identity.
    func txnHash(_ start: Int32, _ length: Int32) -> UInt64 {
        guard start >= 0 else { return 0 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in Int(start)..<Int(start + length) { h = (h ^ UInt64(txnBytes[i])) &* 0x100_0000_01b3 }
        return h | 1
    }

    mutating func parseSale(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let precise = r.preciseTimestamp(0, &issues)
        let ts = precise?.seconds
        let located = locate(r, deviceColumn: 1, &issues)
        let pid = r.trimmed(4)
        let price = r.decimal(5, &issues, min: 0, max: 1_000_000)
        if catalog.products[pid] == nil {
            issues.add(r.file, r.line, "product_id", pid.isEmpty ? "empty value" : "unknown product \(pid)")
        }
        var txnStart: Int32 = -1
        var txnLength: Int32 = 0
        if r.position[6] >= 0 {
            let ok = r.reader.withField(r.position[6]) { b -> Bool in
                guard b.count > 0 else { return true }
                guard b.count <= 128 else { return false }
                txnStart = Int32(txnBytes.count)
                txnLength = Int32(b.count)
                txnBytes.append(contentsOf: b)
                return true
            }
            if !ok { issues.add(r.file, r.line, "transaction_id", "longer than 128 bytes") }
        }
        guard issues.total == before, let ts, let nanos = precise?.nanos, let (cab, slot) = located, let price else {
            return
        }
        let d = intern(device: cab.deviceID)
        let p = intern(product: pid)
        let key = HistoryKey(
            ts: ts,
            packed: Int64(d) << 24 | Int64(cab.index) << 16 | Int64(slot.row) << 8 | Int64(slot.column),
            nanos: nanos,
            txn: txnHash(txnStart, txnLength)
        )
        if let first = firstSale(with: key, line: Int32(r.line)) {
            issues.add(
                r.file,
                r.line,
                "timestamp",
                "duplicate key: a sale at \(cab.deviceID)/\(cab.index) \(slot) with the same time and transaction id (line \(first))"
            )
            return
        }
        sales.append(
            SaleRow(
                ts: ts,
                nanos: nanos,
                device: d,
                cabinet: Int32(cab.index),
                slot: slot,
                product: p,
                price: price,
                txnStart: txnStart,
                txnLength: txnLength,
                line: Int32(r.line)
            )
        )
    }

    mutating func parseService(_ r: FieldCursor, _ issues: inout ImportIssueList) {
        let before = issues.total
        let ts = r.timestamp(0, &issues)
        let located = locate(r, deviceColumn: 1, &issues)
        let units = r.integer(4, &issues, range: 0...10_000)
        guard issues.total == before, let ts, let (cab, slot) = located, let units else { return }
        let d = intern(device: cab.deviceID)
        let key = HistoryKey(
            ts: ts,
            packed: Int64(d) << 24 | Int64(cab.index) << 16 | Int64(slot.row) << 8 | Int64(slot.column)
        )
        if let first = serviceKeys.updateValue(Int32(r.line), forKey: key) {
            issues.add(
                r.file,
                r.line,
                "timestamp",
                "duplicate key: a service of \(cab.deviceID)/\(cab.index) \(slot) at the same second (line \(first))"
            )
            return
        }
        services.append(ServiceRow(ts: ts, device: d, cabinet: Int32(cab.index), slot: slot, units: Int32(units)))
    }

    // MARK: writing (inside the caller's transaction)

    func write(_ db: any SQLConnection, progress: ((ImportProgress) -> Void)?) throws -> [String: Int] {
        var written: [String: Int] = [:]
        let upSQL = """
            INSERT INTO products(product_id, name, category, price, unit_cost, temperature, height_mm, width_cols, shelf_life_days, case_size)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(product_id) DO UPDATE SET name = excluded.name, category = excluded.category, price = excluded.price,
              unit_cost = excluded.unit_cost, temperature = excluded.temperature, height_mm = excluded.height_mm,
              width_cols = excluded.width_cols, shelf_life_days = excluded.shelf_life_days, case_size = excluded.case_size
            WHERE (products.name, products.category, products.price, products.unit_cost, products.temperature, products.height_mm, products.width_cols, products.shelf_life_days, products.case_size) IS DISTINCT FROM
                  (excluded.name, excluded.category, excluded.price, excluded.unit_cost, excluded.temperature,
                   excluded.height_mm, excluded.width_cols, excluded.shelf_life_days, excluded.case_size)
            """
        for p in products {
            written["products.csv", default: 0] += try db.run(
                upSQL,
                [
                    .text(p.id), .text(p.name), .text(p.category), .double(p.price), .double(p.unitCost),
                    .text(p.temperature.rawValue), .of(p.heightMM), .of(p.widthColumns), .of(p.shelfLifeDays),
                    .of(p.caseSize),
                ]
            )
        }
        let udSQL = """
            INSERT INTO devices(device_id, name, venue_type, latitude, longitude, device_type, access_from, access_until, service_minutes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(device_id) DO UPDATE SET name = excluded.name, venue_type = excluded.venue_type,
              latitude = excluded.latitude, longitude = excluded.longitude, device_type = excluded.device_type,
              access_from = excluded.access_from, access_until = excluded.access_until, service_minutes = excluded.service_minutes
            WHERE (devices.name, devices.venue_type, devices.latitude, devices.longitude, devices.device_type, devices.access_from, devices.access_until, devices.service_minutes) IS DISTINCT FROM
                  (excluded.name, excluded.venue_type, excluded.latitude, excluded.longitude, excluded.device_type,
                   excluded.access_from, excluded.access_until, excluded.service_minutes)
            """
        for (serial, device) in dexSerials.sorted(by: { $0.key < $1.key }) {
            let owner = try db.query("SELECT device_id FROM dex_serials WHERE serial = ?", [.text(serial)]) {
                $0.text(0)
            }
            if let owner = owner.first, owner != device {
                throw ImportRejected(
                    issues: [
                        ImportIssue(
                            file: "devices.csv",
                            line: deviceLines[device] ?? 0,
                            column: "dex_serial",
                            message: "serial \(serial) is already device \(owner)'s (from its DEX reads)"
                        )
                    ],
                    total: 1
                )
            }
            try db.run(
                "INSERT INTO dex_serials(serial, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [.text(serial), .text(device)]
            )
        }
        for d in devices {
            written["devices.csv", default: 0] += try db.run(
                udSQL,
                [
                    .text(d.id), .text(d.name), .text(d.venueType.rawValue), .double(d.latitude), .double(d.longitude),
                    .text(d.deviceType.rawValue), d.access.map { .of($0.from) } ?? .null,
                    d.access.map { .of($0.until) } ?? .null,
                    .of(d.serviceMinutes),
                ]
            )
        }
        written.merge(try writeOperations(db)) { $0 + $1 }
        let ucSQL = """
            INSERT INTO cabinets(device_id, cabinet_index, temperature, rows, columns, row_heights_mm) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(device_id, cabinet_index) DO UPDATE SET temperature = excluded.temperature, rows = excluded.rows,
              columns = excluded.columns, row_heights_mm = excluded.row_heights_mm, inferred = 0
            WHERE (cabinets.temperature, cabinets.rows, cabinets.columns, cabinets.row_heights_mm, cabinets.inferred)
                  IS DISTINCT FROM (excluded.temperature, excluded.rows, excluded.columns, excluded.row_heights_mm, 0)
            """
        for c in cabinets {
            written["cabinets.csv", default: 0] += try db.run(
                ucSQL,
                [
                    .text(c.deviceID), .of(c.index), .text(c.temperature.rawValue), .of(c.rows), .of(c.columns),
                    .text(c.rowHeightsMM.map(String.init).joined(separator: ";")),
                ]
            )
        }
        written["planograms.csv"] = try writePlanograms(db)
        written["sales.csv"] = try writeSales(db, progress: progress)
        written["services.csv"] = try writeServices(db, progress: progress)
        return written
    }

    func writePlanograms(_ db: any SQLConnection) throws -> Int {
        var written = 0
        var touched = Set<CabinetKey>()
        for (key, rows) in planograms.sorted(by: {
            ($0.key.cabinet.description, $0.key.effectiveFrom) < ($1.key.cabinet.description, $1.key.effectiveFrom)
        }) {
            let wanted = Dictionary(uniqueKeysWithValues: rows.map { ($0.slot.description, $0.facing) })
            let existing = try db.query(
                "SELECT id, base_id FROM planogram_versions WHERE device_id = ? AND cabinet_index = ? AND effective_from = ?",
                [.text(key.cabinet.deviceID), .of(key.cabinet.index), .int(key.effectiveFrom)]
            ) { ($0.int64(0), $0.optionalInt64(1)) }
            if let (id, base) = existing.first {
                if try PlanogramRepository.facings(db, versionID: id, stored: base != nil) == wanted { continue }
                try PlanogramRepository.replaceSlots(db, versionID: id, with: wanted)
            } else {
                let versionID = try db.insertReturningID(
                    "INSERT INTO planogram_versions(device_id, cabinet_index, version, effective_from, source) VALUES (?, ?, 0, ?, 'import')",
                    [.text(key.cabinet.deviceID), .of(key.cabinet.index), .int(key.effectiveFrom)]
                )
                for (slot, f) in wanted {
                    try db.run(
                        "INSERT INTO planogram_slots(version_id, slot, product_id, capacity, par) VALUES (?, ?, ?, ?, ?)",
                        [.int(versionID), .text(slot), .text(f.productID), .of(f.capacity), .of(f.par)]
                    )
                }
            }
            touched.insert(key.cabinet)
            written += wanted.count
        }
        // Version numbers follow effective time within each cabinet.
        for cab in touched {
            try db.run(
                """
                UPDATE planogram_versions SET version = (
                  SELECT count(*) FROM planogram_versions p2
                  WHERE p2.device_id = planogram_versions.device_id AND p2.cabinet_index = planogram_versions.cabinet_index
                    AND p2.effective_from <= planogram_versions.effective_from)
                WHERE device_id = ? AND cabinet_index = ?
                """,
                [.text(cab.deviceID), .of(cab.index)]
            )
        }
        return written
    }

    /// Depots, vehicles and the travel matrix: upserts that change nothing when the row is the same.
    func writeOperations(_ db: any SQLConnection) throws -> [String: Int] {
        var written: [String: Int] = [:]
        let udSQL = """
            INSERT INTO depots(depot_id, name, latitude, longitude, opens, closes) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(depot_id) DO UPDATE SET name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude,
              opens = excluded.opens, closes = excluded.closes
            WHERE (depots.name, depots.latitude, depots.longitude, depots.opens, depots.closes) IS DISTINCT FROM (excluded.name, excluded.latitude, excluded.longitude, excluded.opens, excluded.closes)
            """
        for d in depots {
            written["depots.csv", default: 0] += try db.run(
                udSQL,
                [
                    .text(d.id), .text(d.name), .double(d.latitude), .double(d.longitude), .of(d.hours.from),
                    .of(d.hours.until),
                ]
            )
        }
        let uvSQL = """
            INSERT INTO vehicles(vehicle_id, depot_id, capacity_units, shift_start, shift_end) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(vehicle_id) DO UPDATE SET depot_id = excluded.depot_id, capacity_units = excluded.capacity_units,
              shift_start = excluded.shift_start, shift_end = excluded.shift_end
            WHERE (vehicles.depot_id, vehicles.capacity_units, vehicles.shift_start, vehicles.shift_end) IS DISTINCT FROM (excluded.depot_id, excluded.capacity_units, excluded.shift_start, excluded.shift_end)
            """
        for v in vehicles {
            written["vehicles.csv", default: 0] += try db.run(
                uvSQL,
                [.text(v.id), .text(v.depotID), .of(v.capacityUnits), .of(v.shift.from), .of(v.shift.until)]
            )
        }
        let utSQL = """
            INSERT INTO travel_matrix(from_id, to_id, seconds, meters) VALUES (?, ?, ?, ?)
            ON CONFLICT(from_id, to_id) DO UPDATE SET seconds = excluded.seconds, meters = excluded.meters
            WHERE (travel_matrix.seconds, travel_matrix.meters) IS DISTINCT FROM (excluded.seconds, excluded.meters)
            """
        for t in travel {
            written["travel_matrix.csv", default: 0] += try db.run(
                utSQL,
                [.text(t.from), .text(t.to), .of(t.seconds), .of(t.meters)]
            )
        }
        return written
    }

    func writeSales(_ connection: any SQLConnection, progress: ((ImportProgress) -> Void)?) throws -> Int {
        guard !sales.isEmpty else { return 0 }
        var first = Int64.max
        var last = Int64.min
        for s in sales {
            first = min(first, s.ts)
            last = max(last, s.ts)
        }
        let days = clock.day(of: first)..<clock.day(of: last) + 1
        if let db = connection as? SQLiteDatabase {
            // No sale of these days on record yet (a first import, or the next weeks of an export): the totals
            // of what this import writes are the days' totals, summed while writing. Otherwise the days it
            // wrote to are recomputed, and none when it wrote nothing (the same files again).
            let fresh =
                try db.scalarInt(
                    "SELECT count(*) FROM (SELECT 1 FROM sales WHERE ts >= ? AND ts < ? LIMIT 1)",
                    [.int(clock.midnight(days.lowerBound)), .int(clock.midnight(days.upperBound))]
                ) == 0
            var totals = WrittenDailyTotals(clock: clock)
            let written = try insertSales(db, progress: progress, totals: &totals)
            if fresh {
                try totals.replace(days, in: db, deviceNames: deviceNames)
            } else {
                try SalesDaily.recompute(db, days: totals.days, clock: clock)
            }
            return written
        } else if let db = connection as? PostgresDatabase {
            let written = try copySales(db, progress: progress)
            try SalesDaily.recompute(db, days: Array(days), clock: clock)  // COPY does not say which rows went in
            return written
        } else {
            throw SQLUsageError(message: "no bulk insert for \(connection.dialect)")
        }
    }

    /// SQLite: one prepared INSERT OR IGNORE, values bound without copies (the import's hot path).
    private func insertSales(
        _ db: SQLiteDatabase,
        progress: ((ImportProgress) -> Void)?,
        totals: inout WrittenDailyTotals
    ) throws -> Int {
        let st = try db.statement(
            "INSERT OR IGNORE INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        // C strings made once and bound without copies.
        let deviceC = deviceNames.map { strdup($0)! }
        let productC = productNames.map { strdup($0)! }
        var slotC: [SlotCode: UnsafeMutablePointer<CChar>] = [:]
        defer { for p in deviceC + productC + Array(slotC.values) { free(p) } }
        var written = 0
        let emptyC = strdup("")!
        defer { free(emptyC) }
        try txnBytes.withUnsafeBytes { txn in
            for (i, s) in sales.enumerated() {
                st.bindInt(s.ts, at: 1)
                st.bindStaticText(deviceC[Int(s.device)], at: 2)
                st.bindInt(Int64(s.cabinet), at: 3)
                let slot: UnsafeMutablePointer<CChar>
                if let p = slotC[s.slot] {
                    slot = p
                } else {
                    slot = strdup(s.slot.description)!
                    slotC[s.slot] = slot
                }
                st.bindStaticText(slot, at: 4)
                st.bindStaticText(productC[Int(s.product)], at: 5)
                st.bindDouble(s.price, at: 6)
                st.bindInt(Int64(s.nanos), at: 8)
                if s.txnStart >= 0 {
                    st.bindText(
                        UnsafeRawBufferPointer(rebasing: txn[Int(s.txnStart)..<Int(s.txnStart + s.txnLength)]),
                        at: 7
                    )
                    st.bindText(
                        UnsafeRawBufferPointer(rebasing: txn[Int(s.txnStart)..<Int(s.txnStart + s.txnLength)]),
                        at: 9
                    )
                } else {
                    try st.bind(.null, at: 7)
                    st.bindStaticText(emptyC, at: 9)
                }
                try st.step()
                if db.changes > 0 {
                    written += 1
                    totals.add(ts: s.ts, device: s.device, price: s.price)
                }
                if i & 0xFFFF == 0xFFFF, let progress {
                    progress(
                        ImportProgress(
                            phase: "write",
                            file: "sales.csv",
                            rows: i + 1,
                            bytesDone: i + 1,
                            bytesTotal: sales.count
                        )
                    )
                }
            }
        }
        return written
    }

    func writeServices(_ connection: any SQLConnection, progress: ((ImportProgress) -> Void)? = nil) throws -> Int {
        guard !services.isEmpty else { return 0 }
        if let db = connection as? PostgresDatabase { return try copyServices(db) }
        guard let db = connection as? SQLiteDatabase else {
            throw SQLUsageError(message: "no bulk insert for \(connection.dialect)")
        }
        let st = try db.statement(
            "INSERT OR IGNORE INTO services(ts, device_id, cabinet_index, slot, units_added) VALUES (?, ?, ?, ?, ?)"
        )
        var written = 0
        let deviceC = deviceNames.map { strdup($0)! }
        var slotC: [SlotCode: UnsafeMutablePointer<CChar>] = [:]
        defer { for p in deviceC + Array(slotC.values) { free(p) } }
        for (i, s) in services.enumerated() {
            if i & 0xFFFF == 0xFFFF, let progress {
                progress(
                    ImportProgress(
                        phase: "write",
                        file: "services.csv",
                        rows: i + 1,
                        bytesDone: i + 1,
                        bytesTotal: services.count
                    )
                )
            }
            st.bindInt(s.ts, at: 1)
            st.bindStaticText(deviceC[Int(s.device)], at: 2)
            st.bindInt(Int64(s.cabinet), at: 3)
            let slot: UnsafeMutablePointer<CChar>
            if let p = slotC[s.slot] {
                slot = p
            } else {
                slot = strdup(s.slot.description)!
                slotC[s.slot] = slot
            }
            st.bindStaticText(slot, at: 4)
            st.bindInt(Int64(s.units), at: 5)
            try st.step()
            written += db.changes
        }
        return written
    }
}

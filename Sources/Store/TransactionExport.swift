import Foundation

// The fuzz target (Ops/fuzz/run) compiles this file with PlanogramDomain's sources in one module.
#if canImport(PlanogramDomain)
import PlanogramDomain
#endif

/// How to read a telemetry system's transaction export (docs/formats/EXPORTS.md): which column holds the
/// device, the time, the selection, the product, the price and the units, and which rows are sales. The
/// `eport` preset reads the ePort / Seed export; a mapping file (this type as JSON) reads any other.
package struct ExportMapping: Codable, Sendable, Equatable {
    /// A device column, or one device for the whole file (`{"value": ID}`).
    package enum DeviceSource: Codable, Sendable, Equatable {
        case column(String)
        case value(String)

        package init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let name = try? single.decode(String.self) {
                self = .column(name)
                return
            }
            struct Fixed: Codable { var value: String }
            self = .value(try single.decode(Fixed.self).value)
        }

        package func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            switch self {
            case .column(let name): try single.encode(name)
            case .value(let id): try single.encode(["value": id])
            }
        }
    }

    /// How a selection number names a slot.
    package enum Numbering: String, Codable, Sendable {
        /// `RC` or `1RC`: tray (row) R from 1 → A, column C from 0 → 1; leading digits are ignored (cabinet 0).
        case trayColumn = "tray_column"
        /// A slot code as the machine prints it: `A1`, `b10`.
        case letterDigit = "letter_digit"
        /// Kept as text; each selection is a column of a one-row cabinet, in the order the selections sort.
        case asIs = "as_is"
    }

    package var device: DeviceSource
    package var deviceName: String?
    package var time: String
    package var timeFormat: String
    package var selection: String?
    package var selectionNumbering: Numbering?
    package var product: String
    package var category: String?
    package var price: String
    package var quantity: String?
    package var transaction: String?
    package var keepIf: [String: [String]]?

    enum CodingKeys: String, CodingKey {
        case device
        case deviceName = "device_name"
        case time
        case timeFormat = "time_format"
        case selection
        case selectionNumbering = "selection_numbering"
        case product, category, price, quantity, transaction
        case keepIf = "keep_if"
    }

    package init(
        device: DeviceSource,
        deviceName: String? = nil,
        time: String,
        timeFormat: String,
        selection: String? = nil,
        selectionNumbering: Numbering? = nil,
        product: String,
        category: String? = nil,
        price: String,
        quantity: String? = nil,
        transaction: String? = nil,
        keepIf: [String: [String]]? = nil
    ) {
        self.device = device
        self.deviceName = deviceName
        self.time = time
        self.timeFormat = timeFormat
        self.selection = selection
        self.selectionNumbering = selectionNumbering
        self.product = product
        self.category = category
        self.price = price
        self.quantity = quantity
        self.transaction = transaction
        self.keepIf = keepIf
    }

    /// The ePort / Seed transaction export (USA Technologies, now Cantaloupe).
    package static let eport = ExportMapping(
        device: .column("Device ID"),
        deviceName: "Machine",
        time: "TransDate",
        timeFormat: "EEEE, MMMM d, yyyy",
        selection: "RCoil",
        selectionNumbering: .trayColumn,
        product: "Product",
        category: "Category",
        price: "RPrice",
        quantity: "RQty",
        transaction: "Transaction",
        keepIf: ["Status": ["Processed"]]
    )

    /// Whether the time format carries a time of day (an hour field outside quoted text); without one the
    /// export's rows are days, and the history keeps them as days.
    package var hasTimeOfDay: Bool {
        var quoted = false
        for c in timeFormat {
            if c == "'" {
                quoted.toggle()
            } else if !quoted && "HhKk".contains(c) {
                return true
            }
        }
        return false
    }

    /// Every column the mapping names.
    package var columns: [String] {
        var out: [String] = []
        if case .column(let c) = device { out.append(c) }
        out += [deviceName, time, selection, product, category, price, quantity, transaction].compactMap { $0 }
        out += (keepIf ?? [:]).keys.sorted()
        return out
    }

    /// A mapping file's text, checked: nil and the reason when it cannot be used.
    package static func parse(_ bytes: [UInt8]) -> Result<ExportMapping, ExportRefusal> {
        let mapping: ExportMapping
        do {
            mapping = try JSONDecoder().decode(ExportMapping.self, from: Data(bytes))
        } catch {
            return .failure(
                ExportRefusal(
                    code: "bad_mapping",
                    message:
                        "the mapping file cannot be read: it needs device, time, time_format, product and price (docs/formats/EXPORTS.md)"
                )
            )
        }
        if mapping.timeFormat.trimmingCharacters(in: .whitespaces).isEmpty {
            return .failure(ExportRefusal(code: "bad_mapping", message: "time_format is empty"))
        }
        return .success(mapping)
    }
}

/// Why an export or its mapping cannot be read at all; nothing is written.
package struct ExportRefusal: Error, Sendable, Equatable {
    package var code: String
    package var message: String
    package var missingColumns: [String] = []

    package init(code: String, message: String, missingColumns: [String] = []) {
        self.code = code
        self.message = message
        self.missingColumns = missingColumns
    }
}

/// One usable row of an export.
package struct ExportLine: Sendable, Equatable {
    package var line: Int
    package var deviceID: String
    package var deviceName: String?
    /// The local date (days since 1970 on the fleet's clock) of a day-only row; nil when `ts` is set.
    package var day: Int64?
    /// The instant of a row with a time of day.
    package var ts: Int64?
    /// The selection as the export writes it, and the slot it names (nil: none given, or `as_is`).
    package var selection: String?
    package var slot: SlotCode?
    /// The product's name with stray spaces removed, and the key names are matched on.
    package var productName: String
    package var productKey: String
    package var category: String
    package var price: Double
    package var quantity: Int
    package var transaction: String?
}

/// A row left out, with its line and why.
package struct ExportSkip: Sendable, Equatable, Codable {
    package var line: Int
    package var reason: String

    package init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// A telemetry export read with its mapping: the usable rows, and those left out (counted; the first 100
/// listed).
package struct TransactionExport: Sendable {
    package var lines: [ExportLine] = []
    package var rowsRead = 0
    package var skippedCount = 0
    package var skipped: [ExportSkip] = []
    /// Whether the rows are days (the format has no time of day).
    package var dayOnly = true

    static let listedSkips = 100
    /// The largest cabinet an export's selections may describe: a letter beyond L or a column beyond 30 is a
    /// typo, not a machine, and would otherwise size the cabinet made for a new device.
    package static let maxRows = 12
    package static let maxColumns = 30

    mutating func skip(_ line: Int, _ reason: String) {
        skippedCount += 1
        if skipped.count < Self.listedSkips { skipped.append(ExportSkip(line: line, reason: reason)) }
    }

    /// `"  CORTADO "` and `Cortado` are one product: trimmed, inner runs of spaces collapsed; the key is
    /// also lower-cased.
    package static func cleanName(_ raw: String) -> (name: String, key: String) {
        let name = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{A0}" }).joined(separator: " ")
        return (name, name.lowercased())
    }

    /// An export's category mapped to the product categories of docs/MODELS.md; unknown ones are `other`.
    package static func category(_ raw: String) -> String {
        let key = cleanName(raw).key
        let known = knownCategories
        // Singular and plural are one category ("Cookie", "Pastries").
        let forms = [
            key, key + "s", key.hasSuffix("ies") ? String(key.dropLast(3)) + "y" : key,
            key.hasSuffix("s") ? String(key.dropLast()) : key,
        ]
        return forms.lazy.compactMap { known[$0] }.first ?? "other"
    }

    static let knownCategories: [String: String] = [
        "carbonated": "soda", "soda": "soda", "soft drinks": "soda", "non carbonated": "juice",
        "non-carbonated": "juice", "juice": "juice", "water": "water", "energy": "energy", "coffee": "coffee",
        "chips": "chips", "candy": "candy", "cookies": "cookies", "nuts": "nuts", "healthy": "healthy",
        "pastry": "pastry", "sandwich": "sandwich", "salad": "salad", "dairy": "dairy",
        "ice cream": "ice-cream", "ice-cream": "ice-cream",
    ]

    /// The slot a `tray_column` selection names: the last digit is the column from 0, the one before it the
    /// row from 1 (`148` → `D9`).
    package static func trayColumnSlot(_ text: String) -> SlotCode? {
        let digits = Array(text.utf8)
        guard digits.count >= 2, digits.count <= 4, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let row = Int(digits[digits.count - 2] - 48)
        let column = Int(digits[digits.count - 1] - 48)
        guard row >= 1 else { return nil }
        return SlotCode(row: row - 1, column: column)
    }

    /// Reads `bytes` (CSV with a header row) with `mapping` on `clock`. Throws when the header lacks a column
    /// the mapping names, or the file is not CSV; rows that cannot be used are counted and listed.
    package static func read(
        _ bytes: [UInt8],
        mapping: ExportMapping,
        clock: FleetClock,
        progress: ((Int) -> Void)? = nil
    ) throws(ExportRefusal) -> TransactionExport {
        var out = TransactionExport()
        out.dayOnly = !mapping.hasTimeOfDay
        let result: Result<TransactionExport, ExportRefusal> = bytes.withUnsafeBufferPointer { buffer in
            var reader = CSVReader(buffer)
            do throws(CSVReader.Malformed) {
                guard try reader.next() else {
                    return .failure(ExportRefusal(code: "bad_export", message: "the export is empty"))
                }
            } catch {
                return .failure(
                    ExportRefusal(code: "bad_export", message: "line \(error.line): \(error.reason)")
                )
            }
            var header: [String: Int] = [:]
            for i in 0..<reader.count {
                let name = cleanName(reader.string(i)).name
                if header[name] == nil { header[name] = i }
            }
            let missing = mapping.columns.filter { header[$0] == nil }
            guard missing.isEmpty else {
                return .failure(
                    ExportRefusal(
                        code: "export_columns",
                        message:
                            "the export's columns do not match the mapping: missing \(missing.map { "\"\($0)\"" }.joined(separator: ", "))",
                        missingColumns: missing
                    )
                )
            }
            let deviceColumn: Int? = {
                if case .column(let c) = mapping.device { return header[c] }
                return nil
            }()
            let fixedDevice: String? = {
                if case .value(let v) = mapping.device { return v }
                return nil
            }()
            func column(_ name: String?) -> Int? { name.flatMap { header[$0] } }
            let nameColumn = column(mapping.deviceName)
            let timeColumn = header[mapping.time]!
            let selectionColumn = column(mapping.selection)
            let productColumn = header[mapping.product]!
            let categoryColumn = column(mapping.category)
            let priceColumn = header[mapping.price]!
            let quantityColumn = column(mapping.quantity)
            let transactionColumn = column(mapping.transaction)
            let keep: [(Int, Set<String>)] = (mapping.keepIf ?? [:]).sorted { $0.key < $1.key }.map {
                (header[$0.key]!, Set($0.value.map { cleanName($0).key }))
            }
            var times = ExportTimes(format: mapping.timeFormat, dayOnly: out.dayOnly, clock: clock)
            var names: [String: (name: String, key: String)] = [:]
            // Exports repeat a few values many times: each raw text is cleaned once.
            var keys: [String: String] = [:]
            var categories: [String: String] = [:]
            var deviceNames: [String: String] = [:]
            let numbering = mapping.selectionNumbering ?? .trayColumn
            while true {
                do throws(CSVReader.Malformed) {
                    guard try reader.next() else { break }
                } catch {
                    return .failure(
                        ExportRefusal(code: "bad_export", message: "line \(error.line): \(error.reason)")
                    )
                }
                out.rowsRead += 1
                if out.rowsRead % 65_536 == 0 { progress?(reader.offset) }
                let line = reader.line
                /// The field, without surrounding spaces and tabs (trimmed on its bytes: no Foundation on this path).
                func field(_ i: Int) -> String {
                    guard i < reader.count else { return "" }
                    return reader.withField(i) { b in
                        var lo = 0
                        var hi = b.count
                        while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
                        while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
                        return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
                    }
                }
                func kept(_ c: Int, _ values: Set<String>) -> Bool {
                    let raw = field(c)
                    if let k = keys[raw] { return values.contains(k) }
                    let k = cleanName(raw).key
                    keys[raw] = k
                    return values.contains(k)
                }
                if let (c, _) = keep.first(where: { !kept($0.0, $0.1) }) {
                    let value = field(c)
                    out.skip(
                        line,
                        value.isEmpty ? "no status (a kept value is required)" : "status \"\(value)\" is not a sale"
                    )
                    continue
                }
                let device = fixedDevice ?? deviceColumn.map(field) ?? ""
                guard !device.isEmpty else {
                    out.skip(line, "no device")
                    continue
                }
                let rawProduct = field(productColumn)
                let product = names[rawProduct] ?? cleanName(rawProduct)
                names[rawProduct] = product
                guard !product.name.isEmpty else {
                    out.skip(line, "no product")
                    continue
                }
                let priceText = field(priceColumn)
                guard let price = Double(priceText.hasPrefix("$") ? String(priceText.dropFirst()) : priceText),
                    price.isFinite, price >= 0, price < 100_000
                else {
                    out.skip(line, "price \"\(field(priceColumn))\" is not an amount")
                    continue
                }
                var quantity = 1
                if let q = quantityColumn {
                    guard let n = Int(field(q)), n >= 1, n <= 1000 else {
                        out.skip(line, "quantity \"\(field(q))\" is not a whole number of units from 1 to 1000")
                        continue
                    }
                    quantity = n
                }
                let timeText = field(timeColumn)
                guard let when = times.parse(timeText) else {
                    out.skip(line, "time \"\(timeText)\" does not match \"\(mapping.timeFormat)\"")
                    continue
                }
                var selection: String?
                var slot: SlotCode?
                if let s = selectionColumn {
                    let text = field(s)
                    guard !text.isEmpty else {
                        out.skip(line, "no selection")
                        continue
                    }
                    selection = text
                    switch numbering {
                    case .trayColumn:
                        guard let code = trayColumnSlot(text) else {
                            out.skip(line, "selection \"\(text)\" is not a tray and column number")
                            continue
                        }
                        slot = code
                    case .letterDigit:
                        guard let code = SlotCode(text), code.row < maxRows, code.column < maxColumns else {
                            out.skip(
                                line,
                                "selection \"\(text)\" is not a row letter (A–\(String(UnicodeScalar(UInt8(64 + maxRows))))) and column number (1–\(maxColumns))"
                            )
                            continue
                        }
                        slot = code
                    case .asIs:
                        break
                    }
                }
                let transaction = transactionColumn.map(field)
                out.lines.append(
                    ExportLine(
                        line: line,
                        deviceID: device,
                        deviceName: nameColumn.map { c in
                            let raw = field(c)
                            if let n = deviceNames[raw] { return n }
                            let n = cleanName(raw).name
                            deviceNames[raw] = n
                            return n
                        }.flatMap { $0.isEmpty ? nil : $0 },
                        day: out.dayOnly ? when : nil,
                        ts: out.dayOnly ? nil : when,
                        selection: selection,
                        slot: slot,
                        productName: product.name,
                        productKey: product.key,
                        category: categoryColumn.map { c in
                            let raw = field(c)
                            if let k = categories[raw] { return k }
                            let k = category(raw)
                            categories[raw] = k
                            return k
                        } ?? "other",
                        price: price,
                        quantity: quantity,
                        transaction: transaction.flatMap { $0.isEmpty ? nil : $0 }
                    )
                )
            }
            return .success(out)
        }
        return try result.get()
    }
}

/// The export's time texts read with its pattern (`DateFormatter`, POSIX locale) and remembered: an export
/// repeats the same few hundred dates, so each text is parsed once.
struct ExportTimes {
    let formatter: DateFormatter
    let dayOnly: Bool
    let clock: FleetClock
    var seen: [String: Int64?] = [:]
    var calendar = Calendar(identifier: .gregorian)

    init(format: String, dayOnly: Bool, clock: FleetClock) {
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        formatter.isLenient = false
        self.dayOnly = dayOnly
        self.clock = clock
        calendar.timeZone = TimeZone(identifier: "UTC")!
    }

    /// A day-only text → its local date (days since 1970); a text with a time of day → its instant on the
    /// fleet's clock (the wall time is the fleet's). Years before 1990 or after 2100 are refused.
    mutating func parse(_ raw: String) -> Int64? {
        let text = raw  // trimmed by the reader
        if let known = seen[text] { return known }
        var value: Int64?
        if let date = formatter.date(from: text) {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            if let y = c.year, let m = c.month, let d = c.day, y >= 1990, y <= 2100 {
                let day = Int64(FieldParse.daysFromCivil(y, m, d))
                value =
                    dayOnly
                    ? day
                    : clock.instant(day: day, minute: (c.hour ?? 0) * 60 + (c.minute ?? 0)) + Int64(c.second ?? 0)
            }
        }
        if seen.count < 200_000 { seen[text] = value }
        return value
    }
}

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

    /// Files larger than this are read on two cores, each half by its own reader.
    package static let splitBytes = 1 << 20

    /// The slot a selection names under `numbering` (nil: it names none; always nil for `as_is`).
    static func slotCode(_ text: String, _ numbering: ExportMapping.Numbering) -> SlotCode? {
        switch numbering {
        case .trayColumn: return trayColumnSlot(text)
        case .letterDigit:
            guard let code = SlotCode(text), code.row < maxRows, code.column < maxColumns else { return nil }
            return code
        case .asIs: return nil
        }
    }

    /// Reads `bytes` (CSV with a header row) with `mapping` on `clock`. Throws when the header lacks a column
    /// the mapping names, or the file is not CSV; rows that cannot be used are counted and listed. A file of
    /// `splitAbove` bytes or more is read in two halves at once (cut at a record's end, `splitPoint`); the
    /// result is the one read in one pass.
    package static func read(
        _ bytes: [UInt8],
        mapping: ExportMapping,
        clock: FleetClock,
        splitAbove: Int = splitBytes,
        progress: ((Int) -> Void)? = nil
    ) throws(ExportRefusal) -> TransactionExport {
        try read(bytes, mapping: mapping, clock: clock, splitAbove: splitAbove, halvesAtOnce: true, progress: progress)
    }

    /// `halvesAtOnce: false` reads the two halves one after the other on this thread: the same work without the
    /// threads, for the fuzz target (Ops/fuzz/ExportFuzz.swift), which checks the halves against one reader.
    static func read(
        _ bytes: [UInt8],
        mapping: ExportMapping,
        clock: FleetClock,
        splitAbove: Int,
        halvesAtOnce: Bool,
        progress: ((Int) -> Void)?
    ) throws(ExportRefusal) -> TransactionExport {
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
            let columns: ExportColumns
            switch ExportColumns.find(mapping, in: header) {
            case .success(let c): columns = c
            case .failure(let refusal): return .failure(refusal)
            }
            guard let split = splitPoint(buffer, after: reader.offset, smallest: splitAbove) else {
                return readRows(&reader, until: buffer.count, columns, clock: clock, progress: progress).result()
            }
            let halves = SplitRead(buffer, first: reader, split: split, progress: progress)
            if halvesAtOnce {
                DispatchQueue.concurrentPerform(iterations: 2) { k in halves.read(k, columns, clock: clock) }
            } else {
                for k in 0..<2 { halves.read(k, columns, clock: clock) }
            }
            var out = halves.rows[0]!
            guard out.malformed == nil else { return out.result() }
            out.append(halves.rows[1]!)
            return out.result()
        }
        return try result.get()
    }

    /// Where a file may be cut in two for two readers: just after the first line end past the middle that is
    /// outside quotes (an even number of `"` before it), or nil when the file is small or has none. A file
    /// whose quoting is broken before that point is refused by the first half's reader, which reads up to it.
    package static func splitPoint(
        _ bytes: UnsafeBufferPointer<UInt8>,
        after start: Int,
        smallest: Int = splitBytes
    ) -> Int? {
        guard bytes.count - start >= max(smallest, 2) else { return nil }
        let middle = start + (bytes.count - start) / 2
        var quoted = false
        var i = start
        while i < middle {
            if bytes[i] == 34 { quoted.toggle() }
            i += 1
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == 34 {
                quoted.toggle()
            } else if c == 10 && !quoted {
                return i + 1 < bytes.count ? i + 1 : nil
            }
            i += 1
        }
        return nil
    }

    /// The rows `reader` reads until its offset reaches `end`: the usable ones, those left out, and the first
    /// malformed record if any (reading stops there).
    static func readRows(
        _ reader: inout CSVReader,
        until end: Int,
        _ columns: ExportColumns,
        clock: FleetClock,
        progress: ((Int) -> Void)?
    ) -> ExportRows {
        var out = ExportRows()
        out.export.dayOnly = columns.dayOnly
        let mapping = columns.mapping
        let times = ExportTimes(format: mapping.timeFormat, dayOnly: columns.dayOnly, clock: clock)
        // Exports repeat a few values many times: each distinct text is read and worked out once (`FieldMemo`).
        var keptMemos = columns.keep.map { _ in FieldMemo<Bool>() }
        var devices = FieldMemo<String>()
        var names = FieldMemo<(name: String, key: String)>()
        var prices = FieldMemo<Double?>()
        var quantities = FieldMemo<Int?>()
        var timeValues = FieldMemo<Int64?>(capacity: 200_000)
        var selections = FieldMemo<(text: String, slot: SlotCode?)>()
        var deviceNames = FieldMemo<String>()
        var categories = FieldMemo<String>()
        while reader.offset < end {
            do throws(CSVReader.Malformed) {
                guard try reader.next() else { break }
            } catch {
                out.malformed = error
                return out
            }
            out.export.rowsRead += 1
            if out.export.rowsRead % 65_536 == 0 { progress?(reader.offset) }
            let line = reader.line
            /// The field's bytes without surrounding spaces and tabs (a missing field is empty), handed to `body`.
            func trimmed<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
                guard i < reader.count else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
                return reader.withField(i) { b in
                    var lo = 0
                    var hi = b.count
                    while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
                    while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
                    return body(UnsafeBufferPointer(rebasing: b[lo..<hi]))
                }
            }
            /// The field as text, trimmed.
            func field(_ i: Int) -> String { trimmed(i) { String(decoding: $0, as: UTF8.self) } }
            if let k = columns.keep.indices.first(where: { k in
                let (c, values) = columns.keep[k]
                return !trimmed(c) { keptMemos[k].value($0) { values.contains(cleanName($0).key) } }
            }) {
                let value = field(columns.keep[k].0)
                out.export.skip(
                    line,
                    value.isEmpty ? "no status (a kept value is required)" : "status \"\(value)\" is not a sale"
                )
                continue
            }
            let device =
                columns.fixedDevice ?? columns.device.map { c in trimmed(c) { devices.value($0) { $0 } } } ?? ""
            guard !device.isEmpty else {
                out.export.skip(line, "no device")
                continue
            }
            let product = trimmed(columns.product) { names.value($0) { cleanName($0) } }
            guard !product.name.isEmpty else {
                out.export.skip(line, "no product")
                continue
            }
            let amount = trimmed(columns.price) {
                prices.value($0) { text -> Double? in
                    guard let price = Double(text.hasPrefix("$") ? String(text.dropFirst()) : text),
                        price.isFinite, price >= 0, price < 100_000
                    else { return nil }
                    return price
                }
            }
            guard let price = amount else {
                out.export.skip(line, "price \"\(field(columns.price))\" is not an amount")
                continue
            }
            var quantity = 1
            if let q = columns.quantity {
                let units = trimmed(q) {
                    quantities.value($0) { text -> Int? in
                        guard let n = Int(text), n >= 1, n <= 1000 else { return nil }
                        return n
                    }
                }
                guard let n = units else {
                    out.export.skip(line, "quantity \"\(field(q))\" is not a whole number of units from 1 to 1000")
                    continue
                }
                quantity = n
            }
            guard let when = trimmed(columns.time, { timeValues.value($0) { times.parse($0) } }) else {
                out.export.skip(line, "time \"\(field(columns.time))\" does not match \"\(mapping.timeFormat)\"")
                continue
            }
            var selection: String?
            var slot: SlotCode?
            if let s = columns.selection {
                let numbering = columns.numbering
                let read = trimmed(s) { selections.value($0) { text in (text, slotCode(text, numbering)) } }
                guard !read.text.isEmpty else {
                    out.export.skip(line, "no selection")
                    continue
                }
                selection = read.text
                switch numbering {
                case .trayColumn:
                    guard let code = read.slot else {
                        out.export.skip(line, "selection \"\(read.text)\" is not a tray and column number")
                        continue
                    }
                    slot = code
                case .letterDigit:
                    guard let code = read.slot else {
                        out.export.skip(
                            line,
                            "selection \"\(read.text)\" is not a row letter (A–\(String(UnicodeScalar(UInt8(64 + maxRows))))) and column number (1–\(maxColumns))"
                        )
                        continue
                    }
                    slot = code
                case .asIs:
                    break
                }
            }
            let transaction = columns.transaction.map(field)
            out.export.lines.append(
                ExportLine(
                    line: line,
                    deviceID: device,
                    deviceName: columns.deviceName.map { c in
                        trimmed(c) { deviceNames.value($0) { cleanName($0).name } }
                    }.flatMap { $0.isEmpty ? nil : $0 },
                    day: columns.dayOnly ? when : nil,
                    ts: columns.dayOnly ? nil : when,
                    selection: selection,
                    slot: slot,
                    productName: product.name,
                    productKey: product.key,
                    category: columns.category.map { c in trimmed(c) { categories.value($0) { category($0) } } }
                        ?? "other",
                    price: price,
                    quantity: quantity,
                    transaction: transaction.flatMap { $0.isEmpty ? nil : $0 }
                )
            )
        }
        out.linesConsumed = reader.linesConsumed
        return out
    }
}

/// An export read in two halves at once: the file (read only), where it is cut, and each half's rows. Each
/// half reports the bytes it has read; the caller's progress is told their sum, one call at a time.
final class SplitRead: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
    let first: CSVReader
    let split: Int
    let progress: ((Int) -> Void)?
    private let lock = NSLock()
    private var done = [0, 0]
    /// Written once by each half, read after both finished.
    private(set) var rows: [ExportRows?] = [nil, nil]

    /// `first`: a reader past the header; `split`: where the second half starts (`splitPoint`).
    init(_ buffer: UnsafeBufferPointer<UInt8>, first: CSVReader, split: Int, progress: ((Int) -> Void)?) {
        self.buffer = buffer
        self.first = first
        self.split = split
        self.progress = progress
    }

    func read(_ half: Int, _ columns: ExportColumns, clock: FleetClock) {
        var reader = first
        if half == 0 {
            reader.stop(at: split)
        } else {
            reader = CSVReader(UnsafeBufferPointer(rebasing: buffer[split...]), continuing: true)
        }
        let out = TransactionExport.readRows(
            &reader,
            until: half == 0 ? split : buffer.count - split,
            columns,
            clock: clock
        ) { bytes in
            self.tell(half, bytes)
        }
        lock.withLock { rows[half] = out }
    }

    private func tell(_ half: Int, _ bytes: Int) {
        guard let progress else { return }
        lock.withLock {
            done[half] = bytes
            progress(done[0] + done[1])
        }
    }
}

/// The columns a mapping reads, found in an export's header.
struct ExportColumns {
    let mapping: ExportMapping
    let dayOnly: Bool
    let device: Int?
    let fixedDevice: String?
    let deviceName: Int?
    let time: Int
    let selection: Int?
    let numbering: ExportMapping.Numbering
    let product: Int
    let category: Int?
    let price: Int
    let quantity: Int?
    let transaction: Int?
    /// The columns a row must hold one of the listed values in (cleaned keys), in name order.
    let keep: [(Int, Set<String>)]

    /// The mapping's columns in `header` (cleaned name → index), or the columns it lacks.
    static func find(_ mapping: ExportMapping, in header: [String: Int]) -> Result<ExportColumns, ExportRefusal> {
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
        func column(_ name: String?) -> Int? { name.flatMap { header[$0] } }
        var device: Int?
        var fixedDevice: String?
        switch mapping.device {
        case .column(let c): device = header[c]
        case .value(let v): fixedDevice = v
        }
        return .success(
            ExportColumns(
                mapping: mapping,
                dayOnly: !mapping.hasTimeOfDay,
                device: device,
                fixedDevice: fixedDevice,
                deviceName: column(mapping.deviceName),
                time: header[mapping.time]!,
                selection: column(mapping.selection),
                numbering: mapping.selectionNumbering ?? .trayColumn,
                product: header[mapping.product]!,
                category: column(mapping.category),
                price: header[mapping.price]!,
                quantity: column(mapping.quantity),
                transaction: column(mapping.transaction),
                keep: (mapping.keepIf ?? [:]).sorted { $0.key < $1.key }.map {
                    (header[$0.key]!, Set($0.value.map { TransactionExport.cleanName($0).key }))
                }
            )
        )
    }
}

/// What one reader read of an export: its rows, the lines it consumed, and the malformed record it stopped
/// at, if any. Two halves read at once are joined with `append`.
struct ExportRows {
    var export = TransactionExport()
    var linesConsumed = 0
    var malformed: CSVReader.Malformed?

    /// The rows of the half that follows this one (read with lines counted from its start).
    mutating func append(_ next: ExportRows) {
        let offset = linesConsumed
        if let m = next.malformed {
            malformed = CSVReader.Malformed(line: m.line + offset, column: m.column, reason: m.reason)
        }
        let start = export.lines.count
        export.lines += next.export.lines
        for i in start..<export.lines.count { export.lines[i].line += offset }
        export.rowsRead += next.export.rowsRead
        export.skippedCount += next.export.skippedCount
        for s in next.export.skipped.prefix(TransactionExport.listedSkips - export.skipped.count) {
            export.skipped.append(ExportSkip(line: s.line + offset, reason: s.reason))
        }
        linesConsumed += next.linesConsumed
    }

    /// The export, or its first malformed record as a refusal.
    func result() -> Result<TransactionExport, ExportRefusal> {
        if let m = malformed {
            return .failure(ExportRefusal(code: "bad_export", message: "line \(m.line): \(m.reason)"))
        }
        return .success(export)
    }
}

/// The export's time texts read with its pattern (`DateFormatter`, POSIX locale). An export repeats the same
/// few hundred dates: the reader remembers each text's value (`FieldMemo`), so a text is parsed once.
struct ExportTimes {
    let formatter: DateFormatter
    let dayOnly: Bool
    let clock: FleetClock
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
    func parse(_ text: String) -> Int64? {
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
        return value
    }
}

import Foundation
import PlanogramDomain

/// Progress of a running import, reported every few tens of thousands of rows.
package struct ImportProgress: Sendable {
    package let phase: String  // "validate" or "write"
    package let file: String
    package let rows: Int
    package let bytesDone: Int
    package let bytesTotal: Int
}

/// What an import did.
package struct ImportReport: Sendable, Codable {
    package var files: [String] = []
    package var rowsRead: [String: Int] = [:]
    package var rowsWritten: [String: Int] = [:]
    package var seconds = 0.0
    package var totalRowsWritten: Int { rowsWritten.values.reduce(0, +) }
}

/// The CSV import of docs/API.md: every file is read and checked first (references resolved against the
/// files and what the database already holds), every problem is listed with file, line and column,
/// and only a clean set is written, in one transaction. Rows already present are left alone, so
/// importing the same files twice changes nothing.
package final class Importer {
    /// In the order they are read (a file may refer to what an earlier one defines).
    package static let fileNames = [
        "products.csv", "devices.csv", "cabinets.csv", "planograms.csv", "sales.csv", "services.csv",
        "depots.csv", "vehicles.csv", "travel_matrix.csv",
    ]
    static let headers: [String: [String]] = [
        "products.csv": [
            "product_id", "name", "category", "price", "unit_cost", "temperature", "height_mm", "width_cols",
            "shelf_life_days",
            "case_size",
        ],
        "devices.csv": [
            "device_id", "name", "venue_type", "latitude", "longitude", "device_type", "access_from", "access_until",
            "service_minutes", "dex_serial",
        ],
        "depots.csv": ["depot_id", "name", "latitude", "longitude", "opens", "closes"],
        "vehicles.csv": ["vehicle_id", "depot_id", "capacity_units", "shift_start", "shift_end"],
        "travel_matrix.csv": ["from_id", "to_id", "seconds", "meters"],
        "cabinets.csv": ["device_id", "cabinet_index", "temperature", "rows", "columns", "row_heights_mm"],
        "planograms.csv": ["device_id", "cabinet_index", "effective_from", "slot", "product_id", "capacity", "par"],
        "sales.csv": ["timestamp", "device_id", "cabinet_index", "slot", "product_id", "price", "transaction_id"],
        "services.csv": ["timestamp", "device_id", "cabinet_index", "slot", "units_added"],
    ]

    /// Columns a file may leave out (docs/API.md `transaction_id`, docs/MODELS.md's operations columns).
    static let optionalColumns: Set<String> = [
        "transaction_id", "case_size", "access_from", "access_until", "service_minutes", "par", "dex_serial",
    ]

    let store: Store
    let progress: ((ImportProgress) -> Void)?
    /// The fleet's clock (docs/MODELS.md): the daily totals are kept in its local dates (`SalesDaily`).
    let clock: FleetClock

    package init(store: Store, clock: FleetClock = .utc, progress: ((ImportProgress) -> Void)? = nil) {
        self.store = store
        self.clock = clock
        self.progress = progress
    }

    /// Imports the known CSV files found in `directory`.
    package func importDirectory(_ directory: String) throws -> ImportReport {
        var files: [String: [UInt8]] = [:]
        for name in Self.fileNames {
            let path = (directory as NSString).appendingPathComponent(name)
            if let data = FileManager.default.contents(atPath: path) { files[name] = [UInt8](data) }
        }
        if files.isEmpty {
            throw ImportRejected(
                issues: [
                    ImportIssue(
                        file: directory,
                        line: 0,
                        column: "",
                        message: "no import files found (expected some of \(Self.fileNames.joined(separator: ", ")))"
                    )
                ],
                total: 1
            )
        }
        return try importFiles(files)
    }

    /// Imports files given by name (`products.csv`, …) and content.
    package func importFiles(_ files: [String: [UInt8]]) throws -> ImportReport {
        let started = Date()
        var issues = ImportIssueList()
        for name in files.keys where Self.headers[name] == nil {
            issues.add(name, 0, "", "unknown file (expected one of \(Self.fileNames.joined(separator: ", ")))")
        }
        let existing = try store.loadCatalog()
        var batch = ParsedBatch(existing: existing)
        batch.clock = clock
        for name in Self.fileNames {
            guard let bytes = files[name] else { continue }
            bytes.withUnsafeBufferPointer { buf in
                batch.parse(file: name, bytes: buf, issues: &issues, progress: progress)
            }
        }
        batch.checkPlanograms(issues: &issues)
        batch.checkOperations(issues: &issues)
        guard issues.isEmpty else { throw ImportRejected(issues: issues.issues, total: issues.total) }
        var report = ImportReport()
        report.files = Self.fileNames.filter { files[$0] != nil }
        report.rowsRead = batch.rowsRead
        report.rowsWritten = try store.write { db in
            try SalesDaily.align(db, clock: clock)
            return try batch.write(db, progress: progress)
        }
        report.seconds = Date().timeIntervalSince(started)
        let filesJSON = report.files.joined(separator: ",")
        let read = report.rowsRead.values.reduce(0, +)
        let written = report.totalRowsWritten
        try store.write { db in
            try db.run(
                "INSERT INTO import_runs(at, files, rows_read, rows_written) VALUES (?, ?, ?, ?)",
                [.int(Int64(Date().timeIntervalSince1970)), .text(filesJSON), .of(read), .of(written)]
            )
        }
        return report
    }
}

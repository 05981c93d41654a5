import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate and import the CSV files of a directory (docs/API.md).",
        discussion: """
            Reads products.csv, devices.csv, cabinets.csv, planograms.csv, sales.csv and services.csv (any subset).
            Everything is checked before anything is written; on any problem the first 100 are listed with
            file, line and column, nothing is written, and the exit status is 2. Importing the same files
            again changes nothing.
            """
    )

    @Option(help: "SQLite database path (created if missing).") var db: String
    @Argument(help: "Directory holding the CSV files.") var dir: String

    func run() throws {
        let store = try Store(path: db)
        var last = Date.distantPast
        // The daily totals in the fleet's local dates (PLANOGRAM_TIMEZONE), as the server keeps them.
        let importer = Importer(store: store, clock: try AppConfiguration.fromEnvironment().clock) { p in
            let now = Date()
            guard p.bytesDone == p.bytesTotal || now.timeIntervalSince(last) >= 0.5 else { return }
            last = now
            let pct = p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) * 100 : 100
            FileHandle.standardError.write(
                Data(String(format: "%@ %@: %d rows (%.0f%%)\n", p.phase, p.file, p.rows, pct).utf8)
            )
        }
        do {
            let report = try importer.importDirectory(dir)
            var out =
                "imported \(report.files.joined(separator: ", ")) in \(String(format: "%.2f", report.seconds)) s\n"
            for f in report.files {
                out += "  \(f): \(report.rowsRead[f] ?? 0) rows read, \(report.rowsWritten[f] ?? 0) written\n"
            }
            print(out, terminator: "")
        } catch let rejected as ImportRejected {
            FileHandle.standardError.write(Data((rejected.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

import Foundation
import PlanogramDomain
import Store

/// A telemetry export read and imported (docs/formats/EXPORTS.md), for `import-transactions` and
/// `POST /api/import/transactions`: the export read with its mapping, then written in one transaction.
package enum TransactionImports {
    /// `progress` is told the bytes read so far, now and then.
    package static func run(
        _ bytes: [UInt8],
        mapping: ExportMapping,
        source: String,
        store: Store,
        clock: FleetClock,
        strict: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> TransactionImportReport {
        let started = Date()
        let export = try TransactionExport.read(bytes, mapping: mapping, clock: clock, progress: progress)
        var report = try TransactionImport.run(
            export,
            source: source,
            into: store,
            clock: clock,
            strict: strict,
            at: Int64(Date().timeIntervalSince1970)
        )
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The report for a terminal.
    package static func summary(_ r: TransactionImportReport) -> String {
        var out =
            "\(r.rowsRead) rows read: \(r.imported) imported, \(r.alreadyRecorded) already recorded, \(r.skipped) left out "
            + "(\(r.resolution == "day" ? "dates without a time: kept as days" : "timed vends")) in "
            + String(format: "%.2f s", r.seconds) + "\n"
        if let a = r.firstDay, let b = r.lastDay { out += "  days \(a) … \(b)\n" }
        out +=
            "  \(r.devicesCreated.count) device(s), \(r.productsCreated) product(s), \(r.planogramVersionsCreated) planogram version(s) created\n"
        for s in r.skippedRows { out += "  line \(s.line): \(s.reason)\n" }
        if r.skipped > r.skippedRows.count { out += "  … and \(r.skipped - r.skippedRows.count) more\n" }
        for a in r.assumptions { out += "  assumed: \(a)\n" }
        return out
    }
}

extension FleetImports {
    /// One import at a time (with the CSV import); the catalogue is reloaded and the models refitted after.
    func runTransactionImport(
        _ bytes: [UInt8],
        mapping: ExportMapping,
        strict: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> TransactionImportReport {
        try queue.sync {
            let report = try TransactionImports.run(
                bytes,
                mapping: mapping,
                source: "upload",
                store: app.store,
                clock: app.configuration.clock,
                strict: strict,
                progress: progress
            )
            try reload()
            if report.imported > 0 || report.planogramVersionsCreated > 0 { changed() }
            app.logger.info(
                "transaction export imported",
                metadata: [
                    "rows_read": "\(report.rowsRead)", "imported": "\(report.imported)", "skipped": "\(report.skipped)",
                    "seconds": "\(String(format: "%.2f", report.seconds))",
                ]
            )
            return report
        }
    }
}

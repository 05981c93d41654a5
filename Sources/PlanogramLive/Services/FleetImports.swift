import Dispatch
import Foundation
import Store

/// Imports into the running fleet: the CSV files (`runImport`), a telemetry export (`runTransactionImport`)
/// and a CVD database (`runCVDMigration`), one at a time on one queue, never on an event loop. After each,
/// the catalogue is read again and the published planograms forgotten; after one that changed the fleet's
/// data, the models are refitted in the background, the experiments re-estimated and the other nodes told.
final class FleetImports: Sendable {
    let app: AppContext
    private let insights: InsightsEngine
    private let experiments: ExperimentService
    private let announcer: ClusterAnnouncer
    let queue = DispatchQueue(label: "planogram.import")

    init(app: AppContext, insights: InsightsEngine, experiments: ExperimentService, announcer: ClusterAnnouncer) {
        self.app = app
        self.insights = insights
        self.experiments = experiments
        self.announcer = announcer
    }

    /// The catalogue read again and the published planograms forgotten (after any import).
    func reload() throws {
        app.catalog.replace(try app.store.loadCatalog())
        app.published.invalidate()
    }

    /// After an import that changed the fleet's data (on the import queue).
    func changed() {
        insights.refitInBackground(force: true)
        experiments.salesImported()
        announcer.imported()
    }

    /// The CSV files of docs/API.md, imported in one transaction.
    func runImport(_ files: [String: [UInt8]]) throws -> ImportReport {
        try queue.sync {
            let report = try Importer(store: app.store, clock: app.configuration.clock).importFiles(files)
            try reload()
            changed()
            app.logger.info(
                "import done",
                metadata: [
                    "files": "\(report.files)", "rows_written": "\(report.totalRowsWritten)",
                    "seconds": "\(String(format: "%.2f", report.seconds))",
                ]
            )
            return report
        }
    }
}

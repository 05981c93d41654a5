import EventLoopHTTP
import Foundation
import HTTPAPI
import Store

/// `POST /api/import/cvd` (admin; the CVD database file as the body, `application/octet-stream`): a CVD
/// database migrated into the store (docs/formats/CVD.md), answered with the migration's report. A file that
/// is not a CVD database is 422 `not_cvd` and nothing is written.
struct CVDImportRoute {
    let app: AppContext
    let imports: FleetImports

    func install(_ router: inout Router) {
        let (app, imports) = (self.app, self.imports)
        router.post(
            "/api/import/cvd",
            name: "import_cvd",
            maxBodyBytes: app.configuration.maxImportBodyBytes,
            admit: app.auth.admit(.adminOnly)
        ) { req, r in
            app.handleBlocking(r) {
                _ = try app.auth.require(req, .adminOnly)
                let type = (req.headers["content-type"] ?? "").lowercased()
                guard
                    ["application/octet-stream", "application/vnd.sqlite3", "application/x-sqlite3"].contains(
                        where: type.hasPrefix
                    )
                else {
                    throw APIError.unsupportedMediaType("send the CVD database file as application/octet-stream")
                }
                guard !req.body.isEmpty else {
                    throw APIError.badRequest("the body is empty: send the CVD database file")
                }
                return (200, try imports.runCVDMigration(req.body))
            }
        }
    }
}

extension FleetImports {
    /// The uploaded file is written to a temporary file (SQLite reads files), migrated with the imports' queue
    /// held, and removed.
    func runCVDMigration(_ bytes: [UInt8]) throws -> CVDMigration.Report {
        let path = NSTemporaryDirectory() + "planogram-cvd-\(UUID().uuidString).sqlite"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw APIError(500, "internal", "the upload could not be written to a temporary file")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source: CVDSource
        do {
            source = try CVDSource.read(path: path)
        } catch let refusal as ExportRefusal {
            throw APIError.unprocessable(
                refusal.code,
                refusal.message,
                details: refusal.missingColumns.isEmpty ? nil : ["missing": refusal.missingColumns]
            )
        }
        return try queue.sync {
            let report = try CVDMigration.run(
                source,
                into: app.store,
                clock: app.configuration.clock,
                at: Int64(Date().timeIntervalSince1970)
            )
            try reload()
            changed()
            app.logger.info(
                "CVD database migrated",
                metadata: [
                    "devices": "\(report.devicesMigrated.count)", "sales_units": "\(report.salesUnitsWritten)",
                    "seconds": "\(String(format: "%.2f", report.seconds))",
                ]
            )
            return report
        }
    }
}

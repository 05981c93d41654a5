import EventLoopHTTP
import Foundation
import HTTPAPI
import Jobs
import Store

/// `POST /api/import/transactions?format=eport|<mapping JSON>` (admin, `text/csv` body): a telemetry export
/// imported as it comes (docs/formats/EXPORTS.md). A body up to `jobThresholdBytes` is answered with the
/// report; a larger one (or `?job=true`) runs as a job whose progress streams over SSE and whose result is
/// the report. An export that cannot be read, or (with `?strict=true`) has a row that cannot be used, is 422
/// and nothing is written.
struct TransactionImportRoute {
    let app: AppContext
    let imports: FleetImports
    let runner: JobRunner
    static let jobThresholdBytes = 4 << 20

    func install(_ router: inout Router) {
        let (app, imports, runner) = (self.app, self.imports, self.runner)
        router.post(
            "/api/import/transactions",
            name: "import_transactions",
            maxBodyBytes: app.configuration.maxImportBodyBytes,
            admit: app.auth.admit(.adminOnly)
        ) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .adminOnly)
                let type = (req.headers["content-type"] ?? "").lowercased()
                guard type.hasPrefix("text/csv") || type.hasPrefix("text/plain") else {
                    throw APIError.unsupportedMediaType("send the export as text/csv")
                }
                let mapping = try Self.mapping(req.queryValue("format"))
                let strict = try APIQuery.flag(req.queryValue("strict"), name: "strict")
                let asJob = try APIQuery.flag(req.queryValue("job"), name: "job")
                let body = req.body
                if asJob || body.count > Self.jobThresholdBytes {
                    guard
                        let id = runner.submit(
                            kind: "import_transactions",
                            by: p,
                            devices: nil,
                            { ctx in
                                ctx.progress(0, "reading the export")
                                do {
                                    return try imports.runTransactionImport(body, mapping: mapping, strict: strict) {
                                        done in
                                        ctx.progress(
                                            0.8 * Double(done) / Double(max(1, body.count)),
                                            "reading the export: \(done >> 10) KiB of \(body.count >> 10) KiB"
                                        )
                                    }
                                } catch let refusal as ExportRefusal {
                                    throw JobFailure(message: refusal.message)
                                }
                            }
                        )
                    else { throw APIError.jobQueueFull }
                    return (202, JobAcceptedResponse(jobID: id, eventsURL: "/api/jobs/\(id)/events"))
                }
                do {
                    return (200, try imports.runTransactionImport(body, mapping: mapping, strict: strict))
                } catch let refusal as ExportRefusal {
                    throw APIError.unprocessable(
                        refusal.code,
                        refusal.message,
                        details: refusal.missingColumns.isEmpty ? nil : ["missing_columns": refusal.missingColumns]
                    )
                }
            }
        }
    }

    /// `eport`, or a mapping given whole as JSON in the parameter.
    static func mapping(_ format: String?) throws(APIError) -> ExportMapping {
        guard let format, !format.isEmpty else {
            throw .badRequest("format is required: eport, or a mapping as JSON (docs/formats/EXPORTS.md)")
        }
        if format == "eport" { return .eport }
        guard format.hasPrefix("{") else {
            throw .badRequest("format must be eport or a mapping as JSON (docs/formats/EXPORTS.md)")
        }
        switch ExportMapping.parse(Array(format.utf8)) {
        case .success(let m): return m
        case .failure(let refusal): throw .badRequest(refusal.message)
        }
    }
}

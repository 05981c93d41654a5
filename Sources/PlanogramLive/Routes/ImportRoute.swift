import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import Store

/// `POST /api/import` (admin): the CSV import of docs/API.md over HTTP. The body is either
/// `application/json` `{"files": {"products.csv": "<csv text>", …}}` or one file as `text/csv` with
/// `?file=sales.csv`. A refused import answers 422 with every problem (at most 100) and writes nothing.
/// The import runs on its own queue, never on an event loop.
struct ImportRoute {
    let app: AppContext
    let imports: FleetImports

    func install(_ router: inout Router) {
        let (app, imports) = (self.app, self.imports)
        router.post(
            "/api/import",
            name: "import",
            maxBodyBytes: app.configuration.maxImportBodyBytes,
            admit: app.auth.admit(.adminOnly)
        ) { req, r in
            let files: [String: [UInt8]]
            do {
                _ = try app.auth.require(req, .adminOnly)
                files = try Self.files(req)
            } catch let e as APIError {
                r.send(e)
                return
            } catch {
                r.send(APIError(500, "internal", "internal error"))
                return
            }
            Thread {  // the import takes seconds: a thread of its own, not Dispatch's narrow global pool
                do {
                    let report = try imports.runImport(files)
                    r.send(
                        200,
                        body: ImportResponse(
                            imported: report.files,
                            rowsRead: report.rowsRead,
                            rowsWritten: report.rowsWritten,
                            seconds: report.seconds
                        )
                    )
                } catch let rejected as ImportRejected {
                    r.send(
                        APIError.unprocessable(
                            "import_invalid",
                            "the import was refused: \(rejected.total) problem(s); nothing was written",
                            details: [
                                "total": rejected.total,
                                "errors": rejected.issues.map {
                                    ["file": $0.file, "line": $0.line, "column": $0.column, "message": $0.message]
                                },
                            ]
                        )
                    )
                } catch {
                    app.logger.error("import failed", metadata: ["error": "\(error)"])
                    r.send(APIError(500, "internal", "the import failed; nothing was written"))
                }
            }.start()
        }
    }

    /// The answer to an import: the files imported, and the rows read and written per file.
    struct ImportResponse: Encodable {
        let imported: [String]
        let rowsRead: [String: Int]
        let rowsWritten: [String: Int]
        let seconds: Double

        enum CodingKeys: String, CodingKey {
            case imported
            case rowsRead = "rows_read"
            case rowsWritten = "rows_written"
            case seconds
        }
    }

    /// `{"files": {"products.csv": "<csv text>", …}}`.
    struct FilesRequest: Decodable {
        let files: [String: String]?
    }

    /// The request's files: `{"files": {name: csv text}}` as JSON, or one `text/csv` file named by `?file=`.
    static func files(_ req: HTTPRequest) throws(APIError) -> [String: [UInt8]] {
        let type = (req.headers["content-type"] ?? "").lowercased()
        if type.hasPrefix("text/csv") {
            guard let name = req.queryValue("file") else {
                throw .badRequest("a text/csv import needs ?file=<name>.csv")
            }
            return [name: req.body]
        }
        guard type.hasPrefix("application/json") else {
            throw .unsupportedMediaType("send application/json {\"files\": {name: csv text}} or text/csv with ?file=")
        }
        let body = try JSONRequest.decode(FilesRequest.self, req)
        guard let map = body.files, !map.isEmpty else {
            throw .badRequest("\"files\" must be an object of file name to CSV text")
        }
        return map.mapValues { Array($0.utf8) }
    }
}

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

    func install(_ router: inout Router) {
        let app = self.app
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
                    let report = try app.runImport(files)
                    r.sendJSON(
                        200,
                        [
                            "imported": report.files, "rows_read": report.rowsRead, "rows_written": report.rowsWritten,
                            "seconds": report.seconds,
                        ]
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
        let object = try JSONReply.object(req)
        guard let map = object["files"] as? [String: Any], !map.isEmpty else {
            throw .badRequest("\"files\" must be an object of file name to CSV text")
        }
        var out: [String: [UInt8]] = [:]
        for (k, v) in map {
            guard let text = v as? String else { throw .badRequest("files.\(k) must be a string of CSV text") }
            out[k] = Array(text.utf8)
        }
        return out
    }
}

import EventLoopHTTP
import Foundation
import Logging
import PlanogramDomain
import Store

/// What every route needs: configuration, the store, the catalogue cache and the token checks.
/// Immutable after start except the catalogue cache (locked); `afterImport` is set once before the
/// server accepts connections — safe to share across loops.
final class AppContext: @unchecked Sendable {
    let configuration: AppConfiguration
    let store: Store
    let catalog: CatalogCache
    let published: PublishedPlanograms
    let auth: Authorization
    let logger: Logger
    private let importQueue = DispatchQueue(label: "planogram.import")
    /// Runs after a successful import, on the import queue (the insights refit). Set once at start.
    var afterImport: (@Sendable () -> Void)?

    init(configuration: AppConfiguration, store: Store, secret: String, logger: Logger) throws {
        self.configuration = configuration
        self.store = store
        self.catalog = CatalogCache(try store.loadCatalog())
        self.published = PublishedPlanograms(store: store)
        self.auth = Authorization(authority: TokenAuthority(secret: secret))
        self.logger = logger
    }

    /// Runs a route body, answering its JSON result or its `APIError`.
    func handle(_ r: Responder, _ body: () throws -> (Int, Any)) {
        do {
            let (status, object) = try body()
            r.sendJSON(status, object)
        } catch let e as APIError {
            r.send(e)
        } catch {
            logger.error("request failed", metadata: ["error": "\(error)"])
            r.send(APIError(500, "internal", "internal error"))
        }
    }

    /// The cabinet named by `{device_id}/{cabinet_index}`, checked against the token's devices.
    func cabinet(_ req: HTTPRequest, _ p: Principal) throws(APIError) -> (Catalog, Cabinet) {
        let id = req.parameter("device_id") ?? ""
        guard let idx = Int(req.parameter("cabinet_index") ?? ""), idx >= 0 else {
            throw .badRequest("cabinet_index must be a whole number")
        }
        return try cabinet(deviceID: id, index: idx, p)
    }

    func cabinet(deviceID id: String, index idx: Int, _ p: Principal) throws(APIError) -> (Catalog, Cabinet) {
        let cat = catalog.current
        guard cat.devices[id] != nil else { throw .notFound("unknown device \(id)") }
        try auth.requireDevice(p, id)
        guard let cab = cat.cabinet(id, idx) else { throw .notFound("device \(id) has no cabinet \(idx)") }
        return (cat, cab)
    }

    /// One import at a time; the catalogue is reloaded after a successful one.
    func runImport(_ files: [String: [UInt8]]) throws -> ImportReport {
        try importQueue.sync {
            let report = try Importer(store: store).importFiles(files)
            catalog.replace(try store.loadCatalog())
            published.invalidate()
            afterImport?()
            logger.info("import done", metadata: ["files": "\(report.files)", "rows_written": "\(report.totalRowsWritten)",
                                                  "seconds": "\(String(format: "%.2f", report.seconds))"])
            return report
        }
    }
}

import EventLoopHTTP
import Foundation
import HTTPAPI
import Logging
import PlanogramDomain
import Store
import Synchronization

/// What every route needs: configuration, the store, the catalogue cache and the token checks.
/// Immutable except the catalogue cache (locked) — safe to share across loops.
final class AppContext: @unchecked Sendable {
    let configuration: AppConfiguration
    let store: Store
    let catalog: CatalogCache
    let published: PublishedPlanograms
    let auth: Authorization
    let logger: Logger
    let rateLimiter: RateLimiter
    /// Route bodies that may wait (the store, a long computation) run here, never on an event loop.
    private let blockingQueue = DispatchQueue(label: "planogram.blocking", qos: .userInitiated, attributes: .concurrent)
    private let blockingInFlight = Atomic<Int>(0)

    init(configuration: AppConfiguration, store: Store, secret: String, logger: Logger) throws {
        self.configuration = configuration
        self.store = store
        self.catalog = CatalogCache(try store.loadCatalog())
        self.published = PublishedPlanograms(store: store)
        self.auth = Authorization(authority: TokenAuthority(secret: secret))
        self.logger = logger
        self.rateLimiter = RateLimiter(limits: configuration.rateLimits)
    }

    /// Takes one request of `route` from the token holder's rate limit, or throws the 429.
    func limit(_ route: RateLimiter.Route, _ p: Principal) throws(APIError) {
        if let wait = rateLimiter.take(route, subject: p.subject) { throw RateLimiter.error(retryAfter: wait) }
    }

    /// Runs a route body that may block (store reads or writes, a large computation) off the event loop,
    /// answering like `handle`. At most `maxBlockingRequests` run at once; beyond that the request is
    /// refused with 503 and Retry-After rather than queued without bound.
    func handleBlocking(_ r: Responder, _ body: @escaping @Sendable () throws -> (Int, any Encodable)) {
        let running = blockingInFlight.wrappingAdd(1, ordering: .relaxed).newValue
        guard running <= configuration.maxBlockingRequests else {
            blockingInFlight.wrappingSubtract(1, ordering: .relaxed)
            r.send(APIError(503, "busy", "the server is busy; retry shortly", details: ["retry_after_seconds": 1]))
            return
        }
        blockingQueue.async { [self] in
            defer { blockingInFlight.wrappingSubtract(1, ordering: .relaxed) }
            handle(r, body)
        }
    }

    /// An event stream that starts only once `authorize` (which may read the store, so it runs off the loop)
    /// passes: otherwise its `APIError` is the answer and no stream is opened. `start` runs on the same queue.
    func handleStream(
        _ r: Responder,
        authorize: @escaping @Sendable () throws -> Void,
        start: @escaping @Sendable (EventStream) -> Void
    ) {
        DispatchQueue.global().async { [self] in
            do {
                try authorize()
            } catch let e as APIError {
                r.send(e)
                return
            } catch {
                logger.error("request failed", metadata: ["error": "\(error)"])
                r.send(APIError(500, "internal", "internal error"))
                return
            }
            start(r.startEventStream())
        }
    }

    /// Runs a route body, answering its Codable result (written by `APIJSON`) or its `APIError`.
    func handle(_ r: Responder, _ body: () throws -> (Int, any Encodable)) {
        do {
            let (status, object) = try body()
            r.send(.json(status, try APIJSON.encode(object)))
        } catch let e as APIError {
            r.send(e)
        } catch {
            // The cause goes to the log, never to the client (it may name files or SQL).
            logger.error("request failed", metadata: ["error": "\(error)"])
            if let e = error as? any SQLFailure, e.isTransient {
                r.send(
                    APIError(
                        503,
                        "store_unavailable",
                        "the store is busy or full; nothing was changed — retry",
                        details: ["retry_after_seconds": 1]
                    )
                )
            } else {
                r.send(APIError(500, "internal", "internal error"))
            }
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
}

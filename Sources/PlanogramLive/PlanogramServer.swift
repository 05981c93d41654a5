import Dispatch
import EventLoopHTTP
import Foundation
import Logging

/// The running application: the HTTP engine with the app's routes, health and metrics endpoints,
/// static web files, and the shutdown sequence (drain → flush → final stream event → exit).
public final class PlanogramServer: @unchecked Sendable {
    public let configuration: AppConfiguration
    public let logger: Logger
    public private(set) var http: HTTPServer!
    private var signalSources: [DispatchSourceSignal] = []
    private let shutdownLock = NSLock()
    private var shuttingDown = false

    public init(configuration: AppConfiguration, logger: Logger = Logger(label: "planogram-live")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds the routes, binds and starts serving. Returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        _ = MetricsRegistry.shared // bootstrap before the engine creates its metrics
        var router = Router()
        installHealthRoutes(&router)
        if let files = StaticFiles(root: configuration.webRoot) {
            router.fallback = files.handler
        } else {
            logger.warning("web root not found; static pages disabled", metadata: ["web": "\(configuration.webRoot)"])
        }
        let server = HTTPServer(configuration: configuration.http, router: router)
        http = server
        let port = try server.start()
        logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)", "loops": "\(server.loops.count)"])
        return port
    }

    private func installHealthRoutes(_ router: inout Router) {
        router.get("/healthz", name: "healthz") { _, r in
            r.send(.json(200, Array("{\"status\":\"ok\"}".utf8)))
        }
        router.get("/readyz", name: "readyz") { [unowned self] _, r in
            if http.isDraining {
                r.send(.error(503, "shutting down", code: "shutting_down"))
            } else {
                r.send(.json(200, Array("{\"status\":\"ready\"}".utf8)))
            }
        }
        router.get("/metrics", name: "metrics") { _, r in
            var response = HTTPResponse(status: 200, body: MetricsRegistry.render())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            r.send(response)
        }
    }

    /// Installs SIGTERM and SIGINT handlers that run a graceful shutdown and exit the process with 0.
    public func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [unowned self] in
                logger.info("signal received; shutting down", metadata: ["signal": "\(sig)"])
                shutdown { clean in
                    self.logger.info("stopped", metadata: ["clean": "\(clean)"])
                    exit(0)
                }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Graceful shutdown: stop accepting (readiness 503), let requests in flight finish, end every
    /// stream with a final `shutdown` event, and call `completion` within the configured grace.
    public func shutdown(completion: @escaping @Sendable (Bool) -> Void) {
        shutdownLock.lock()
        let first = !shuttingDown
        shuttingDown = true
        shutdownLock.unlock()
        guard first, let http else { return }
        http.beginDrain()
        let final = SSEFrame(event: "shutdown", data: "{\"reason\":\"server shutting down\",\"reconnect\":true}").bytes
        http.finishShutdown(finalFrame: final, completion: completion)
    }
}

import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import Jobs
import Logging
import Reasoning
import Sessions
import Store

/// The running application: its parts (made by `AppBuilder`, the composition root), started — the
/// sessions recovered, the nightly plan and the cluster sync running, the port bound — and the shutdown
/// sequence (drain → flush → final stream event → exit).
package final class PlanogramServer: @unchecked Sendable {
    package let configuration: AppConfiguration
    package let logger: Logger
    private let parts: AppParts
    private var signalSources: [DispatchSourceSignal] = []
    private let shutdownLock = NSLock()
    private var shuttingDown = false

    /// Builds every part (opens and migrates the database, imports the fixtures into an empty one, loads or
    /// fits the models). Nothing listens until `start()`.
    package init(configuration: AppConfiguration, logger: Logger = Logger(label: "planogram-live")) throws {
        self.configuration = configuration
        self.logger = logger
        parts = try AppBuilder.build(configuration: configuration, logger: logger)
    }

    package var http: HTTPServer { parts.http }
    package var store: Store { parts.store }
    package var insights: InsightsEngine { parts.insights }
    package var reasoning: ReasoningService { parts.reasoning }
    var app: AppContext { parts.app }
    var sessions: SessionRegistry { parts.sessions }
    var jobs: JobRunner { parts.jobs }
    var nightly: NightlyPlan? { parts.nightly }
    var cluster: ClusterSync? { parts.cluster }
    /// The routes served (method, pattern, name), for the contract's test.
    package var routeTable: [Router.Entry] { parts.routeTable }
    /// The token secret in use (from configuration, or made for this run in demo mode).
    package var secret: String { parts.secret }

    /// Starts what runs in the background, rebuilds the live sessions (unless they load on demand), binds and
    /// starts serving. Returns the bound port.
    @discardableResult
    package func start() throws -> Int {
        nightly?.start()
        try cluster?.start()
        parts.sharedLimits?.start()
        if sessions.loadsOnDemand {
            logger.info(
                "sessions load on demand (cluster node): each is rebuilt from the store when its first request arrives"
            )
        } else {
            let recoveryStarted = Date()
            let recovered = try sessions.recover()
            logger.info(
                "sessions recovered",
                metadata: [
                    "sessions": "\(recovered)",
                    "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(recoveryStarted)))",
                ]
            )
        }
        let port = try http.start()
        logger.info(
            "listening",
            metadata: [
                "host": "\(configuration.host)", "port": "\(port)", "loops": "\(http.loops.count)",
                "time_zone": "\(configuration.clock)",
            ]
        )
        return port
    }

    /// A token per role, valid for 12 hours, signed with the running secret.
    package func demoTokens() -> [(Role, String)] { HealthRoutes.demoTokens(secret: secret) }

    /// Installs SIGTERM and SIGINT handlers that run a graceful shutdown and exit the process with 0.
    package func installSignalHandlers() {
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
    package func shutdown(completion: @escaping @Sendable (Bool) -> Void) {
        shutdownLock.lock()
        let first = !shuttingDown
        shuttingDown = true
        shutdownLock.unlock()
        guard first else { return }
        parts.shuttingDown.set()
        http.beginDrain()
        sessions.shutdown()
        nightly?.stop()
        cluster?.stop()
        parts.sharedLimits?.stop()
        reasoning.cancelAll(timeout: 1)
        http.barrier()
        let final = SSEFrame(event: "shutdown", data: "{\"reason\":\"server shutting down\",\"reconnect\":true}").bytes
        http.finishShutdown(finalFrame: final, completion: completion)
    }
}

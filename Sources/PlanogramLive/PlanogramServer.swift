import Cluster
import Dispatch
import EventLoopHTTP
import FleetGenerator
import Foundation
import HTTPAPI
import Jobs
import Logging
import Reasoning
import Routing
import Store

/// The running application: the HTTP engine with the app's routes, health and metrics endpoints,
/// static web files, and the shutdown sequence (drain → flush → final stream event → exit).
package final class PlanogramServer: @unchecked Sendable {
    package let configuration: AppConfiguration
    package let logger: Logger
    package private(set) var http: HTTPServer!
    package private(set) var store: Store!
    /// The nightly route plan, when `PLANOGRAM_NIGHTLY_PLAN_AT` is not off.
    private(set) var nightly: NightlyPlan?
    /// The routes served (method, pattern, name), for the contract's test.
    package private(set) var routeTable: [Router.Entry] = []
    /// The token secret in use (from configuration, or made for this run in demo mode).
    package private(set) var secret = ""
    var app: AppContext!
    package private(set) var insights: InsightsEngine!
    /// Set by `start()`; nil before it.
    private(set) var sessions: SessionRegistry?
    /// Long work (docs/API.md).
    private(set) var jobs: JobRunner?
    /// The node's part in a cluster, when `PLANOGRAM_REDIS_URL` is set.
    private(set) var cluster: ClusterSync?
    private var sharedLimits: SharedRateLimits?
    package private(set) var reasoning: ReasoningService!
    private var signalSources: [DispatchSourceSignal] = []
    private let shutdownLock = NSLock()
    private var shuttingDown = false

    package init(configuration: AppConfiguration, logger: Logger = Logger(label: "planogram-live")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Builds the routes, binds and starts serving. Returns the bound port.
    @discardableResult
    package func start() throws -> Int {
        _ = MetricsRegistry.shared  // bootstrap before the engine creates its metrics
        if let url = configuration.redisURL {
            // Refuse to start without the bus rather than run as a node the others cannot hear.
            try RedisConnection(url: url).command(["PING"])
            logger.info("cluster bus", metadata: ["redis": "\(url)", "node": "\(configuration.nodeID)"])
        }
        let store = try openStore()
        self.store = store
        secret = resolveSecret()
        let app = try AppContext(configuration: configuration, store: store, secret: secret, logger: logger)
        self.app = app
        var router = Router()
        installHealthRoutes(&router)
        ContractRoutes(demo: configuration.demo).install(&router)
        CatalogRoutes(app: app).install(&router)
        DEXRoutes(app: app).install(&router)
        let insights = InsightsEngine(store: store, logger: logger, clock: configuration.clock)
        self.insights = insights
        // Models are loaded, not waited for: the stored fit is in use at once; a stale or missing one is
        // refitted (in the background for `serve`, where /readyz says 503 until models exist).
        if !insights.loadStored() {
            if configuration.fitInsightsInBackground {
                insights.refitInBackground(force: true)
            } else {
                try insights.rebuild()
            }
        }
        InsightRoutes(app: app, insights: insights).install(&router)
        ForecastRoutes(app: app, insights: insights).install(&router)
        ServicePlanRoutes(app: app, insights: insights).install(&router)
        ImportRoute(app: app).install(&router)
        CVDImportRoute(app: app).install(&router)
        DriverRoutes(app: app).install(&router)
        let tableStore = DatabaseReasoningStore(store: store, ttl: configuration.reasoning.storeTTL)
        let reasoningStore: ReasoningStore =
            configuration.redisURL.map {
                RedisReasoningStore(
                    url: $0,
                    ttl: configuration.reasoningRedisTTLSeconds,
                    fallback: tableStore,
                    logger: logger
                )
            } ?? tableStore
        var reasoningSettings = configuration.reasoning
        reasoningSettings.clock = configuration.clock
        let reasoning = ReasoningService(
            settings: reasoningSettings,
            store: reasoningStore,
            spendStore: DatabaseSpendStore(store: store),
            logger: logger
        )
        self.reasoning = reasoning
        logger.info(
            "reasoning",
            metadata: [
                "source": "\(reasoning.usesClaude ? "claude" : "rules narrator (no ANTHROPIC_API_KEY)")",
                "placement_model": "\(configuration.reasoning.placementModel)",
                "analysis_model": "\(configuration.reasoning.analysisModel)",
                "daily_budget_usd": "\(configuration.reasoning.dailySpendCapUSD)",
            ]
        )
        let serverBox = ServerBox()
        let writer = try OpLogWriter(
            location: store.location,
            fullSync: configuration.opLogFullSync,
            busyTimeoutMilliseconds: Int32(clamping: configuration.opLogBusyTimeoutMilliseconds)
        )
        var env = SessionEnvironment(
            writer: writer,
            catalog: { [app] in app.catalog.current },
            models: { [insights] in insights.current },
            serverBox: serverBox,
            frameInterval: Double(configuration.frameIntervalMilliseconds) / 1000,
            checkpointEveryOps: configuration.checkpointEveryOps,
            derivedInterval: Double(configuration.derivedIntervalMilliseconds) / 1000,
            replayEvents: configuration.replayEvents,
            changeCostPerSlot: configuration.changeCostPerSlot,
            logger: logger
        )
        env.maxLogReplay = configuration.maxLogReplay
        env.opLogKeep = Int64(configuration.opLogKeep)
        env.idempotencyCapacity = configuration.idempotencyCapacity
        env.idempotencyMaxAge = configuration.idempotencyMaxAgeSeconds
        let bus: any ClusterBus =
            configuration.redisURL.map { RedisClusterBus(url: $0, nodeID: configuration.nodeID, logger: logger) }
            ?? LocalClusterBus(nodeID: configuration.nodeID)
        let clusterBox = ClusterBox()
        env.published = { [app, clusterBox] key, plan, by in
            app.published.invalidate()
            clusterBox.sync?.published(key, version: plan.version, by: by)
        }
        env.reasoning = reasoning
        env.settleInterval = Double(configuration.aiSettleMilliseconds) / 1000
        let registryBox = RegistryBox()
        if bus.isClustered { env.staleCopy = { [registryBox] id in registryBox.registry?.evict(id) } }
        let registry = SessionRegistry(
            env: env,
            store: store,
            catalog: app.catalog,
            published: app.published,
            checkpointEverySeconds: configuration.checkpointEverySeconds
        )
        registryBox.registry = registry
        registry.loadsOnDemand = bus.isClustered
        if bus.isClustered { registry.nodeID = configuration.nodeID }
        sessions = registry
        insights.observe { [weak registry] in registry?.modelsChanged() }
        SessionRoutes(app: app, registry: registry).install(&router)
        let jobs = JobRunner(store: store, serverBox: serverBox, logger: logger, share: configuration.jobShare)
        if bus.isClustered { jobs.nodeID = configuration.nodeID }
        self.jobs = jobs
        let interrupted = try jobs.markInterrupted()
        if interrupted > 0 {
            logger.warning("jobs of the previous run marked failed", metadata: ["jobs": "\(interrupted)"])
        }
        JobRoutes(app: app, insights: insights, runner: jobs).install(&router)
        TransactionImportRoute(app: app, runner: jobs).install(&router)
        let solver =
            configuration.routeSolverCommand.map { RouteSolver(command: $0.split(separator: " ").map(String.init)) }
            ?? RouteSolver.configured()
        RouteRoutes(app: app, insights: insights, runner: jobs, solver: solver).install(&router)
        if let minute = configuration.nightlyPlanAt {
            let nightly = NightlyPlan(app: app, insights: insights, runner: jobs, solver: solver, minute: minute)
            nightly.start()
            self.nightly = nightly
        }
        let venues = VenueDemandCache()
        OptimizerRoutes(app: app, insights: insights, runner: jobs, registry: registry, venues: venues).install(&router)
        RecommendationRoutes(app: app, insights: insights, venues: venues).install(&router)
        let experiments = ExperimentService(app: app, serverBox: serverBox)
        ExperimentRoutes(
            app: app,
            service: experiments,
            insights: insights,
            venues: venues,
            onPublished: { [weak registry, clusterBox] key, plan, by in
                registry?.publishedElsewhere(key, plan, by: by)
                clusterBox.sync?.published(key, version: plan.version, by: by)
            }
        ).install(&router)

        FleetKPIRoutes(app: app).install(&router)
        app.afterImport = { [insights, experiments, clusterBox] in
            insights.refitInBackground(force: true)
            experiments.salesImported()
            clusterBox.sync?.imported()
        }
        if bus.isClustered {
            let sync = ClusterSync(bus: bus, app: app, registry: registry, insights: insights)
            sync.onRemoteImport = { [experiments] in experiments.salesImported() }
            let relay = JobRelay(serverBox: serverBox)
            sync.relay = relay
            sync.jobs = jobs
            sync.directory.onNodeLost = { [jobs, relay, logger] node in
                DispatchQueue.global(qos: .utility).async {
                    let n = (try? jobs.markLost(node: node)) ?? 0
                    relay.settle(jobs)
                    logger.warning(
                        "cluster node silent; its unfinished jobs marked failed",
                        metadata: ["node": "\(node)", "jobs": "\(n)"]
                    )
                }
            }
            jobs.relay = relay
            jobs.onFrame = { [weak sync] id, frame, terminal in sync?.jobFrame(id, frame, terminal: terminal) }
            jobs.cancelElsewhere = { [weak sync] id in sync?.cancelJob(id) }
            registry.remoteSummaries = { [directory = sync.directory] local in
                directory.remoteSessions(excluding: local)
            }
            insights.observeFits { [weak sync] in sync?.fitted() }
            try sync.start()
            clusterBox.sync = sync
            cluster = sync
            if let url = configuration.redisURL {
                let limits = SharedRateLimits(limiter: app.rateLimiter, url: url, logger: logger)
                limits.start()
                sharedLimits = limits
            }
        }
        if let files = StaticFiles(root: configuration.webRoot) {
            router.fallback = files.handler
        } else {
            logger.warning("web root not found; static pages disabled", metadata: ["web": "\(configuration.webRoot)"])
        }
        routeTable = router.table
        let server = HTTPServer(configuration: configuration.http, router: router)
        http = server
        serverBox.server = server
        if registry.loadsOnDemand {
            logger.info(
                "sessions load on demand (cluster node): each is rebuilt from the store when its first request arrives"
            )
        } else {
            let recoveryStarted = Date()
            let recovered = try registry.recover()
            logger.info(
                "sessions recovered",
                metadata: [
                    "sessions": "\(recovered)",
                    "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(recoveryStarted)))",
                ]
            )
        }
        let port = try server.start()
        logger.info(
            "listening",
            metadata: [
                "host": "\(configuration.host)", "port": "\(port)", "loops": "\(server.loops.count)",
                "time_zone": "\(configuration.clock)",
            ]
        )
        return port
    }

    /// Opens (and migrates) the database; an empty one is loaded from the fixtures directory first.
    private func openStore() throws -> Store {
        let store = try Store(location: try configuration.storeLocation())
        let schema = try store.schemaVersion()
        logger.info(
            "database open",
            metadata: ["database": "\(store.location)", "engine": "\(store.dialect)", "schema": "\(schema)"]
        )
        if try store.isEmpty() {
            var fixtures = configuration.fixturesDirectory
            // A fleet too large to ship (Fixtures/metro) is described by its generator's parameters and made
            // here on first start, deterministically, beside the database.
            let recipe = (fixtures as NSString).appendingPathComponent("fleet.json")
            if FileManager.default.fileExists(atPath: recipe),
                !FileManager.default.fileExists(atPath: (fixtures as NSString).appendingPathComponent("products.csv"))
            {
                let data = try Data(contentsOf: URL(fileURLWithPath: recipe))
                let model = try JSONDecoder().decode(FleetModel.self, from: data)
                let dbDir = (configuration.databasePath as NSString).deletingLastPathComponent
                let out = ((dbDir.isEmpty ? "." : dbDir) as NSString).appendingPathComponent(
                    "generated-fleet-\(model.seed)-\(model.devices)"
                )
                if !FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("sales.csv")) {
                    logger.notice(
                        "first start: generating the fleet described by \(recipe) (\(model.devices) devices, \(model.days) days) into \(out); this takes a while once"
                    )
                    let gen = FleetGenerator(model: model) { [logger] line in logger.info("\(line)") }
                    _ = try gen.write(to: out)
                }
                fixtures = out
            }
            if FileManager.default.fileExists(atPath: fixtures) {
                logger.info("empty database; importing fixtures", metadata: ["dir": "\(fixtures)"])
                let importer = Importer(
                    store: store,
                    clock: configuration.clock,
                    progress: ImportProgressLog(logger: logger).report
                )
                let report = try importer.importDirectory(fixtures)
                logger.info(
                    "fixtures imported",
                    metadata: [
                        "rows": "\(report.totalRowsWritten)", "seconds": "\(String(format: "%.2f", report.seconds))",
                    ]
                )
            } else {
                logger.warning(
                    "empty database and no fixtures directory",
                    metadata: ["dir": "\(configuration.fixturesDirectory)"]
                )
            }
        }
        // The daily totals in the local dates of this fleet's clock (recomputed once when the zone changed).
        let started = Date()
        if try store.write({ db in try SalesDaily.align(db, clock: configuration.clock) }) {
            logger.notice(
                "daily totals recomputed in the fleet's local dates",
                metadata: [
                    "time_zone": "\(configuration.clock.identifier)",
                    "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
                ]
            )
        }
        return store
    }

    /// The configured secret; otherwise one made for this run (demo mode says so; otherwise a warning,
    /// since tokens minted elsewhere will not verify).
    private func resolveSecret() -> String {
        if let s = configuration.secret { return s }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let made = bytes.map { String(format: "%02x", $0) }.joined()
        if configuration.demo {
            logger.notice(
                "demo mode: made a token secret for this run (set PLANOGRAM_SECRET to keep tokens across restarts)"
            )
        } else {
            logger.warning(
                "PLANOGRAM_SECRET is not set: made a secret for this run; tokens minted elsewhere will not verify"
            )
        }
        return made
    }

    /// A token per role, valid for 12 hours, signed with the running secret.
    package func demoTokens() -> [(Role, String)] {
        let authority = TokenAuthority(secret: secret)
        return Role.allCases.map { role in
            (
                role,
                authority.mint(
                    subject: "demo-\(role.rawValue)",
                    name: "Demo \(role.rawValue.capitalized)",
                    role: role,
                    ttlSeconds: 12 * 3600
                )
            )
        }
    }

    private func installHealthRoutes(_ router: inout Router) {
        router.get("/healthz", name: "healthz") { _, r in
            r.send(.json(200, Array("{\"status\":\"ok\"}".utf8)))
        }
        router.get("/readyz", name: "readyz") { [weak self] _, r in
            guard let self else { return }
            // No store access here: readiness must not wait behind an import. The store was opened and
            // migrated before the server listened; the models are the one thing that may still be loading.
            if http.isDraining {
                r.send(.error(503, "shutting down", code: "shutting_down"))
            } else if insights.current == nil {
                var response = HTTPResponse.error(
                    503,
                    "the models are being fitted (first start or new data)",
                    code: "models_loading"
                )
                response.headers.set("Retry-After", "1")
                r.send(response)
            } else {
                r.send(.json(200, Array("{\"status\":\"ready\"}".utf8)))
            }
        }
        // Demo mode only: the sign-in page offers a token per role (the same ones printed at start).
        if configuration.demo {
            router.get("/api/demo/tokens", name: "demo_tokens") { [weak self] _, r in
                guard let self else { return }
                r.sendJSON(200, ["tokens": demoTokens().map { ["role": $0.0.rawValue, "token": $0.1] }])
            }
        }
        router.get("/metrics", name: "metrics") { _, r in
            var response = HTTPResponse(status: 200, body: MetricsRegistry.render())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            r.send(response)
        }
    }

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
        guard first, let http else { return }
        http.beginDrain()
        sessions?.shutdown()
        nightly?.stop()
        cluster?.stop()
        sharedLimits?.stop()
        reasoning?.cancelAll(timeout: 1)
        http.barrier()
        let final = SSEFrame(event: "shutdown", data: "{\"reason\":\"server shutting down\",\"reconnect\":true}").bytes
        http.finishShutdown(finalFrame: final, completion: completion)
    }
}

/// The cluster sync, set after the routes that report to it are built.
final class ClusterBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: ClusterSync?
    var sync: ClusterSync? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            lock.unlock()
        }
    }
}

/// The session registry, for closures made before it exists (a stale copy evicts itself through it).
final class RegistryBox: @unchecked Sendable {
    private let lock = NSLock()
    private weak var value: SessionRegistry?
    var registry: SessionRegistry? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        set {
            lock.lock()
            value = newValue
            lock.unlock()
        }
    }
}

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
import Sessions
import Store

/// Every part of the running application, fully formed. Made by `AppBuilder.build`; held by `PlanogramServer`.
struct AppParts {
    let store: Store
    /// The token secret in use (from configuration, or made for this run in demo mode).
    let secret: String
    let app: AppContext
    let insights: InsightsEngine
    let reasoning: ReasoningService
    let sessions: SessionRegistry
    /// Long work (docs/API.md).
    let jobs: JobRunner
    /// The nightly route plan, when `PLANOGRAM_NIGHTLY_PLAN_AT` is not off (started by `PlanogramServer.start`).
    let nightly: NightlyPlan?
    /// The node's part in a cluster, when `PLANOGRAM_REDIS_URL` is set (started by `PlanogramServer.start`).
    let cluster: ClusterSync?
    let sharedLimits: SharedRateLimits?
    /// Set by `PlanogramServer.shutdown` before the drain: `/readyz` answers 503 from then on.
    let shuttingDown: OnceFlag
    let http: HTTPServer
    /// The routes served (method, pattern, name), for the contract's test.
    let routeTable: [Router.Entry]
}

/// The composition root: builds the application's parts in the order they depend on each other, and hands
/// each its collaborators in its initializer — nothing is set on a part after it is made. The event loops are
/// made first (the parts that stream take them), the HTTP server last (it takes the router of all the routes).
/// On a cluster, what a part tells the other nodes goes through the `ClusterAnnouncer` (made from the bus
/// alone); what they tell this node is heard by the `ClusterSync`, made once the parts it acts on exist.
enum AppBuilder {
    static func build(configuration: AppConfiguration, logger: Logger) throws -> AppParts {
        _ = MetricsRegistry.shared  // bootstrap before the engine creates its metrics
        if let url = configuration.redisURL {
            // Refuse to start without the bus rather than run as a node the others cannot hear.
            try RedisConnection(url: url).command(["PING"])
            logger.info("cluster bus", metadata: ["redis": "\(url)", "node": "\(configuration.nodeID)"])
        }
        let store = try openStore(configuration, logger)
        let secret = resolveSecret(configuration, logger)
        let app = try AppContext(configuration: configuration, store: store, secret: secret, logger: logger)
        let insights = InsightsEngine(store: store, logger: logger, clock: configuration.clock)
        // Models are loaded, not waited for: the stored fit is in use at once; a stale or missing one is
        // refitted (in the background for `serve`, where /readyz says 503 until models exist).
        if !insights.loadStored() {
            if configuration.fitInsightsInBackground {
                insights.refitInBackground(force: true)
            } else {
                try insights.rebuild()
            }
        }
        let reasoning = makeReasoning(configuration, store, logger)
        let loops = EventLoopGroup(count: configuration.http.loopCount)

        // The cluster's outgoing half, and the parts of the incoming half that others take.
        let bus: any ClusterBus =
            configuration.redisURL.map { RedisClusterBus(url: $0, nodeID: configuration.nodeID, logger: logger) }
            ?? LocalClusterBus(nodeID: configuration.nodeID)
        let announcer = ClusterAnnouncer(bus: bus)
        insights.observeFits { [announcer] in announcer.fitted() }
        let relay = JobRelay(loops: loops)

        let jobs = JobRunner(
            store: store,
            loops: loops,
            logger: logger,
            share: configuration.jobShare,
            cluster: bus.isClustered
                ? JobClusterLink(nodeID: configuration.nodeID, relay: relay, announcer: announcer) : nil
        )
        let interrupted = try jobs.markInterrupted()
        if interrupted > 0 {
            logger.warning("jobs of the previous run marked failed", metadata: ["jobs": "\(interrupted)"])
        }
        let directory =
            bus.isClustered
            ? ClusterDirectory(onNodeLost: { [jobs, relay, logger] node in
                DispatchQueue.global(qos: .utility).async {
                    let n = (try? jobs.markLost(node: node)) ?? 0
                    relay.settle(jobs)
                    logger.warning(
                        "cluster node silent; its unfinished jobs marked failed",
                        metadata: ["node": "\(node)", "jobs": "\(n)"]
                    )
                }
            }) : nil

        let registry = SessionRegistry(
            env: try sessionEnvironment(configuration, store, app, insights, reasoning, loops, announcer, logger),
            store: store,
            catalog: app.catalog,
            published: app.published,
            checkpointEverySeconds: configuration.checkpointEverySeconds,
            cluster: directory.map { SessionRegistry.ClusterRole(nodeID: configuration.nodeID, directory: $0) }
        )
        insights.observe { [weak registry] in registry?.modelsChanged() }
        let experiments = ExperimentService(app: app, loops: loops)
        let imports = FleetImports(app: app, insights: insights, experiments: experiments, announcer: announcer)
        let solver =
            configuration.routeSolverCommand.map { RouteSolver(command: $0.split(separator: " ").map(String.init)) }
            ?? RouteSolver.configured()
        let venues = VenueDemandCache()
        let shuttingDown = OnceFlag()

        var router = Router()
        HealthRoutes(configuration: configuration, insights: insights, secret: secret, shuttingDown: shuttingDown)
            .install(&router)
        ContractRoutes(demo: configuration.demo).install(&router)
        CatalogRoutes(app: app).install(&router)
        DEXRoutes(app: app).install(&router)
        InsightRoutes(app: app, insights: insights).install(&router)
        ForecastRoutes(app: app, insights: insights).install(&router)
        ServicePlanRoutes(app: app, insights: insights).install(&router)
        ImportRoute(app: app, imports: imports).install(&router)
        CVDImportRoute(app: app, imports: imports).install(&router)
        DriverRoutes(app: app).install(&router)
        SessionRoutes(app: app, registry: registry).install(&router)
        JobRoutes(app: app, insights: insights, runner: jobs).install(&router)
        TransactionImportRoute(app: app, imports: imports, runner: jobs).install(&router)
        RouteRoutes(app: app, insights: insights, runner: jobs, solver: solver).install(&router)
        OptimizerRoutes(app: app, insights: insights, runner: jobs, registry: registry, venues: venues).install(&router)
        RecommendationRoutes(app: app, insights: insights, venues: venues).install(&router)
        ExperimentRoutes(
            app: app,
            service: experiments,
            insights: insights,
            venues: venues,
            onPublished: { [weak registry, announcer] key, plan, by in
                registry?.publishedElsewhere(key, plan, by: by)
                announcer.published(key, version: plan.version, by: by)
            }
        ).install(&router)
        FleetKPIRoutes(app: app).install(&router)
        if let files = StaticFiles(root: configuration.webRoot) {
            router.fallback = files.handler
        } else {
            logger.warning("web root not found; static pages disabled", metadata: ["web": "\(configuration.webRoot)"])
        }

        let nightly = configuration.nightlyPlanAt.map {
            NightlyPlan(app: app, insights: insights, runner: jobs, solver: solver, minute: $0)
        }
        let cluster = directory.map {
            ClusterSync(
                bus: bus,
                directory: $0,
                app: app,
                registry: registry,
                insights: insights,
                experiments: experiments,
                jobs: jobs,
                relay: relay
            )
        }
        let sharedLimits = configuration.redisURL.map {
            SharedRateLimits(limiter: app.rateLimiter, url: $0, logger: logger)
        }
        return AppParts(
            store: store,
            secret: secret,
            app: app,
            insights: insights,
            reasoning: reasoning,
            sessions: registry,
            jobs: jobs,
            nightly: nightly,
            cluster: cluster,
            sharedLimits: sharedLimits,
            shuttingDown: shuttingDown,
            http: HTTPServer(configuration: configuration.http, group: loops, router: router),
            routeTable: router.table
        )
    }

    /// Claude explanations (or the rules narrator without a key), their cache (Redis on a cluster, else the
    /// store) and the daily spend.
    static func makeReasoning(_ configuration: AppConfiguration, _ store: Store, _ logger: Logger) -> ReasoningService {
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
        logger.info(
            "reasoning",
            metadata: [
                "source": "\(reasoning.usesClaude ? "claude" : "rules narrator (no ANTHROPIC_API_KEY)")",
                "placement_model": "\(configuration.reasoning.placementModel)",
                "analysis_model": "\(configuration.reasoning.analysisModel)",
                "daily_budget_usd": "\(configuration.reasoning.dailySpendCapUSD)",
            ]
        )
        return reasoning
    }

    /// What every live session shares: the op log's writer, the catalogue and models, the loops it streams on,
    /// and what happens after a publish (the published cache dropped, the other nodes told).
    static func sessionEnvironment(
        _ configuration: AppConfiguration,
        _ store: Store,
        _ app: AppContext,
        _ insights: InsightsEngine,
        _ reasoning: ReasoningService,
        _ loops: EventLoopGroup,
        _ announcer: ClusterAnnouncer,
        _ logger: Logger
    ) throws -> SessionEnvironment {
        let writer = try OpLogWriter(
            location: store.location,
            fullSync: configuration.opLogFullSync,
            busyTimeoutMilliseconds: Int32(clamping: configuration.opLogBusyTimeoutMilliseconds)
        )
        var env = SessionEnvironment(
            writer: writer,
            catalog: { [app] in app.catalog.current },
            models: { [insights] in insights.current?.sessionModels },
            loops: loops,
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
        env.published = { [app, announcer] key, plan, by in
            app.published.invalidate()
            announcer.published(key, version: plan.version, by: by)
        }
        env.reasoning = reasoning
        env.settleInterval = Double(configuration.aiSettleMilliseconds) / 1000
        return env
    }

    /// Opens (and migrates) the database; an empty one is loaded from the fixtures directory first.
    static func openStore(_ configuration: AppConfiguration, _ logger: Logger) throws -> Store {
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
    static func resolveSecret(_ configuration: AppConfiguration, _ logger: Logger) -> String {
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
}

extension InsightsEngine.Snapshot {
    /// What a live session scores and forecasts with.
    var sessionModels: SessionModels {
        SessionModels(model: model, scorer: scorer, forecaster: forecaster, products: products, builtAt: builtAt)
    }
}

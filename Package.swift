// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "planogram-live",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "planogram-live", targets: ["planogram-live"]),
        .executable(name: "planogram-lab", targets: ["planogram-lab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C libraries of the system, through module maps.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),

        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCbc", path: "Sources/CCbc", pkgConfig: "cbc", providers: [.apt(["coinor-libcbc-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // Linux's epoll header (part of libc; nothing to link).
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),

        // Slot, cabinet, product, planogram and the hard rules. No I/O.
        .target(name: "PlanogramDomain"),

        // The database: SQLite (embedded default) or PostgreSQL behind one connection protocol; migrations,
        // CSV import, repositories.
        .target(name: "Store", dependencies: ["CSQLite", "CPostgres", "PlanogramDomain"]),

        // Heat zones, velocity, affinity, placement score, revenue model, backtest. Pure and deterministic.
        .target(name: "Insights", dependencies: ["PlanogramDomain"]),

        // Demand counts, stock by lot, spoilage and stockout probabilities (SPEC §10–§11). Pure.
        .target(name: "Forecasting", dependencies: ["PlanogramDomain", "Insights"]),

        // Vehicle routing (SPEC §12): the problem, Solomon's format, an independent route validator, and the
        // solver adapter (PyVRP as a subprocess, JSON in and out) — the only code that knows a solver.
        .target(name: "Routing"),
        .target(name: "Experiments", dependencies: ["PlanogramDomain"]),
        .target(name: "Optimizer", dependencies: ["CCbc", "PlanogramDomain"]),

        // What crosses nodes (SPEC §18): a Redis client (Debian's hiredis) and a subscriber thread.
        .target(name: "Cluster", dependencies: ["CHiredis"]),

        // DEX (EVA-DTS) audit reads: the reader, pure (docs/formats/DEX.md).
        .target(name: "DEX"),

        // The deterministic demo-fleet generator (`planogram-live fixtures`).
        .target(name: "FleetGenerator", dependencies: ["PlanogramDomain"]),

        // Claude explanations: the streaming Messages API client (libcurl), prompts, the rules narrator,
        // cache, retries, circuit breaker and spend cap.
        .target(name: "Reasoning", dependencies: [
            "CCurl", "PlanogramDomain", "Insights",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The HTTP/1.1 + SSE engine on Dispatch sources. Knows nothing of planograms.
        .target(name: "EventLoopHTTP", dependencies: [
            "CEpoll",
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),

        // The application: configuration, auth, routes, metrics wiring.
        // The API's shared vocabulary: errors in the contract's shape, JSON in and out, tokens and who they name.
        .target(name: "HTTPAPI", dependencies: [
            "EventLoopHTTP",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Long work as jobs: the queue and its shares, progress over SSE, relayed between nodes.
        .target(name: "Jobs", dependencies: [
            "HTTPAPI", "EventLoopHTTP", "PlanogramDomain", "Store",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Live sessions (docs/ARCHITECTURE.md "Live sessions"): the state machine, the op log, the bus, the registry.
        .target(name: "Sessions", dependencies: [
            "HTTPAPI", "EventLoopHTTP", "PlanogramDomain", "Store", "Insights", "Reasoning",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "PlanogramLive", dependencies: [
            "HTTPAPI", "Jobs", "Sessions", "EventLoopHTTP", "PlanogramDomain", "Store", "FleetGenerator", "Insights", "Forecasting", "Reasoning", "Routing", "Experiments", "Optimizer", "Cluster",
            "DEX",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The one executable: `planogram-live serve|import|token|fixtures`.
        .executableTarget(name: "planogram-live", dependencies: [
            "PlanogramLive", "HTTPAPI", "DEX", "Store", "FleetGenerator", "Insights", "Forecasting", "Routing", "Experiments", "Optimizer", "PlanogramDomain", "Cluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The research tools (backtests, calibration, solver and optimizer checks): `planogram-lab`.
        .executableTarget(name: "planogram-lab", dependencies: [
            "PlanogramLive", "HTTPAPI", "DEX", "Store", "FleetGenerator", "Insights", "Forecasting", "Routing", "Experiments", "Optimizer", "PlanogramDomain", "Cluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Bench-only: the bare engine with a publish route, driven by ../shared/tools/ssebench.
        .executableTarget(name: "sse-fanout-server", dependencies: ["EventLoopHTTP"]),
        // Bench-only: in-process timing of the model fit and of a 60-slot revenue prediction.
        .executableTarget(name: "insights-bench", dependencies: ["PlanogramLive", "Insights", "Store", "PlanogramDomain"]),

        // A blocking raw-socket HTTP/SSE client shared by the test targets.
        .target(name: "HTTPTestClient", path: "Tests/HTTPTestClient"),
        // A local fake of the Anthropic streaming API, shared by the test targets.
        .target(name: "FakeAnthropic", path: "Tests/FakeAnthropic"),
        .testTarget(name: "ReasoningTests", dependencies: ["Reasoning", "Insights", "PlanogramDomain", "FakeAnthropic"]),
        .testTarget(name: "EventLoopHTTPTests", dependencies: ["EventLoopHTTP", "HTTPTestClient"]),
        .testTarget(name: "ForecastingTests", dependencies: ["Forecasting", "Insights", "PlanogramDomain"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "PlanogramDomain"]),
        .testTarget(name: "OptimizerTests", dependencies: ["Optimizer", "PlanogramDomain"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        // The test PostgreSQL server's URL and fresh schemas, shared by the store's and the app's tests.
        .target(name: "StoreTestSupport", dependencies: ["Store"], path: "Tests/StoreTestSupport"),
        .testTarget(name: "PlanogramDomainTests", dependencies: ["PlanogramDomain"]),
        .testTarget(name: "DEXTests", dependencies: ["DEX"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PlanogramDomain", "StoreTestSupport", "HTTPTestClient"]),
        .testTarget(name: "FleetGeneratorTests", dependencies: ["FleetGenerator", "PlanogramDomain"]),
        .testTarget(name: "HTTPAPITests", dependencies: [
            "HTTPAPI", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs"]),
        .testTarget(name: "InsightsTests", dependencies: ["Insights", "PlanogramDomain"]),
        .testTarget(name: "SessionsTests", dependencies: ["Sessions", "HTTPAPI", "PlanogramDomain", "Insights"]),
        .testTarget(name: "PlanogramLiveTests", dependencies: ["PlanogramLive", "HTTPAPI", "Jobs", "Sessions", "PlanogramDomain", "Store", "FleetGenerator", "Insights", "Reasoning", "HTTPTestClient", "FakeAnthropic", "StoreTestSupport", "DEX"]),
    ]
)

import Cluster
import EventLoopHTTP
import Forecasting
import Foundation
import Jobs
import PlanogramDomain
import Reasoning
import Store

/// The server's whole configuration: one struct with defaults, filled from the environment and then
/// from command-line flags (flags win), printed at start with secrets masked.
package struct AppConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 8080
    package var databasePath = "./data/planogram.db"
    /// `PLANOGRAM_DATABASE_URL`: a PostgreSQL database instead of the SQLite file (docs/OPERATIONS.md).
    package var databaseURL: String?

    /// `PLANOGRAM_REDIS_URL`: the bus between the nodes of a cluster (docs/OPERATIONS.md). With it, sessions are
    /// loaded on demand by the node nginx sends their requests to, instead of all at start.
    package var redisURL: RedisURL?
    /// `PLANOGRAM_REASONING_REDIS_TTL_SECONDS`: how long Redis keeps an explanation for every node (1 h).
    package var reasoningRedisTTLSeconds = 3600
    /// `PLANOGRAM_NODE_ID`: this node's name in the cluster (default: host name and process id).
    package var nodeID = "\(ProcessInfo.processInfo.hostName)-\(getpid())"

    /// PostgreSQL when `databaseURL` is set, else the SQLite file at `databasePath`.
    package func storeLocation() throws -> StoreLocation {
        try StoreLocation.configured(databaseURL: databaseURL, sqlitePath: databasePath)
    }
    package var webRoot = "./Web"
    package var fixturesDirectory = "./Fixtures/demo"
    package var demo = false
    /// HMAC key of the bearer tokens. Nil until set; demo mode makes one and says so.
    package var secret: String?
    package var logLevel = "info"
    /// Claude explanations: key, endpoint, models, budget, timeouts, retries (the reasoning service's
    /// settings, held here as they are; `ANTHROPIC_*` and `PLANOGRAM_AI_*` fill them).
    package var reasoning = ReasoningSettings()
    /// A placement is explained once no op has touched its slot for this long (0: only on request).
    package var aiSettleMilliseconds = 1500

    // Limits and cadences.
    package var maxBodyBytes = 1 << 20
    package var maxImportBodyBytes = 256 << 20
    package var maxConnections = 19_000
    package var subscriberBufferBytes = 512 * 1024
    package var heartbeatSeconds = 10.0
    package var requestTimeoutSeconds = 10.0
    package var idleTimeoutSeconds = 60.0
    package var shutdownGraceSeconds = 5.0
    package var frameIntervalMilliseconds = 50
    package var checkpointEveryOps = 200
    package var checkpointEverySeconds = 30.0
    package var loops = max(1, System.coreCount)
    /// Cost of changing one slot (labour, waste), for break-even days of a revenue prediction.
    package var changeCostPerSlot = 2.5
    /// fsync every op-log commit (survives power loss) rather than leave it to the OS (survives kill -9).
    package var opLogFullSync = false
    /// Least time between two rounds of a session's derived events (scores, heat map, forecast).
    package var derivedIntervalMilliseconds = 200
    /// Fit the models after the server starts listening (true for `serve`) rather than before.
    package var fitInsightsInBackground = false
    /// Events each live session keeps in memory for resumes (older ones come from the op log).
    package var replayEvents = 4096
    /// How long a stored revenue prediction stays valid.
    package var predictionTTLSeconds = 24 * 3600
    /// Per-token rate limits (`PLANOGRAM_RATE_OPS`, `…_DRAGS`, `…_SCORE`, `…_PREDICT`, `…_EXPLAIN` as
    /// `RATE[:BURST]` per second, `off` for none). Generous for people and scripts; they stop a runaway client.
    package var rateLimits: [RateLimiter.Route: RateLimit] = [
        .ops: RateLimit(rate: 500, burst: 1000), .drags: RateLimit(rate: 240, burst: 480),
        .score: RateLimit(rate: 1000, burst: 2000), .predict: RateLimit(rate: 100, burst: 200),
        .explain: RateLimit(rate: 10, burst: 30),
    ]
    /// Changes a resume may read back from the op log before a snapshot is sent instead.
    package var maxLogReplay = 5_000
    /// Op-log rows kept behind each checkpoint (resumes and idempotency across restarts read them).
    package var opLogKeep = 5_000
    /// Idempotency memory per session: the newest N client_op_ids, none older than the age.
    package var idempotencyCapacity = 2_000
    package var idempotencyMaxAgeSeconds = 86_400.0
    /// How long an op-log commit waits for another process's write lock before the op is refused (503).
    package var opLogBusyTimeoutMilliseconds = 2_000
    /// Requests that may wait for the store or the models at once (beyond: 503 with Retry-After).
    package var maxBlockingRequests = 64
    /// When the nightly route plan runs, in minutes after local midnight (`PLANOGRAM_NIGHTLY_PLAN_AT`, `HH:MM`,
    /// default 02:00; `off`: nil, never).
    package var nightlyPlanAt: Int? = 120
    /// How the job queue is shared among users (`JobShare`).
    var jobShare = JobShare()
    /// `PLANOGRAM_JOBS_QUEUED`, `PLANOGRAM_JOBS_PER_USER`, `PLANOGRAM_JOBS_ADMIN_RESERVE`.
    package var jobsQueued: Int {
        get { jobShare.maxQueued }
        set { jobShare.maxQueued = max(1, newValue) }
    }
    package var jobsPerUser: Int {
        get { jobShare.perUser }
        set { jobShare.perUser = max(1, newValue) }
    }
    package var jobsAdminReserve: Int {
        get { jobShare.adminReserve }
        set { jobShare.adminReserve = max(0, newValue) }
    }
    /// The service plan (docs/MODELS.md): the cost of one visit, the longest a device goes unvisited, and the
    /// service level a pick list covers demand to.
    package var visitCost = 25.0
    package var maxVisitIntervalDays = 7
    package var serviceLevel = 0.95
    /// The quantile of what sells before its date a pick list loads a perishable slot to
    /// (`PLANOGRAM_PERISHABLE_SERVICE_LEVEL`, at least 0.5 and below 1; BENCHMARKS §8).
    package var perishableServiceLevel = 0.5
    /// Which load a pick line uses: the model's, the par's, or the larger (`PLANOGRAM_PICK_RULE`, docs/MODELS.md
    /// "Par levels").
    package var pickRule: PickRule = .model
    /// The planner's two optional weights (BENCHMARKS §8, both off by default): a price per expected empty
    /// slot-hour beside the margin lost (`PLANOGRAM_EMPTY_SLOT_HOUR_COST`, at least 0), and how many units
    /// expected past their date by the next day call for a visit today (`PLANOGRAM_EXPIRY_VISIT_UNITS`,
    /// above 0).
    package var emptySlotHourCost = 0.0
    package var expiryVisitUnits = 0.5
    /// Routes (docs/MODELS.md): without a travel matrix, great-circle distance × detour at this speed; what
    /// a truck's kilometre and hour cost; seconds of loading per unit on top of a device's service minutes.
    package var routeDetour = 1.3
    package var routeSpeedKmh = 35.0
    package var routeCostPerKm = 0.45
    package var routeCostPerHour = 28.0
    package var loadSecondsPerUnit = 3.0
    /// The route solver's command line (`PLANOGRAM_VRP_SOLVER`); nil: the project's PyVRP adapter.
    package var routeSolverCommand: String?
    /// The fleet's time zone (docs/MODELS.md, `PLANOGRAM_TIMEZONE`, an IANA name; default UTC): the local dates
    /// and times of day of access hours, depot hours, shifts, service plans, pick lists and routes.
    package var clock = FleetClock.utc

    package init() {}

    /// Reads the `PLANOGRAM_*` and `ANTHROPIC_*` variables; unknown or malformed values are reported.
    package static func fromEnvironment(
        _ env: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AppConfiguration {
        var c = AppConfiguration()
        func int(_ key: String, _ apply: (Int) -> Void) throws {
            guard let raw = env[key] else { return }
            guard let v = Int(raw), v >= 0 else {
                throw ConfigurationError("\(key) must be a whole number, got \"\(raw)\"")
            }
            apply(v)
        }
        func double(_ key: String, _ apply: (Double) -> Void) throws {
            guard let raw = env[key] else { return }
            guard let v = Double(raw), v > 0 else {
                throw ConfigurationError("\(key) must be a positive number, got \"\(raw)\"")
            }
            apply(v)
        }
        if let v = env["PLANOGRAM_HOST"] { c.host = v }
        try int("PLANOGRAM_PORT") { c.port = $0 }
        if let v = env["PLANOGRAM_DB"] { c.databasePath = v }
        if let v = env["PLANOGRAM_DATABASE_URL"], !v.isEmpty {
            guard v.hasPrefix("postgresql://") || v.hasPrefix("postgres://") else {
                throw ConfigurationError(
                    "PLANOGRAM_DATABASE_URL must be a postgresql:// URL, got \"\(PostgresDatabase.redact(v))\""
                )
            }
            c.databaseURL = v
        }
        if let v = env["PLANOGRAM_REDIS_URL"], !v.isEmpty {
            guard let url = RedisURL(v) else {
                throw ConfigurationError(
                    "PLANOGRAM_REDIS_URL must be redis://[:password@]host[:port][/db], got \"\(v.split(separator: "@").last ?? "")\""
                )
            }
            c.redisURL = url
        }
        if let v = env["PLANOGRAM_NODE_ID"], !v.isEmpty { c.nodeID = v }
        try int("PLANOGRAM_REASONING_REDIS_TTL_SECONDS") { c.reasoningRedisTTLSeconds = max(1, $0) }
        if let v = env["PLANOGRAM_WEB"] { c.webRoot = v }
        if let v = env["PLANOGRAM_FIXTURES"] { c.fixturesDirectory = v }
        if let v = env["PLANOGRAM_SECRET"], !v.isEmpty { c.secret = v }
        if let v = env["ANTHROPIC_API_KEY"], !v.isEmpty { c.reasoning.apiKey = v }
        if let v = env["ANTHROPIC_BASE_URL"], !v.isEmpty { c.reasoning.baseURL = v }
        if let v = env["PLANOGRAM_PLACEMENT_MODEL"] { c.reasoning.placementModel = v }
        if let v = env["PLANOGRAM_ANALYSIS_MODEL"] { c.reasoning.analysisModel = v }
        if let v = env["PLANOGRAM_LOG_LEVEL"] { c.logLevel = v }
        try double("PLANOGRAM_AI_DAILY_BUDGET_USD") { c.reasoning.dailySpendCapUSD = $0 }
        try double("PLANOGRAM_AI_CONNECT_TIMEOUT_SECONDS") { c.reasoning.connectTimeout = $0 }
        try double("PLANOGRAM_AI_READ_TIMEOUT_SECONDS") { c.reasoning.readTimeout = $0 }
        try int("PLANOGRAM_AI_MAX_ATTEMPTS") { c.reasoning.maxAttempts = max(1, $0) }
        try int("PLANOGRAM_AI_PLACEMENT_MAX_TOKENS") { c.reasoning.placementMaxTokens = max(16, $0) }
        try int("PLANOGRAM_AI_ANALYSIS_MAX_TOKENS") { c.reasoning.analysisMaxTokens = max(16, $0) }
        try int("PLANOGRAM_AI_SETTLE_MS") { c.aiSettleMilliseconds = $0 }
        try int("PLANOGRAM_AI_REPLAY_PAUSE_MS") { c.reasoning.replayDeltaPause = Double($0) / 1000 }
        if let v = env["PLANOGRAM_AI_CA_BUNDLE"], !v.isEmpty { c.reasoning.caBundle = v }
        try int("PLANOGRAM_MAX_BODY_BYTES") { c.maxBodyBytes = $0 }
        try int("PLANOGRAM_MAX_IMPORT_BYTES") { c.maxImportBodyBytes = $0 }
        try int("PLANOGRAM_MAX_CONNECTIONS") { c.maxConnections = $0 }
        try int("PLANOGRAM_SUBSCRIBER_BUFFER_BYTES") { c.subscriberBufferBytes = $0 }
        try double("PLANOGRAM_HEARTBEAT_SECONDS") { c.heartbeatSeconds = $0 }
        try double("PLANOGRAM_REQUEST_TIMEOUT_SECONDS") { c.requestTimeoutSeconds = $0 }
        try double("PLANOGRAM_IDLE_TIMEOUT_SECONDS") { c.idleTimeoutSeconds = $0 }
        try double("PLANOGRAM_SHUTDOWN_GRACE_SECONDS") { c.shutdownGraceSeconds = $0 }
        try int("PLANOGRAM_FRAME_INTERVAL_MS") { c.frameIntervalMilliseconds = $0 }
        try int("PLANOGRAM_CHECKPOINT_OPS") { c.checkpointEveryOps = $0 }
        try double("PLANOGRAM_CHECKPOINT_SECONDS") { c.checkpointEverySeconds = $0 }
        try int("PLANOGRAM_LOOPS") { c.loops = max(1, $0) }
        try double("PLANOGRAM_CHANGE_COST_PER_SLOT") { c.changeCostPerSlot = $0 }
        try int("PLANOGRAM_PREDICTION_TTL_SECONDS") { c.predictionTTLSeconds = $0 }
        try int("PLANOGRAM_REPLAY_EVENTS") { c.replayEvents = max(1, $0) }
        try int("PLANOGRAM_DERIVED_INTERVAL_MS") { c.derivedIntervalMilliseconds = $0 }
        for route in RateLimiter.Route.allCases {
            let key = "PLANOGRAM_RATE_\(route.rawValue.uppercased())"
            guard let raw = env[key] else { continue }
            guard let limit = RateLimit(text: raw) else {
                throw ConfigurationError("\(key) must be RATE or RATE:BURST per second, or off; got \"\(raw)\"")
            }
            c.rateLimits[route] = limit
        }
        try int("PLANOGRAM_MAX_LOG_REPLAY") { c.maxLogReplay = $0 }
        try int("PLANOGRAM_OPLOG_KEEP") { c.opLogKeep = max(1, $0) }
        try int("PLANOGRAM_IDEMPOTENCY_OPS") { c.idempotencyCapacity = max(1, $0) }
        try double("PLANOGRAM_IDEMPOTENCY_SECONDS") { c.idempotencyMaxAgeSeconds = $0 }
        try int("PLANOGRAM_OPLOG_BUSY_TIMEOUT_MS") { c.opLogBusyTimeoutMilliseconds = $0 }
        try int("PLANOGRAM_MAX_BLOCKING_REQUESTS") { c.maxBlockingRequests = max(1, $0) }
        if let raw = env["PLANOGRAM_NIGHTLY_PLAN_AT"], !raw.isEmpty {
            if raw.lowercased() == "off" {
                c.nightlyPlanAt = nil
            } else if let m = TimeWindow.minute(raw), m < 24 * 60 {
                c.nightlyPlanAt = m
            } else {
                throw ConfigurationError(
                    "PLANOGRAM_NIGHTLY_PLAN_AT must be HH:MM on the fleet's clock, or off; got \"\(raw)\""
                )
            }
        }
        try int("PLANOGRAM_JOBS_QUEUED") { c.jobsQueued = $0 }
        try int("PLANOGRAM_JOBS_PER_USER") { c.jobsPerUser = $0 }
        try int("PLANOGRAM_JOBS_ADMIN_RESERVE") { c.jobsAdminReserve = $0 }
        try double("PLANOGRAM_VISIT_COST") { c.visitCost = $0 }
        try int("PLANOGRAM_MAX_VISIT_INTERVAL_DAYS") { c.maxVisitIntervalDays = max(1, min(60, $0)) }
        try double("PLANOGRAM_ROUTE_DETOUR") { c.routeDetour = max(1, $0) }
        try double("PLANOGRAM_ROUTE_SPEED_KMH") { c.routeSpeedKmh = max(1, $0) }
        try double("PLANOGRAM_ROUTE_COST_PER_KM") { c.routeCostPerKm = $0 }
        try double("PLANOGRAM_ROUTE_COST_PER_HOUR") { c.routeCostPerHour = $0 }
        try double("PLANOGRAM_LOAD_SECONDS_PER_UNIT") { c.loadSecondsPerUnit = $0 }
        if let v = env["PLANOGRAM_VRP_SOLVER"], !v.isEmpty { c.routeSolverCommand = v }
        if let raw = env["PLANOGRAM_TIMEZONE"], !raw.isEmpty {
            guard let clock = FleetClock(identifier: raw) else {
                throw ConfigurationError(
                    "PLANOGRAM_TIMEZONE must be an IANA time zone such as Europe/Berlin or UTC, got \"\(raw)\""
                )
            }
            c.clock = clock
        }
        if let raw = env["PLANOGRAM_EMPTY_SLOT_HOUR_COST"] {
            guard let v = Double(raw), v.isFinite, v >= 0 else {
                throw ConfigurationError(
                    "PLANOGRAM_EMPTY_SLOT_HOUR_COST must be a number of at least 0, got \"\(raw)\""
                )
            }
            c.emptySlotHourCost = v
        }
        if let raw = env["PLANOGRAM_EXPIRY_VISIT_UNITS"] {
            guard let v = Double(raw), v.isFinite, v > 0 else {
                throw ConfigurationError("PLANOGRAM_EXPIRY_VISIT_UNITS must be a number above 0, got \"\(raw)\"")
            }
            c.expiryVisitUnits = v
        }
        if let raw = env["PLANOGRAM_SERVICE_LEVEL"] {
            guard let v = Double(raw), v > 0.5, v < 1 else {
                throw ConfigurationError("PLANOGRAM_SERVICE_LEVEL must be between 0.5 and 1, got \"\(raw)\"")
            }
            c.serviceLevel = v
        }
        if let raw = env["PLANOGRAM_PERISHABLE_SERVICE_LEVEL"] {
            guard let v = Double(raw), v >= 0.5, v < 1 else {
                throw ConfigurationError(
                    "PLANOGRAM_PERISHABLE_SERVICE_LEVEL must be at least 0.5 and below 1, got \"\(raw)\""
                )
            }
            c.perishableServiceLevel = v
        }
        if let raw = env["PLANOGRAM_PICK_RULE"] {
            guard let v = PickRule(rawValue: raw.lowercased()) else {
                throw ConfigurationError("PLANOGRAM_PICK_RULE must be model, par or max, got \"\(raw)\"")
            }
            c.pickRule = v
        }
        if let v = env["PLANOGRAM_OPLOG_SYNC"] {
            switch v.lowercased() {
            case "full": c.opLogFullSync = true
            case "normal": c.opLogFullSync = false
            default: throw ConfigurationError("PLANOGRAM_OPLOG_SYNC must be full or normal, got \"\(v)\"")
            }
        }
        return c
    }

    /// Checks values that would make the server misbehave.
    package func validate() throws {
        guard (0...65535).contains(port) else { throw ConfigurationError("port must be 0...65535, got \(port)") }
        guard heartbeatSeconds <= 15 else {
            throw ConfigurationError("heartbeat must be at most 15 s (SSE contract), got \(heartbeatSeconds)")
        }
        guard maxBodyBytes >= 1024 else { throw ConfigurationError("max body must be at least 1024 bytes") }
        guard subscriberBufferBytes >= 4096 else {
            throw ConfigurationError("subscriber buffer must be at least 4096 bytes")
        }
        if let s = secret, s.utf8.count < 16 {
            throw ConfigurationError(
                "PLANOGRAM_SECRET must be at least 16 bytes (32 random bytes recommended), got \(s.utf8.count)"
            )
        }
        guard frameIntervalMilliseconds >= 1 && frameIntervalMilliseconds <= 400 else {
            throw ConfigurationError("frame interval must be 1...400 ms so drags arrive within 500 ms")
        }
    }

    /// The engine's part of the configuration.
    package var http: HTTPServerConfiguration {
        var h = HTTPServerConfiguration()
        h.host = host
        h.port = port
        h.loopCount = loops
        h.maxBodyBytes = maxBodyBytes
        h.maxConnections = maxConnections
        h.maxSubscriberBufferBytes = subscriberBufferBytes
        h.heartbeatInterval = heartbeatSeconds
        h.requestReadTimeout = requestTimeoutSeconds
        h.idleTimeout = idleTimeoutSeconds
        h.shutdownGrace = shutdownGraceSeconds
        return h
    }

    /// Every setting as text, secrets masked: for the start-up log.
    package var described: [String: String] {
        [
            "host": host, "port": String(port), "db": databaseURL.map(PostgresDatabase.redact) ?? databasePath,
            "redis": redisURL?.description ?? "none", "node": nodeID, "web": webRoot, "fixtures": fixturesDirectory,
            "demo": String(demo), "secret": secret == nil ? "unset" : "***",
            "anthropic_api_key": reasoning.apiKey == nil ? "unset" : "***", "anthropic_base_url": reasoning.baseURL,
            "placement_model": reasoning.placementModel, "analysis_model": reasoning.analysisModel,
            "ai_daily_budget_usd": String(reasoning.dailySpendCapUSD), "ai_settle_ms": String(aiSettleMilliseconds),
            "ai_connect_timeout_s": String(reasoning.connectTimeout),
            "ai_read_timeout_s": String(reasoning.readTimeout),
            "max_body_bytes": String(maxBodyBytes), "max_import_bytes": String(maxImportBodyBytes),
            "max_connections": String(maxConnections), "subscriber_buffer_bytes": String(subscriberBufferBytes),
            "heartbeat_s": String(heartbeatSeconds), "request_timeout_s": String(requestTimeoutSeconds),
            "idle_timeout_s": String(idleTimeoutSeconds), "shutdown_grace_s": String(shutdownGraceSeconds),
            "frame_interval_ms": String(frameIntervalMilliseconds), "checkpoint_ops": String(checkpointEveryOps),
            "checkpoint_s": String(checkpointEverySeconds), "loops": String(loops), "log_level": logLevel,
            "rate_limits": RateLimiter.Route.allCases.map { "\($0.rawValue)=\(rateLimits[$0] ?? .unlimited)" }.joined(
                separator: " "
            ),
            "idempotency": "\(idempotencyCapacity) ops / \(idempotencyMaxAgeSeconds) s",
            "oplog_keep": String(opLogKeep),
            "jobs":
                "\(jobShare.maxQueued) queued, \(jobShare.perUser) per user, \(jobShare.adminReserve) kept for admins",
        ]
    }
}

/// A configuration value that cannot be used.
package struct ConfigurationError: Error, CustomStringConvertible {
    package let description: String
    package init(_ d: String) { description = d }
}

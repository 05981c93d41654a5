import EventLoopHTTP
import Foundation
import Reasoning

/// The server's whole configuration: one struct with defaults, filled from the environment and then
/// from command-line flags (flags win), printed at start with secrets masked.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var databasePath = "./data/planogram.db"
    public var webRoot = "./Web"
    public var fixturesDirectory = "./Fixtures/demo"
    public var demo = false
    /// HMAC key of the bearer tokens. Nil until set; demo mode makes one and says so.
    public var secret: String?
    public var anthropicAPIKey: String?
    public var anthropicBaseURL = "https://api.anthropic.com"
    public var placementModel = "claude-haiku-4-5"
    public var analysisModel = "claude-sonnet-4-5"
    public var logLevel = "info"
    /// Claude explanations: budget, timeouts and the settle debounce.
    public var aiDailySpendCapUSD = 5.0
    public var aiConnectTimeoutSeconds = 5.0
    public var aiReadTimeoutSeconds = 20.0
    public var aiMaxAttempts = 3
    public var aiPlacementMaxTokens = 300
    public var aiAnalysisMaxTokens = 700
    /// A placement is explained once no op has touched its slot for this long.
    public var aiSettleMilliseconds = 1500
    /// CAs to trust for the Anthropic API instead of the system's (a TLS-inspecting proxy).
    public var aiCABundle: String?
    /// Pause between replayed deltas (cache hits, the rules narrator), so they read as a stream.
    public var aiReplayDeltaPauseMilliseconds = 12

    // Limits and cadences.
    public var maxBodyBytes = 1 << 20
    public var maxImportBodyBytes = 256 << 20
    public var maxConnections = 19_000
    public var subscriberBufferBytes = 512 * 1024
    public var heartbeatSeconds = 10.0
    public var requestTimeoutSeconds = 10.0
    public var idleTimeoutSeconds = 60.0
    public var shutdownGraceSeconds = 5.0
    public var frameIntervalMilliseconds = 50
    public var checkpointEveryOps = 200
    public var checkpointEverySeconds = 30.0
    public var loops = max(1, System.coreCount)
    /// Cost of changing one slot (labour, waste), for break-even days of a revenue prediction.
    public var changeCostPerSlot = 2.5
    /// fsync every op-log commit (survives power loss) rather than leave it to the OS (survives kill -9).
    public var opLogFullSync = false
    /// Least time between two rounds of a session's derived events (scores, heat map, forecast).
    public var derivedIntervalMilliseconds = 200
    /// Fit the models after the server starts listening (true for `serve`) rather than before.
    public var fitInsightsInBackground = false
    /// Events each live session keeps in memory for resumes (older ones come from the op log).
    public var replayEvents = 4096
    /// How long a stored revenue prediction stays valid.
    public var predictionTTLSeconds = 24 * 3600

    public init() {}

    /// Reads the `PLANOGRAM_*` and `ANTHROPIC_*` variables; unknown or malformed values are reported.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var c = AppConfiguration()
        func int(_ key: String, _ apply: (Int) -> Void) throws {
            guard let raw = env[key] else { return }
            guard let v = Int(raw), v >= 0 else { throw ConfigurationError("\(key) must be a whole number, got \"\(raw)\"") }
            apply(v)
        }
        func double(_ key: String, _ apply: (Double) -> Void) throws {
            guard let raw = env[key] else { return }
            guard let v = Double(raw), v > 0 else { throw ConfigurationError("\(key) must be a positive number, got \"\(raw)\"") }
            apply(v)
        }
        if let v = env["PLANOGRAM_HOST"] { c.host = v }
        try int("PLANOGRAM_PORT") { c.port = $0 }
        if let v = env["PLANOGRAM_DB"] { c.databasePath = v }
        if let v = env["PLANOGRAM_WEB"] { c.webRoot = v }
        if let v = env["PLANOGRAM_FIXTURES"] { c.fixturesDirectory = v }
        if let v = env["PLANOGRAM_SECRET"], !v.isEmpty { c.secret = v }
        if let v = env["ANTHROPIC_API_KEY"], !v.isEmpty { c.anthropicAPIKey = v }
        if let v = env["ANTHROPIC_BASE_URL"], !v.isEmpty { c.anthropicBaseURL = v }
        if let v = env["PLANOGRAM_PLACEMENT_MODEL"] { c.placementModel = v }
        if let v = env["PLANOGRAM_ANALYSIS_MODEL"] { c.analysisModel = v }
        if let v = env["PLANOGRAM_LOG_LEVEL"] { c.logLevel = v }
        try double("PLANOGRAM_AI_DAILY_BUDGET_USD") { c.aiDailySpendCapUSD = $0 }
        try double("PLANOGRAM_AI_CONNECT_TIMEOUT_SECONDS") { c.aiConnectTimeoutSeconds = $0 }
        try double("PLANOGRAM_AI_READ_TIMEOUT_SECONDS") { c.aiReadTimeoutSeconds = $0 }
        try int("PLANOGRAM_AI_MAX_ATTEMPTS") { c.aiMaxAttempts = max(1, $0) }
        try int("PLANOGRAM_AI_PLACEMENT_MAX_TOKENS") { c.aiPlacementMaxTokens = max(16, $0) }
        try int("PLANOGRAM_AI_ANALYSIS_MAX_TOKENS") { c.aiAnalysisMaxTokens = max(16, $0) }
        try int("PLANOGRAM_AI_SETTLE_MS") { c.aiSettleMilliseconds = $0 }
        try int("PLANOGRAM_AI_REPLAY_PAUSE_MS") { c.aiReplayDeltaPauseMilliseconds = $0 }
        if let v = env["PLANOGRAM_AI_CA_BUNDLE"], !v.isEmpty { c.aiCABundle = v }
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
    public func validate() throws {
        guard (0...65535).contains(port) else { throw ConfigurationError("port must be 0...65535, got \(port)") }
        guard heartbeatSeconds <= 15 else { throw ConfigurationError("heartbeat must be at most 15 s (SSE contract), got \(heartbeatSeconds)") }
        guard maxBodyBytes >= 1024 else { throw ConfigurationError("max body must be at least 1024 bytes") }
        guard subscriberBufferBytes >= 4096 else { throw ConfigurationError("subscriber buffer must be at least 4096 bytes") }
        guard frameIntervalMilliseconds >= 1 && frameIntervalMilliseconds <= 400 else {
            throw ConfigurationError("frame interval must be 1...400 ms so drags arrive within 500 ms")
        }
    }

    /// The reasoning service's part of the configuration.
    public var reasoning: ReasoningSettings {
        var r = ReasoningSettings()
        r.apiKey = anthropicAPIKey
        r.baseURL = anthropicBaseURL
        r.placementModel = placementModel
        r.analysisModel = analysisModel
        r.placementMaxTokens = aiPlacementMaxTokens
        r.analysisMaxTokens = aiAnalysisMaxTokens
        r.connectTimeout = aiConnectTimeoutSeconds
        r.readTimeout = aiReadTimeoutSeconds
        r.maxAttempts = aiMaxAttempts
        r.dailySpendCapUSD = aiDailySpendCapUSD
        r.replayDeltaPause = Double(aiReplayDeltaPauseMilliseconds) / 1000
        r.caBundle = aiCABundle
        return r
    }

    /// The engine's part of the configuration.
    public var http: HTTPServerConfiguration {
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
    public var described: [String: String] {
        [
            "host": host, "port": String(port), "db": databasePath, "web": webRoot, "fixtures": fixturesDirectory,
            "demo": String(demo), "secret": secret == nil ? "unset" : "***",
            "anthropic_api_key": anthropicAPIKey == nil ? "unset" : "***", "anthropic_base_url": anthropicBaseURL,
            "placement_model": placementModel, "analysis_model": analysisModel,
            "ai_daily_budget_usd": String(aiDailySpendCapUSD), "ai_settle_ms": String(aiSettleMilliseconds),
            "ai_connect_timeout_s": String(aiConnectTimeoutSeconds), "ai_read_timeout_s": String(aiReadTimeoutSeconds),
            "max_body_bytes": String(maxBodyBytes), "max_import_bytes": String(maxImportBodyBytes),
            "max_connections": String(maxConnections), "subscriber_buffer_bytes": String(subscriberBufferBytes),
            "heartbeat_s": String(heartbeatSeconds), "request_timeout_s": String(requestTimeoutSeconds),
            "idle_timeout_s": String(idleTimeoutSeconds), "shutdown_grace_s": String(shutdownGraceSeconds),
            "frame_interval_ms": String(frameIntervalMilliseconds), "checkpoint_ops": String(checkpointEveryOps),
            "checkpoint_s": String(checkpointEverySeconds), "loops": String(loops), "log_level": logLevel,
        ]
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            Settings come from flags, then PLANOGRAM_* / ANTHROPIC_* environment variables, then defaults.
            See README.md and docs/OPERATIONS.md for the full list.
            """
    )

    @Option(help: "Address to listen on (PLANOGRAM_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (PLANOGRAM_PORT).") var port: Int?
    @Option(help: "SQLite database path (PLANOGRAM_DB); default ./data/planogram.db.") var db: String?
    @Option(help: "Directory of the web front end (PLANOGRAM_WEB); default ./Web.") var web: String?
    @Option(help: "Fleet loaded into an empty database (PLANOGRAM_FIXTURES); default ./Fixtures/demo.") var fixtures:
        String?
    @Flag(help: "Demo mode: makes a token secret if none is set and prints a token per role.") var demo = false
    @Option(help: "Largest request body in bytes (PLANOGRAM_MAX_BODY_BYTES).") var maxBodyBytes: Int?
    @Option(help: "Most open connections (PLANOGRAM_MAX_CONNECTIONS).") var maxConnections: Int?
    @Option(help: "Bytes an SSE subscriber may lag before it is cut off (PLANOGRAM_SUBSCRIBER_BUFFER_BYTES).")
    var subscriberBufferBytes: Int?
    @Option(help: "Drag frame interval in ms (PLANOGRAM_FRAME_INTERVAL_MS).") var frameIntervalMs: Int?
    @Option(help: "Checkpoint a session every N ops (PLANOGRAM_CHECKPOINT_OPS).") var checkpointOps: Int?
    @Option(help: "Checkpoint a session every T seconds (PLANOGRAM_CHECKPOINT_SECONDS).") var checkpointSeconds: Double?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (PLANOGRAM_LOG_LEVEL).")
    var logLevel: String?

    func run() throws {
        var config = try AppConfiguration.fromEnvironment()
        if let host { config.host = host }
        if let port { config.port = port }
        if let db { config.databasePath = db }
        if let web { config.webRoot = web }
        if let fixtures { config.fixturesDirectory = fixtures }
        config.fitInsightsInBackground = true
        if demo { config.demo = true }
        if let maxBodyBytes { config.maxBodyBytes = maxBodyBytes }
        if let maxConnections { config.maxConnections = maxConnections }
        if let subscriberBufferBytes { config.subscriberBufferBytes = subscriberBufferBytes }
        if let frameIntervalMs { config.frameIntervalMilliseconds = frameIntervalMs }
        if let checkpointOps { config.checkpointEveryOps = checkpointOps }
        if let checkpointSeconds { config.checkpointEverySeconds = checkpointSeconds }
        if let logLevel { config.logLevel = logLevel }
        do { try config.validate() } catch { throw ValidationError("\(error)") }

        StructuredLogHandler.bootstrap(level: config.logLevel)
        let logger = Logger(label: "planogram-live")
        logger.info("configuration", metadata: config.described.mapValues { .string($0) })
        let server: PlanogramServer
        do {
            server = try PlanogramServer(configuration: config, logger: logger)
            server.installSignalHandlers()
            try server.start()
        } catch {
            // A database or bus that cannot be reached exits with 69 (EX_UNAVAILABLE): worth a restart once it is back.
            let unavailable =
                (error as? PostgresError).map { $0.sqlState.hasPrefix("08") } ?? (error as? RedisError)?.connection
                ?? false
            logger.critical("cannot start", metadata: ["error": "\(error)", "unavailable": "\(unavailable)"])
            throw ExitCode(unavailable ? 69 : 1)
        }
        if config.demo {
            var lines = "demo tokens (valid 12 h):\n"
            for (role, token) in server.demoTokens() {
                lines += "  \(role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(token)\n"
            }
            FileHandle.standardError.write(Data(lines.utf8))
        }
        dispatchMain()
    }
}

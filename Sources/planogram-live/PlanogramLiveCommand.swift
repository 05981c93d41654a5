import ArgumentParser
import Dispatch
import Foundation
import Logging
import PlanogramLive

@main
struct PlanogramLiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planogram-live",
        abstract: "Realtime collaboration server for vending-machine planograms.",
        subcommands: [Serve.self]
    )
}

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
    @Flag(help: "Demo mode: makes a token secret if none is set and prints a token per role.") var demo = false
    @Option(help: "Largest request body in bytes (PLANOGRAM_MAX_BODY_BYTES).") var maxBodyBytes: Int?
    @Option(help: "Most open connections (PLANOGRAM_MAX_CONNECTIONS).") var maxConnections: Int?
    @Option(help: "Bytes an SSE subscriber may lag before it is cut off (PLANOGRAM_SUBSCRIBER_BUFFER_BYTES).") var subscriberBufferBytes: Int?
    @Option(help: "Drag frame interval in ms (PLANOGRAM_FRAME_INTERVAL_MS).") var frameIntervalMs: Int?
    @Option(help: "Checkpoint a session every N ops (PLANOGRAM_CHECKPOINT_OPS).") var checkpointOps: Int?
    @Option(help: "Checkpoint a session every T seconds (PLANOGRAM_CHECKPOINT_SECONDS).") var checkpointSeconds: Double?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (PLANOGRAM_LOG_LEVEL).") var logLevel: String?

    func run() throws {
        var config = try AppConfiguration.fromEnvironment()
        if let host { config.host = host }
        if let port { config.port = port }
        if let db { config.databasePath = db }
        if let web { config.webRoot = web }
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
        let server = PlanogramServer(configuration: config, logger: logger)
        server.installSignalHandlers()
        do { try server.start() } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        dispatchMain()
    }
}

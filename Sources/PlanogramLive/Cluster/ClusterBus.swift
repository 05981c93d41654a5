import Cluster
import Dispatch
import Foundation
import Logging

/// What one node tells the others (docs/OPERATIONS.md). Sent as JSON on one Redis channel; every node hears its
/// own messages too and ignores them by `node`.
struct ClusterMessage: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        /// An import finished: reload the catalogue, forget published planograms, refit or reload models.
        case imported
        /// A cabinet has a new published version (from a session or an experiment).
        case published
        /// The sender fitted and stored new models: load them.
        case modelsFitted = "models_fitted"
        /// A frame of a job the sender runs (`frame`; `terminal` for its last).
        case job
        /// Cancel the job `job_id` if the receiver runs it.
        case cancelJob = "cancel_job"
        /// The sender's live sessions, as the managers' dashboard lists them (sent when they change and
        /// at least every `ClusterDirectory.heartbeat` seconds; a node silent for `expiry` is gone).
        case sessions
    }

    var kind: Kind
    var node: String
    var deviceID: String?
    var cabinetIndex: Int?
    var version: Int?
    var by: String?
    /// For `sessions`: each session's summary, as JSON text (the dashboard's own encoding).
    var sessions: [String]?
    var jobID: String?
    /// For `job`: the SSE frame as text.
    var frame: String?
    var terminal: Bool?

    enum CodingKeys: String, CodingKey {
        case kind, node, version, by, sessions, frame, terminal
        case jobID = "job_id"
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
    }
}

/// The seam between nodes. `LocalClusterBus` (one process) sends nothing; `RedisClusterBus` publishes on
/// Redis and hands the other nodes' messages to `onMessage`.
protocol ClusterBus: AnyObject, Sendable {
    var nodeID: String { get }
    /// Whether other nodes may exist (a Redis bus).
    var isClustered: Bool { get }
    /// Sends without blocking the caller (the send runs on the bus's own queue).
    func send(_ message: ClusterMessage)
    /// Starts delivering other nodes' messages, and calls `onGap` after a reconnect (messages may have
    /// been missed: refresh).
    func start(onMessage: @escaping @Sendable (ClusterMessage) -> Void, onGap: @escaping @Sendable () -> Void) throws
    func stop()
}

final class LocalClusterBus: ClusterBus, @unchecked Sendable {
    let nodeID: String
    var isClustered: Bool { false }
    init(nodeID: String) { self.nodeID = nodeID }
    func send(_ message: ClusterMessage) {}
    func start(onMessage: @escaping @Sendable (ClusterMessage) -> Void, onGap: @escaping @Sendable () -> Void) throws {}
    func stop() {}
}

/// The bus on Redis pub/sub: one publishing connection confined to `queue`, one subscriber thread.
/// A send that fails (Redis away) is logged and dropped; the receivers refresh after their reconnect.
final class RedisClusterBus: ClusterBus, @unchecked Sendable {
    static let channel = "planogram:cluster"
    let nodeID: String
    var isClustered: Bool { true }
    private let url: RedisURL
    private let queue = DispatchQueue(label: "planogram.cluster.publish")
    private var connection: RedisConnection?
    private var subscriber: RedisSubscriber?
    private let logger: Logger
    /// Sends lost since the last warning, and when it was (confined to `queue`): one warning a minute
    /// while Redis is away, not one a heartbeat.
    private var unsent = 0
    private var warnedAt = 0.0

    init(url: RedisURL, nodeID: String, logger: Logger) {
        self.url = url
        self.nodeID = nodeID
        self.logger = logger
    }

    func send(_ message: ClusterMessage) {
        guard let body = try? JSONEncoder().encode(message) else { return }
        queue.async { [self] in
            do {
                if connection == nil { connection = try RedisConnection(url: url) }
                try connection!.command([Array("PUBLISH".utf8), Array(Self.channel.utf8), Array(body)])
                if unsent > 0 {
                    logger.notice("cluster bus reachable again", metadata: ["messages_lost": "\(unsent)"])
                    unsent = 0
                }
            } catch {
                connection = nil
                unsent += 1
                let now = Date().timeIntervalSince1970
                if now - warnedAt >= 60 {
                    warnedAt = now
                    logger.warning(
                        "cluster messages not sent: redis unavailable",
                        metadata: [
                            "kind": "\(message.kind.rawValue)", "lost_so_far": "\(unsent)", "error": "\(error)",
                        ]
                    )
                }
            }
        }
    }

    func start(onMessage: @escaping @Sendable (ClusterMessage) -> Void, onGap: @escaping @Sendable () -> Void) throws {
        let me = nodeID
        let sub = RedisSubscriber(url: url, channels: [Self.channel], onResubscribed: onGap) { _, payload in
            guard let m = try? JSONDecoder().decode(ClusterMessage.self, from: Data(payload)), m.node != me else {
                return
            }
            onMessage(m)
        }
        guard sub.start() else {
            throw RedisError(message: "could not subscribe to \(Self.channel) on \(url)", connection: true)
        }
        subscriber = sub
    }

    func stop() { subscriber?.stop() }
}

import Dispatch
import Foundation
import Sessions

/// The live sessions of the other nodes, for the managers' dashboard (`GET /api/sessions/events`) on
/// every node. Each node sends its own list when it changes and at least every `heartbeat` seconds; a
/// node not heard from for `expiry` seconds is dropped (its sessions move to the node that rebuilds
/// them). Thread-safe (one lock).
final class ClusterDirectory: RemoteSessions, @unchecked Sendable {
    static let heartbeat = 2.0
    static let expiry = 6.0

    private struct NodeList {
        var sessions: [SessionSummary]
        var heard: Double
    }

    private let lock = NSLock()
    private var nodes: [String: NodeList] = [:]
    private let now: @Sendable () -> Double

    /// `onNodeLost` runs with the name of a node that has not been heard from for `expiry` seconds (once).
    init(
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        onNodeLost: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.now = now
        self.onNodeLost = onNodeLost
    }

    /// A node's list as it sent it (JSON texts of the dashboard's session summaries).
    func update(node: String, sessions: [String]) {
        let parsed: [SessionSummary] = sessions.compactMap { text in
            guard var summary = try? JSONDecoder().decode(SessionSummary.self, from: Data(text.utf8)) else {
                return nil
            }
            summary.heldSince = nil  // between nodes only
            return summary
        }
        lock.lock()
        nodes[node] = NodeList(sessions: parsed, heard: now())
        lock.unlock()
    }

    /// Any message from `node` shows it alive (its session list stays as last sent; a node first heard
    /// this way lists none until its heartbeat).
    func touch(node: String) {
        lock.lock()
        if nodes[node] == nil { nodes[node] = NodeList(sessions: [], heard: now()) } else { nodes[node]!.heard = now() }
        lock.unlock()
    }

    private let onNodeLost: @Sendable (String) -> Void

    /// Drops the nodes silent for longer than `expiry`; returns their names.
    @discardableResult
    func expire() -> [String] {
        lock.lock()
        let t = now()
        let gone = nodes.filter { t - $0.value.heard > Self.expiry }.map(\.key)
        for n in gone { nodes.removeValue(forKey: n) }
        lock.unlock()
        for n in gone { onNodeLost(n) }
        return gone
    }

    /// The other nodes' sessions, without the ids in `local` (a session this node holds is its own);
    /// where two live nodes list one session, the one heard from last wins.
    func remoteSessions(excluding local: Set<String>) -> [(device: String, summary: SessionSummary)] {
        expire()
        lock.lock()
        let lists = nodes.values.sorted { $0.heard < $1.heard }
        lock.unlock()
        var byID: [String: (device: String, summary: SessionSummary)] = [:]
        for list in lists {
            for s in list.sessions where !local.contains(s.sessionID) { byID[s.sessionID] = (s.deviceID, s) }
        }
        return byID.values.map { $0 }
    }

    var nodeCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return nodes.count
    }
}

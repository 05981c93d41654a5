import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI

/// Sessions moving between the nodes of a cluster (docs/OPERATIONS.md). nginx sends every request of one cabinet's
/// session to one node; that node rebuilds the session from the store (its newest checkpoint and the op
/// log after it — every acknowledged op is there) when the first request arrives. When nginx's choice
/// moves (a node died, or came back), the new node loads the session and says so in its dashboard
/// heartbeat; a node that still holds a copy drops it and ends its subscribers' streams, which resume
/// on the new node through nginx with `Last-Event-ID`.
extension SessionRegistry {
    /// The session `id`, loaded from the store if this node does not hold it. `done` runs off the loops
    /// and session queues with nil when the session was never opened (or its cabinet is gone).
    package func load(_ id: String, done: @escaping @Sendable (Result<LiveSession?, Error>) -> Void) {
        if let s = session(id) {
            done(.success(s))
            return
        }
        loadQueue.async { [self] in
            if let s = session(id) {
                done(.success(s))
                return
            }
            let started = Date()
            do {
                guard let made = try rebuild(id) else {
                    done(.success(nil))
                    return
                }
                lock.lock()
                let winner: LiveSession
                if let s = sessions[id] {
                    winner = s
                } else {
                    sessions[id] = made
                    winner = made
                }
                liveGauge.record(sessions.count)
                lock.unlock()
                if winner === made {
                    env.logger.info(
                        "session loaded on this node",
                        metadata: [
                            "session": "\(id)", "seq": "\(made.state.committed.seq)",
                            "milliseconds": "\(Int(Date().timeIntervalSince(started) * 1000))",
                        ]
                    )
                    made.queue.async { made.modelsChanged() }
                }
                done(.success(winner))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// Another node holds `id` now: this node's copy is dropped without writing anything (every
    /// acknowledged op is in the log already, and a checkpoint from here could only be older than the
    /// holder's), and its subscribers' streams end.
    package func evict(_ id: String) {
        lock.lock()
        let s = sessions.removeValue(forKey: id)
        liveGauge.record(sessions.count)
        lock.unlock()
        guard let s else { return }
        env.logger.notice("session held by another node; dropped here", metadata: ["session": "\(id)"])
        s.queue.async { s.bus.closeAll() }
    }
}

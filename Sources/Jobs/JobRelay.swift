import EventLoopHTTP
import Foundation
import HTTPAPI

/// Jobs seen from the other nodes of a cluster (docs/OPERATIONS.md: job progress crosses nodes). The node running
/// a job sends each progress frame (at most ten a second) and its last frame over the cluster bus; a
/// node asked for the events of a job it does not run streams them from there, starting from the state
/// in the store; a cancel asked of another node is passed to the one running it.
/// Confinement: `watchers` under `lock`.
package final class JobRelay: @unchecked Sendable {
    private let loops: EventLoopGroup
    private let lock = NSLock()
    private var watchers: [String: Broadcaster] = [:]

    package init(loops: EventLoopGroup) { self.loops = loops }

    /// Streams the frames of job `id` as the node running it sends them, after `first` (its state now).
    package func watch(_ id: String, _ stream: EventStream, first: [UInt8]?) {
        lock.lock()
        let b = watchers[id] ?? Broadcaster(group: loops)
        watchers[id] = b
        if let first { stream.send(first) }
        b.subscribe(stream)
        lock.unlock()
    }

    /// Ends the watchers of jobs that have ended in the store meanwhile (their node died without sending
    /// a last frame, and `JobRunner.markLost` failed them). Blocking (reads the store).
    package func settle(_ runner: JobRunner) {
        lock.lock()
        let ids = Array(watchers.keys)
        lock.unlock()
        for id in ids {
            guard let o = (try? runner.describe(id)) ?? nil, !["queued", "running"].contains(o.state) else { continue }
            frame(
                id,
                JobRunner.terminalFrame(
                    id,
                    state: JobRunner.State(rawValue: o.state) ?? .failed,
                    result: o.result,
                    error: o.error
                ),
                terminal: true
            )
        }
    }

    /// A frame of a job running on another node.
    package func frame(_ id: String, _ bytes: [UInt8], terminal: Bool) {
        lock.lock()
        let b = watchers[id]
        if terminal { watchers.removeValue(forKey: id) }
        lock.unlock()
        guard let b else { return }
        if terminal { b.forEachSubscriber { $0.close(final: bytes) } } else { b.publish(bytes) }
    }
}

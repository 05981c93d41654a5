import Dispatch
import Foundation
import Metrics
import Store

/// The durable side of live sessions: the op log and checkpoints, written by one dedicated queue
/// with its own SQLite connection and group commit — everything that arrived while the previous
/// transaction ran is written in the next one, then every waiter of the batch is completed in order.
/// Acknowledgements therefore wait for at most one transaction in flight plus their own.
///
/// Confinement: `db` is used only on `queue`; `pending` and `scheduled` are guarded by `lock`.
final class OpLogWriter: @unchecked Sendable {
    enum Entry {
        case op(sessionID: String, seq: Int64, version: Int, user: String, clientOpID: String, op: String, result: String, at: Int64)
        case checkpoint(sessionID: String, seq: Int64, version: Int, snapshot: String, at: Int64)
    }

    private let db: SQLiteDatabase
    private let queue = DispatchQueue(label: "planogram.oplog", qos: .userInitiated)
    private let lock = NSLock()
    private var pending: [(Entry, @Sendable (Error?) -> Void)] = []
    private var scheduled = false
    private let batchSize = Recorder(label: "oplog_batch_size")
    private let commitSeconds = Timer(label: "oplog_commit_seconds")

    /// `fullSync` (synchronous=FULL): each commit is fsynced before ops are acknowledged, so they
    /// survive power loss. Without it (synchronous=NORMAL in WAL mode) a commit is in the operating
    /// system's hands when acknowledged: it survives the process being killed (`kill -9`), not a power
    /// cut of the machine.
    init(path: String, fullSync: Bool) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute(fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
    }

    /// Queues an entry; `done` runs on the writer's queue once its transaction committed (or failed).
    func append(_ entry: Entry, done: @escaping @Sendable (Error?) -> Void) {
        lock.lock()
        pending.append((entry, done))
        let start = !scheduled
        scheduled = true
        lock.unlock()
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            lock.lock()
            let batch = pending
            pending = []
            if batch.isEmpty { scheduled = false; lock.unlock(); return }
            lock.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            var failure: Error?
            do {
                try db.transaction {
                    for (entry, _) in batch { try write(entry) }
                }
            } catch { failure = error }
            commitSeconds.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            batchSize.record(batch.count)
            for (_, done) in batch { done(failure) }
        }
    }

    private func write(_ e: Entry) throws {
        switch e {
        case let .op(sid, seq, version, user, client, op, result, at):
            try db.run("INSERT INTO op_log(session_id, seq, version, user_id, client_op_id, op, result, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [.text(sid), .int(seq), .of(version), .text(user), .text(client), .text(op), .text(result), .int(at)])
        case let .checkpoint(sid, seq, version, snapshot, at):
            try db.run("INSERT OR REPLACE INTO session_checkpoints(session_id, seq, version, snapshot, at) VALUES (?, ?, ?, ?, ?)",
                       [.text(sid), .int(seq), .of(version), .text(snapshot), .int(at)])
            // Older checkpoints are no longer needed for recovery.
            try db.run("DELETE FROM session_checkpoints WHERE session_id = ? AND seq < ?", [.text(sid), .int(seq)])
        }
    }

    /// Waits until everything queued so far is committed (shutdown).
    func flush() {
        queue.sync {} // a drain already scheduled runs before this block, on the same serial queue
    }

    /// Reads on the writer's connection (recovery at start, before any writes).
    func read<T>(_ body: (SQLiteDatabase) throws -> T) rethrows -> T {
        try queue.sync { try body(db) }
    }
}

import Dispatch
import Foundation
import Metrics
import PlanogramDomain
import Store

/// The durable side of live sessions: the op log, publishes and checkpoints, written by one dedicated
/// queue with its own SQLite connection and group commit — everything that arrived while the previous
/// transaction ran is written in the next one, then every waiter of the batch is completed in order.
/// Acknowledgements therefore wait for at most one transaction in flight plus their own.
///
/// Failure is contained and ordered:
/// - each entry is written under its own savepoint: a row that fails (a constraint, say) fails only its
///   own entry, never the other sessions' ops in the same batch;
/// - when an entry of a session fails, every later entry of that session from the same rollback epoch
///   is refused without being written (the session is rolling those changes back, and their seqs will be
///   reused), so the log never holds a change after a gap;
/// - a failed commit (SQLITE_BUSY beyond the busy timeout, SQLITE_FULL, an I/O error) fails every entry
///   of the batch, and nothing of it is in the file.
///
/// Confinement: `db` and `fenced` are used only on `queue`; `pending` and `scheduled` are guarded by `lock`.
package final class OpLogWriter: @unchecked Sendable {
    enum Entry: Sendable {
        case op(
            sessionID: String,
            seq: Int64,
            version: Int,
            epoch: Int,
            user: String,
            clientOpID: String,
            op: String,
            at: Int64
        )
        /// A publish: the planogram becomes the cabinet's next published version and the change is logged,
        /// in one savepoint (both or neither).
        case publish(
            sessionID: String,
            seq: Int64,
            version: Int,
            epoch: Int,
            user: String,
            clientOpID: String,
            planogram: Planogram,
            at: Int64
        )
        /// A checkpoint; the op log up to `compactBefore` (exclusive) is dropped with it.
        case checkpoint(sessionID: String, seq: Int64, version: Int, snapshot: String, at: Int64, compactBefore: Int64)

        var sessionID: String {
            switch self {
            case .op(let s, _, _, _, _, _, _, _), .publish(let s, _, _, _, _, _, _, _),
                .checkpoint(let s, _, _, _, _, _):
                return s
            }
        }

        /// The rollback epoch of a change (nil for a checkpoint, which is never fenced).
        var epoch: Int? {
            switch self {
            case .op(_, _, _, let e, _, _, _, _), .publish(_, _, _, let e, _, _, _, _): return e
            case .checkpoint: return nil
            }
        }
    }

    /// What an entry's completion gets.
    enum Outcome: Sendable {
        case written
        /// A publish was written as this planogram version.
        case published(Planogram)
    }

    /// Why an entry is not durable. `transient` failures (busy, disk full, I/O) are worth a retry later.
    struct WriteError: Error, CustomStringConvertible, Sendable {
        let description: String
        let transient: Bool
        /// Refused without being written: an earlier change of the same session failed.
        let fenced: Bool
        /// A key refused the row: the seq (or the client's op id) is taken — on a cluster, another node
        /// wrote this session meanwhile.
        var constraint = false
    }

    typealias Completion = @Sendable (Result<Outcome, WriteError>) -> Void

    private let db: any SQLConnection
    private let queue = DispatchQueue(label: "planogram.oplog", qos: .userInitiated)
    private let lock = NSLock()
    private var pending: [(Entry, Completion)] = []
    private var scheduled = false
    private var fenced: [String: Int] = [:]
    private let batchSize = Recorder(label: "oplog_batch_size")
    private let commitSeconds = Timer(label: "oplog_commit_seconds")
    private let failures = Counter(label: "oplog_write_failures_total")

    /// `fullSync` (synchronous=FULL): each commit is fsynced before ops are acknowledged, so they
    /// survive power loss. Without it (synchronous=NORMAL in WAL mode) a commit is in the operating
    /// system's hands when acknowledged: it survives the process being killed (`kill -9`), not a power
    /// cut of the machine. `busyTimeoutMilliseconds` bounds how long a commit waits for another writer.
    ///
    /// On PostgreSQL a commit is acknowledged after the server flushed its WAL (`synchronous_commit`
    /// on, the server's default), so both settings give durability across a crash of either process;
    /// `busyTimeoutMilliseconds` becomes the connection's `lock_timeout`.
    package init(location: StoreLocation, fullSync: Bool, busyTimeoutMilliseconds: Int32 = 2000) throws {
        db = try location.connect()
        if let sqlite = db as? SQLiteDatabase {
            sqlite.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
            try db.execute(fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        } else if let pg = db as? PostgresDatabase {
            try pg.keep(setting: "SET lock_timeout = \(busyTimeoutMilliseconds)")
            try pg.keep(setting: "SET synchronous_commit = on")
        }
    }

    /// The SQLite file at `path` (tests and tools).
    convenience init(path: String, fullSync: Bool, busyTimeoutMilliseconds: Int32 = 2000) throws {
        try self.init(
            location: .sqlite(path: path),
            fullSync: fullSync,
            busyTimeoutMilliseconds: busyTimeoutMilliseconds
        )
    }

    /// Queues an entry; `done` runs on the writer's queue once its transaction committed (or failed).
    func append(_ entry: Entry, done: @escaping Completion) {
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
            if batch.isEmpty {
                scheduled = false
                lock.unlock()
                return
            }
            lock.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            let results = write(batch.map(\.0))
            commitSeconds.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            batchSize.record(batch.count)
            for (i, (_, done)) in batch.enumerated() { done(results[i]) }
        }
    }

    /// Writes `entries` as one batch now, on the writer's queue (tests and tools; callers off the loops).
    func writeNow(_ entries: [Entry]) -> [Result<Outcome, WriteError>] {
        queue.sync { write(entries) }
    }

    /// Writes a batch in one transaction, one savepoint per entry. Returns each entry's result.
    private func write(_ entries: [Entry]) -> [Result<Outcome, WriteError>] {
        var results = [Result<Outcome, WriteError>](repeating: .success(.written), count: entries.count)
        var newlyFenced: [String: Int] = [:]
        func isFenced(_ e: Entry) -> Bool {
            guard let epoch = e.epoch else { return false }
            if let f = fenced[e.sessionID], epoch <= f { return true }
            if let f = newlyFenced[e.sessionID], epoch <= f { return true }
            return false
        }
        do {
            try db.begin()
        } catch {
            return failAll(entries, error)
        }
        for (i, e) in entries.enumerated() {
            if isFenced(e) {
                results[i] = .failure(
                    WriteError(description: "an earlier change of this session failed", transient: true, fenced: true)
                )
                continue
            }
            do {
                try db.execute("SAVEPOINT entry")
                results[i] = .success(try write(e))
                try db.execute("RELEASE entry")
            } catch {
                try? db.execute("ROLLBACK TO entry")
                try? db.execute("RELEASE entry")
                results[i] = .failure(Self.classify(error))
                if let epoch = e.epoch { newlyFenced[e.sessionID] = max(newlyFenced[e.sessionID] ?? epoch, epoch) }
                if !db.inTransaction {  // SQLite rolled the whole transaction back (disk full, I/O error)
                    return failAll(entries, error)
                }
            }
        }
        do {
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            return failAll(entries, error)
        }
        for (s, e) in newlyFenced { fenced[s] = max(fenced[s] ?? e, e) }
        return results
    }

    /// Every change of the batch failed: fence each session at its epoch.
    private func failAll(_ entries: [Entry], _ error: Error) -> [Result<Outcome, WriteError>] {
        failures.increment(by: Int64(entries.count))
        let w = Self.classify(error)
        for e in entries { if let epoch = e.epoch { fenced[e.sessionID] = max(fenced[e.sessionID] ?? epoch, epoch) } }
        return entries.map { _ in .failure(w) }
    }

    static func classify(_ error: Error) -> WriteError {
        if let e = error as? any SQLFailure {
            var w = WriteError(description: e.description, transient: e.isTransient, fenced: false)
            w.constraint = e.isConstraint
            return w
        }
        return WriteError(description: "\(error)", transient: false, fenced: false)
    }

    private func write(_ e: Entry) throws -> Outcome {
        switch e {
        case let .op(sid, seq, version, _, user, client, op, at):
            try insertOp(sid, seq, version, user, client, op, at)
            return .written
        case let .publish(sid, seq, version, _, user, client, planogram, at):
            let saved = try PlanogramRepository.insertPublished(db, planogram, by: user, at: at)
            try insertOp(
                sid,
                seq,
                version,
                user,
                client,
                "{\"type\":\"publish\",\"planogram_version\":\(saved.version)}",
                at
            )
            return .published(saved)
        case let .checkpoint(sid, seq, version, snapshot, at, compactBefore):
            try db.run(
                """
                INSERT INTO session_checkpoints(session_id, seq, version, snapshot, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (session_id, seq) DO UPDATE SET version = excluded.version, snapshot = excluded.snapshot, at = excluded.at
                """,
                [.text(sid), .int(seq), .of(version), .text(snapshot), .int(at)]
            )
            // Older checkpoints are no longer needed for recovery; the op log before the kept window neither.
            try db.run("DELETE FROM session_checkpoints WHERE session_id = ? AND seq < ?", [.text(sid), .int(seq)])
            if compactBefore > 0 {
                try db.run(
                    "DELETE FROM op_log WHERE session_id = ? AND seq < ?",
                    [.text(sid), .int(min(compactBefore, seq + 1))]
                )
            }
            return .written
        }
    }

    private func insertOp(
        _ sid: String,
        _ seq: Int64,
        _ version: Int,
        _ user: String,
        _ client: String,
        _ op: String,
        _ at: Int64
    ) throws {
        try db.run(
            "INSERT INTO op_log(session_id, seq, version, user_id, client_op_id, op, result, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .text(sid), .int(seq), .of(version), .text(user), .text(client), .text(op),
                .text("{\"seq\":\(seq),\"version\":\(version)}"), .int(at),
            ]
        )
    }

    /// Calls `done` on the writer's queue once everything queued before it is committed (or failed).
    func flush(_ done: @escaping @Sendable () -> Void) {
        queue.async(execute: done)  // a drain already scheduled runs before this block, on the same serial queue
    }

    /// Waits until everything queued so far is committed (shutdown only; never on a loop or session queue).
    func flushAndWait() {
        let s = DispatchSemaphore(value: 0)
        flush { s.signal() }
        s.wait()
    }

    /// Reads on the writer's connection, on its queue (recovery at start, before any writes).
    package func read<T>(_ body: (any SQLConnection) throws -> T) rethrows -> T {
        try queue.sync { try body(db) }
    }

    /// Runs `body` on the writer's queue with its connection, asynchronously (reads that must see
    /// every committed change, off the loops and session queues).
    func readAsync(_ body: @escaping @Sendable (any SQLConnection) -> Void) {
        queue.async { body(self.db) }
    }
}

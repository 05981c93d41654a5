import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import Logging
import Store

/// What a running job can do: report progress and see whether it was cancelled.
package final class JobContext: @unchecked Sendable {
    package let id: String
    private let runner: JobRunner
    private let cancelled = NSLock()
    private var isCancelledValue = false

    init(id: String, runner: JobRunner) {
        self.id = id
        self.runner = runner
    }

    package var isCancelled: Bool {
        cancelled.lock()
        defer { cancelled.unlock() }
        return isCancelledValue
    }
    func cancel() {
        cancelled.lock()
        isCancelledValue = true
        cancelled.unlock()
    }

    /// Reports progress (0…1) with a line for people; cheap to call often (events are at most 10 a second).
    package func progress(_ fraction: Double, _ message: String) { runner.progress(id, fraction, message) }
}

/// Why a job ends without a result.
package struct JobFailure: Error, Sendable {
    package let message: String

    package init(message: String) { self.message = message }
}

/// The job runner of docs/API.md: long work (fleet forecasts and plans; later optimisation and routing) runs on a
/// bounded number of worker threads, each job with its own cancellation, its progress published over SSE
/// (`progress` events, then `done` with the result, `failed` with the error, or `cancelled`), its state and
/// outcome kept in the store's `jobs` table. A job is never silent: a restart marks every job that was
/// queued or running `failed` with the reason, and a late subscriber gets the newest progress or the end.
///
/// Confinement: `jobs` and the per-job state are guarded by `lock`; the store is used off the loops.
package final class JobRunner: @unchecked Sendable {
    package enum State: String, Sendable { case queued, running, done, failed, cancelled }

    struct Job {
        let id: String
        let kind: String
        let createdBy: String
        /// The devices the job touches; nil: every device.
        let devices: Set<String>?
        var state: State
        var progress: Double
        var message: String
        var result: JSONValue?
        var error: String?
        var lastEvent: UInt64 = 0
        let context: JobContext
        let broadcaster: Broadcaster
        /// The newest progress frame and the terminal frame, for subscribers who join late.
        var lastProgressFrame: [UInt8]?
        var terminalFrame: [UInt8]?
    }

    /// A job's work; its result is one of the `APITypes` (or any Encodable value), kept as JSON.
    package typealias Work = @Sendable (JobContext) throws -> any Encodable

    private let lock = NSLock()
    private var jobs: [String: Job] = [:]
    /// On a cluster's node: the other nodes' jobs (their frames streamed here), and this node's told to them.
    package let cluster: JobClusterLink?
    /// The other nodes' jobs, on a cluster's node.
    package var relay: JobRelay? { cluster?.relay }
    private let store: Store
    private let loops: EventLoopGroup
    private let logger: Logger
    private let slots: DispatchSemaphore
    private var waiting = 0
    let share: JobShare

    package init(
        store: Store,
        loops: EventLoopGroup,
        logger: Logger,
        concurrency: Int = 2,
        share: JobShare = JobShare(),
        cluster: JobClusterLink? = nil
    ) {
        self.store = store
        self.loops = loops
        self.logger = logger
        slots = DispatchSemaphore(value: max(1, concurrency))
        self.share = share
        self.cluster = cluster
    }

    /// The node this runner's jobs are recorded under (a cluster's `PLANOGRAM_NODE_ID`; empty alone).
    package var nodeID: String { cluster?.nodeID ?? "" }

    /// At start: every job the previous run left queued or running ends as failed, with the reason — on a
    /// cluster only this node's (the others' jobs are running).
    package func markInterrupted() throws -> Int {
        try store.write { db in
            try db.run(
                "UPDATE jobs SET state = 'failed', error = 'the server restarted while the job was queued or running', updated_at = ? WHERE state IN ('queued', 'running') AND node = ?",
                [.int(Int64(Date().timeIntervalSince1970)), .text(nodeID)]
            )
        }
    }

    /// On a cluster: the unfinished jobs of a node that stopped answering end as failed.
    package func markLost(node: String) throws -> Int {
        try store.write { db in
            try db.run(
                "UPDATE jobs SET state = 'failed', error = ?, updated_at = ? WHERE state IN ('queued', 'running') AND node = ?",
                [
                    .text("node \(node) stopped answering while the job was queued or running"),
                    .int(Int64(Date().timeIntervalSince1970)), .text(node),
                ]
            )
        }
    }

    /// Queues a job for `user`, touching `devices` (nil: every device); nil when the queue has no place for
    /// that user (the caller answers 429). The queue is shared fairly (`JobShare`): one user's jobs waiting or
    /// running never take more than their share, and the last places are kept for admins.
    package func submit(kind: String, by user: Principal, devices: Set<String>?, _ work: @escaping Work) -> String? {
        lock.lock()
        let mine = jobs.values.filter { $0.createdBy == user.subject && ($0.state == .queued || $0.state == .running) }
            .count
        guard share.admits(waiting: waiting, userActive: mine, isAdmin: user.role == .admin) else {
            lock.unlock()
            return nil
        }
        waiting += 1
        let id = "job_" + (0..<16).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
        let context = JobContext(id: id, runner: self)
        jobs[id] = Job(
            id: id,
            kind: kind,
            createdBy: user.subject,
            devices: devices,
            state: .queued,
            progress: 0,
            message: "queued",
            context: context,
            broadcaster: Broadcaster(group: loops)
        )
        lock.unlock()
        persist(id)
        // A thread per job (at most `maxQueued` exist, most waiting for a slot): jobs block for seconds
        // or minutes, and on Linux Dispatch's global queues are as wide as the core count, so running
        // them there would stall every other piece of global work for as long.
        Thread { [self] in
            slots.wait()
            lock.lock()
            waiting -= 1
            lock.unlock()
            defer { slots.signal() }
            guard !context.isCancelled else {
                finish(id, .cancelled, result: nil, error: "cancelled before it started")
                return
            }
            update(id) {
                $0.state = .running
                $0.message = "running"
            }
            persist(id)
            do {
                let result = try work(context)
                if context.isCancelled {
                    finish(id, .cancelled, result: nil, error: "cancelled")
                } else if let bytes = try? APIJSON.encode(result),
                    let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
                {
                    finish(id, .done, result: value, error: nil)
                } else {
                    logger.error("job result not encodable", metadata: ["job": "\(id)", "kind": "\(kind)"])
                    finish(
                        id,
                        .failed,
                        result: nil,
                        error: "the job's result could not be written (see the server log)"
                    )
                }
            } catch let f as JobFailure {
                finish(id, context.isCancelled ? .cancelled : .failed, result: nil, error: f.message)
            } catch let e as APIError {
                finish(id, .failed, result: nil, error: e.message)
            } catch {
                logger.error("job failed", metadata: ["job": "\(id)", "kind": "\(kind)", "error": "\(error)"])
                finish(id, .failed, result: nil, error: "the job failed (see the server log)")
            }
        }.start()
        return id
    }

    private func update(_ id: String, _ change: (inout Job) -> Void) {
        lock.lock()
        if var j = jobs[id] {
            change(&j)
            jobs[id] = j
        }
        lock.unlock()
    }

    func progress(_ id: String, _ fraction: Double, _ message: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        guard var j = jobs[id], j.state == .running else {
            lock.unlock()
            return
        }
        j.progress = min(1, max(0, fraction))
        j.message = message
        let due = now &- j.lastEvent >= 100_000_000
        var frame: [UInt8]?
        if due {
            j.lastEvent = now
            frame = EventFrame.encode(
                "progress",
                JobEvent.Progress(jobID: id, progress: (j.progress * 1000).rounded() / 1000, message: message)
            )
            j.lastProgressFrame = frame
        }
        jobs[id] = j
        let b = j.broadcaster
        lock.unlock()
        if let frame {
            b.publish(frame)
            cluster?.announcer.jobFrame(id, frame, terminal: false)
        }
    }

    private func finish(_ id: String, _ state: State, result: JSONValue?, error: String?) {
        lock.lock()
        guard var j = jobs[id] else {
            lock.unlock()
            return
        }
        j.state = state
        if state == .done { j.progress = 1 }
        j.message = state.rawValue
        j.result = result
        j.error = error
        let frame = Self.terminalFrame(id, state: state, result: result, error: error)
        j.terminalFrame = frame
        jobs[id] = j
        let b = j.broadcaster
        lock.unlock()
        persist(id)
        cluster?.announcer.jobFrame(id, frame, terminal: true)
        // The last frame and the end of the stream together, per subscriber (a publish is flushed a turn
        // later, so closing after it could cut the frame off).
        b.forEachSubscriber { $0.close(final: frame) }
    }

    private func persist(_ id: String) {
        lock.lock()
        guard let j = jobs[id] else {
            lock.unlock()
            return
        }
        lock.unlock()
        let result = j.result.flatMap { try? APIJSON.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        let devices = j.devices.flatMap { try? APIJSON.encode($0.sorted()) }.map { String(decoding: $0, as: UTF8.self) }
        let now = Int64(Date().timeIntervalSince1970)
        do {
            try store.write { db in
                try db.run(
                    """
                    INSERT INTO jobs(job_id, kind, state, progress, message, result, error, created_by, created_at, updated_at, node, devices)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(job_id) DO UPDATE SET state = excluded.state, progress = excluded.progress, message = excluded.message,
                      result = excluded.result, error = excluded.error, updated_at = excluded.updated_at
                    """,
                    [
                        .text(j.id), .text(j.kind), .text(j.state.rawValue), .double(j.progress), .text(j.message),
                        .of(result),
                        .of(j.error), .text(j.createdBy), .int(now), .int(now), .text(nodeID), .of(devices),
                    ]
                )
            }
        } catch {
            logger.error("job state not stored", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// Asks a job to stop. False when there is no such job in this run.
    package func cancel(_ id: String) -> Bool {
        lock.lock()
        let j = jobs[id]
        lock.unlock()
        guard let j else { return false }
        j.context.cancel()
        return true
    }

    /// The last event of a job that ended in `state` (done, cancelled, or failed for anything else).
    package static func terminalFrame(_ id: String, state: State, result: JSONValue?, error: String?) -> [UInt8] {
        switch state {
        case .done: EventFrame.encode("done", JobEvent.Done(jobID: id, result: result))
        case .cancelled: EventFrame.encode("cancelled", JobEvent.Cancelled(jobID: id, message: error ?? "cancelled"))
        default:
            EventFrame.encode(
                "failed",
                JobEvent.Failed(jobID: id, error: .init(code: "job_failed", message: error ?? "failed"))
            )
        }
    }

    /// The job as the API shows it: from memory for this run's jobs, from the store for older ones.
    package func describe(_ id: String) throws -> JobStatusResponse? {
        lock.lock()
        let j = jobs[id]
        lock.unlock()
        if let j {
            return JobStatusResponse(
                jobID: j.id,
                kind: j.kind,
                state: j.state.rawValue,
                progress: (j.progress * 1000).rounded() / 1000,
                message: j.message,
                result: j.result,
                error: j.error
            )
        }
        return try store.read { db in
            try db.query("SELECT kind, state, progress, message, result, error FROM jobs WHERE job_id = ?", [.text(id)])
            { row in
                JobStatusResponse(
                    jobID: id,
                    kind: row.text(0),
                    state: row.text(1),
                    progress: row.double(2),
                    message: row.text(3),
                    result: row.optionalText(4).flatMap {
                        try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
                    },
                    error: row.optionalText(5)
                )
            }.first
        }
    }

    /// Who started a job, what kind it is and which devices it touches: from memory for this run's jobs,
    /// from the store for older ones and other nodes'. Nil when there is no such job.
    package func owner(_ id: String) throws -> JobAccess.Owner? {
        lock.lock()
        let j = jobs[id]
        lock.unlock()
        if let j { return JobAccess.Owner(kind: j.kind, createdBy: j.createdBy, devices: j.devices) }
        return try store.read { db in
            try db.query("SELECT kind, created_by, devices FROM jobs WHERE job_id = ?", [.text(id)]) { row in
                JobAccess.Owner(
                    kind: row.text(0),
                    createdBy: row.text(1),
                    devices: row.optionalText(2).map { text in
                        Set((try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [])
                    }
                )
            }.first
        }
    }

    /// Streams a job: the newest progress (or the end, for a finished job), then what follows.
    package func subscribe(_ id: String, _ stream: EventStream) -> Bool {
        lock.lock()
        guard let j = jobs[id] else {
            lock.unlock()
            return false
        }
        if let end = j.terminalFrame {
            lock.unlock()
            stream.close(final: end)
            return true
        }
        if let p = j.lastProgressFrame { stream.send(p) }
        j.broadcaster.subscribe(stream)
        lock.unlock()
        return true
    }
}

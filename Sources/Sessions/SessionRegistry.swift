import Dispatch
import Foundation
import HTTPAPI
import Logging
import Metrics
import PlanogramDomain
import Store

/// All live sessions, one per cabinet: created from the published planogram on first use (with a
/// durable checkpoint at seq 0), rebuilt at start from the last checkpoint plus the op log after it,
/// checkpointed every N ops, every T seconds, when the last editor leaves, and at shutdown.
/// Confinement: `sessions` is guarded by `lock`; each session's state lives on its own queue.
package final class SessionRegistry: @unchecked Sendable {
    /// A registry's place in a cluster: the node's name (the summaries say which node holds each session) and
    /// the directory of the other nodes' sessions.
    package struct ClusterRole: Sendable {
        let nodeID: String
        let directory: any RemoteSessions

        package init(nodeID: String, directory: any RemoteSessions) {
            self.nodeID = nodeID
            self.directory = directory
        }
    }

    package private(set) var env: SessionEnvironment
    let store: Store
    let catalog: CatalogCache
    let published: PublishedPlanograms
    let lock = NSLock()
    /// Guarded by `lock`.
    var sessions: [String: LiveSession] = [:]
    /// On a cluster's node: sessions are not rebuilt at start but when a request for one arrives
    /// (`SessionHandover`), and dropped when another node holds them.
    let cluster: ClusterRole?
    package var loadsOnDemand: Bool { cluster != nil }
    let loadQueue = DispatchQueue(label: "planogram.sessions.load")

    /// Every live session's dashboard summary: this node's, then the other nodes' (device, summary).
    package func summaries() -> [(device: String, summary: SessionSummary)] {
        let local = all
        var out = local.map { s -> (device: String, summary: SessionSummary) in
            var o = s.summaryBody()
            if let cluster { o.node = cluster.nodeID }
            return (s.cabinet.deviceID, o)
        }
        if let cluster { out += cluster.directory.remoteSessions(excluding: Set(local.map(\.id))) }
        return out.sorted { $0.summary.sessionID < $1.summary.sessionID }
    }
    private var timer: DispatchSourceTimer?
    let liveGauge = Gauge(label: "sessions_live")

    package init(
        env: SessionEnvironment,
        store: Store,
        catalog: CatalogCache,
        published: PublishedPlanograms,
        checkpointEverySeconds: Double,
        cluster: ClusterRole? = nil
    ) {
        self.env = env
        self.store = store
        self.catalog = catalog
        self.published = published
        self.cluster = cluster
        if cluster != nil {
            // A copy the op log refused (another node wrote the session since it was loaded) is dropped here,
            // so the retry loads it afresh.
            self.env.staleCopy = { [weak self] id in self?.evict(id) }
        }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "planogram.checkpoints"))
        t.schedule(deadline: .now() + checkpointEverySeconds, repeating: checkpointEverySeconds)
        t.setEventHandler { [weak self] in self?.checkpointDirty() }
        t.resume()
        timer = t
    }

    package static func sessionID(_ key: CabinetKey) -> String { "\(key.deviceID)~\(key.index)" }

    package func session(_ id: String) -> LiveSession? {
        lock.lock()
        defer { lock.unlock() }
        return sessions[id]
    }

    package var all: [LiveSession] {
        lock.lock()
        defer { lock.unlock() }
        return Array(sessions.values)
    }

    /// The cabinet's session, created (durably: its base is checkpointed before anyone may edit) if there
    /// is none. `done` runs off the loops and session queues, with `created` true for a new session.
    package func open(_ cabinet: Cabinet, done: @escaping @Sendable (Result<(LiveSession, Bool), APIError>) -> Void) {
        let id = Self.sessionID(CabinetKey(cabinet.deviceID, cabinet.index))
        if let s = session(id) {
            done(.success((s, false)))
            return
        }
        if loadsOnDemand {
            // On a cluster's node the session may exist in the store (opened through another node): load it
            // rather than start again from the published planogram.
            load(id) { [self] result in
                switch result {
                case .success(let s?): done(.success((s, false)))
                case .success(nil): create(cabinet, id: id, done: done)
                case .failure(let error):
                    env.logger.error("session open: load failed", metadata: ["session": "\(id)", "error": "\(error)"])
                    done(
                        .failure(
                            APIError(
                                503,
                                "store_unavailable",
                                "the store could not be read; retry",
                                details: ["retry_after_seconds": 1]
                            )
                        )
                    )
                }
            }
            return
        }
        create(cabinet, id: id, done: done)
    }

    private func create(
        _ cabinet: Cabinet,
        id: String,
        done: @escaping @Sendable (Result<(LiveSession, Bool), APIError>) -> Void
    ) {
        let base: Planogram?
        do { base = try published.current(CabinetKey(cabinet.deviceID, cabinet.index)) } catch {
            env.logger.error("session open: store read failed", metadata: ["session": "\(id)", "error": "\(error)"])
            done(
                .failure(
                    APIError(
                        503,
                        "store_unavailable",
                        "the store could not be read; retry",
                        details: ["retry_after_seconds": 1]
                    )
                )
            )
            return
        }
        guard let base else {
            done(
                .failure(
                    .notFound("no published planogram for \(cabinet.deviceID)/\(cabinet.index) to start a session from")
                )
            )
            return
        }
        let snap = SessionSnapshot(
            planogram: base,
            version: 0,
            seq: 0,
            publishedVersion: base.version,
            slotChanged: [:]
        )
        env.writer.append(
            .checkpoint(
                sessionID: id,
                seq: 0,
                version: 0,
                snapshot: snap.encoded(),
                at: Int64(Date().timeIntervalSince1970),
                compactBefore: 0
            )
        ) { [self] result in
            DispatchQueue.global().async { [self] in
                if case .failure(let e) = result {
                    env.logger.error(
                        "session open: checkpoint failed",
                        metadata: ["session": "\(id)", "error": "\(e.description)"]
                    )
                    done(
                        .failure(
                            APIError(
                                503,
                                "store_unavailable",
                                "the session could not be made durable; retry",
                                details: ["retry_after_seconds": 1]
                            )
                        )
                    )
                    return
                }
                let state = DraftState(planogram: base, version: 0, seq: 0, slotChanged: [:])
                let made = LiveSession(
                    id: id,
                    cabinet: cabinet,
                    state: state,
                    published: base,
                    recovered: false,
                    env: env
                )
                lock.lock()
                let winner: LiveSession
                let created: Bool
                if let s = sessions[id] {
                    winner = s
                    created = false
                } else {
                    sessions[id] = made
                    winner = made
                    created = true
                }
                liveGauge.record(sessions.count)
                lock.unlock()
                if created {
                    env.logger.info(
                        "session created",
                        metadata: ["session": "\(id)", "published_version": "\(base.version)"]
                    )
                    made.queue.async { made.modelsChanged() }
                }
                done(.success((winner, created)))
            }
        }
    }

    /// Rebuilds every session that has a checkpoint: last checkpoint, then the op log after it; the
    /// idempotency memory from the newest logged ops. At start, before the server listens. (Not on a
    /// cluster's nodes: there each session is rebuilt by the node its requests reach, on first use.)
    package func recover() throws -> Int {
        let ids = try env.writer.read { db in
            try db.query("SELECT DISTINCT session_id FROM session_checkpoints") { $0.text(0) }
        }
        var count = 0
        for id in ids {
            guard let session = try rebuild(id) else { continue }
            lock.lock()
            sessions[id] = session
            liveGauge.record(sessions.count)
            lock.unlock()
            count += 1
        }
        return count
    }

    /// The session `id` as the store has it: its newest checkpoint and the op log after it. Nil when it
    /// has no checkpoint (never opened) or its cabinet is gone. Blocking (reads the store).
    func rebuild(_ id: String) throws -> LiveSession? {
        let cat = catalog.current
        guard let tilde = id.lastIndex(of: "~"), let index = Int(id[id.index(after: tilde)...]) else { return nil }
        let device = String(id[..<tilde])
        guard let cabinet = cat.cabinet(device, index) else {
            env.logger.warning("session not recovered: its cabinet is gone", metadata: ["session": "\(id)"])
            return nil
        }
        let snapText = try env.writer.read { db in
            try db.query(
                "SELECT snapshot FROM session_checkpoints WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                [.text(id)]
            ) { $0.text(0) }.first
        }
        guard let snapText, let snap = SessionSnapshot.decode(snapText, deviceID: device, cabinetIndex: index) else {
            return nil
        }
        var publishedPlan =
            (try? store.planogram(deviceID: device, cabinetIndex: index, version: snap.publishedVersion)) ?? nil
        // Rows behind the checkpoint feed the idempotency memory only; rows after it are replayed.
        let keepFrom = max(0, snap.seq - Int64(env.idempotencyCapacity))
        let rows = try env.writer.read { db in
            try db.query(
                "SELECT seq, version, user_id, client_op_id, op, at FROM op_log WHERE session_id = ? AND seq > ? ORDER BY seq",
                [.text(id), .int(keepFrom)]
            ) {
                ($0.int64(0), $0.int(1), $0.text(2), $0.text(3), $0.text(4), $0.double(5))
            }
        }
        var draft = DraftState(
            planogram: snap.planogram,
            version: snap.version,
            seq: snap.seq,
            slotChanged: snap.slotChanged
        )
        var ops = 0
        let products = cat.products
        var idempotent: [(String, String, Int64, Int, Double)] = []
        for (s, v, user, client, opText, at) in rows {
            if client.first != "\u{1F}" { idempotent.append((user, client, s, v, at)) }
            guard s > snap.seq else { continue }
            guard s == draft.seq + 1 else {
                env.logger.critical(
                    "op log has a gap; recovery stops before it",
                    metadata: ["session": "\(id)", "expected": "\(draft.seq + 1)", "found": "\(s)"]
                )
                break
            }
            // One reading per entry: an op's fields, or a publish's version (an entry that is not an object stops here).
            guard let logged = try? JSONDecoder().decode(LoggedEntry.self, from: Data(opText.utf8)) else { break }
            if logged.op?.type == "publish" {
                if let pv = logged.planogramVersion,
                    let p = try? store.planogram(deviceID: device, cabinetIndex: index, version: pv)
                {
                    publishedPlan = p
                }
            } else if let input = logged.op, let op = try? SessionOp.parse(input, cabinet: cabinet) {
                let before = draft.planogram
                // Logged ops were valid when made; replay applies them as logged.
                if let changed = try? op.apply(to: &draft.planogram, cabinet: cabinet, products: products) {
                    for c in changed {
                        draft.slotChanged[c] = SlotChange(version: v, by: user)
                        if [before.facings[c], draft.planogram.facings[c]].contains(where: {
                            $0.map { products[$0.productID]?.widthColumns ?? 1 } == 2
                        }) {
                            draft.slotChanged[c.rightNeighbour] = SlotChange(version: v, by: user)
                        }
                    }
                }
                ops += 1
            }
            draft.version = v
            draft.seq = s
        }
        let session = LiveSession(
            id: id,
            cabinet: cabinet,
            state: draft,
            published: publishedPlan ?? snap.planogram,
            recovered: true,
            env: env
        )
        // Keys of the log older than the memory's window: their digests, so a late retry asks the log.
        let older = try env.writer.read { db in
            try db.query(
                "SELECT seq, user_id, client_op_id FROM op_log WHERE session_id = ? AND seq <= ? ORDER BY seq",
                [.text(id), .int(keepFrom)]
            ) { ($0.int64(0), $0.text(1), $0.text(2)) }
        }
        for (s, user, client) in older where client.first != "\u{1F}" {
            session.state.noteLogged(user: user, clientOpID: client, seq: s)
        }
        for (user, client, s, v, at) in idempotent where s <= draft.seq {
            session.state.rememberRecovered(user: user, clientOpID: client, seq: s, version: v, at: at)
        }
        session.opCount = ops
        session.lastCheckpointSeq = snap.seq
        session.opsSinceCheckpoint = Int(draft.seq - snap.seq)
        session.refreshSummary()
        return session
    }

    /// The logged changes with seq in (after, through] as resume events (`op`, or `published` for a
    /// publish), read on a connection that sees every committed change.
    static func logEvents(
        _ db: any SQLConnection,
        sessionID: String,
        after: Int64,
        through: Int64
    ) -> [(EventID, [UInt8])] {
        guard through > after else { return [] }
        let rows =
            (try? db.query(
                "SELECT seq, version, user_id, client_op_id, op FROM op_log WHERE session_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
                [.text(sessionID), .int(after), .int(through)]
            ) { ($0.int64(0), $0.int(1), $0.text(2), $0.text(3), $0.text(4)) }) ?? []
        return rows.map { s, v, user, client, op in
            let o = (try? JSONDecoder().decode(JSONValue.self, from: Data(op.utf8))) ?? .object([:])
            let id = EventID(seq: s)
            if o["type"] == "publish" {
                return (
                    id,
                    EventFrame.encode(
                        "published",
                        LoggedPublishedEvent(planogramVersion: o["planogram_version"], by: user, seq: s, version: v),
                        id: id.description
                    )
                )
            }
            return (
                id,
                EventFrame.encode(
                    "op",
                    LoggedOpEvent(seq: s, version: v, op: o, by: user, clientOpID: client),
                    id: id.description
                )
            )
        }
    }

    /// The models were swapped: every session's derived events are due again.
    package func modelsChanged() {
        for s in all { s.queue.async { s.modelsChanged() } }
    }

    private func checkpointDirty() {
        for s in all { s.queue.async { s.checkpoint() } }
    }

    /// At shutdown: checkpoint every session with changes, then wait for the writer. Runs on a signal
    /// queue, never on a loop.
    package func shutdown() {
        timer?.cancel()
        let group = DispatchGroup()
        for s in all {
            group.enter()
            s.queue.async {
                s.checkpoint()
                group.leave()
            }
        }
        group.wait()
        env.writer.flushAndWait()
        for s in all {
            group.enter()
            s.queue.async { group.leave() }
        }
        group.wait()
    }
}

/// An entry of the op log as recovery reads it: an op (`SessionOp.Input`), or a publish with the version it wrote.
private struct LoggedEntry: Decodable {
    /// Nil when the entry's fields are not an op's (it is skipped, as an op that no longer applies is).
    let op: SessionOp.Input?
    let planogramVersion: Int?

    enum CodingKeys: String, CodingKey {
        case planogramVersion = "planogram_version"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)  // not an object: the entry cannot be read
        planogramVersion = (try? c.decodeIfPresent(Int.self, forKey: .planogramVersion)) ?? nil
        op = try? SessionOp.Input(from: decoder)
    }
}

import Dispatch
import Foundation
import Logging
import Metrics
import PlanogramDomain
import Store

/// All live sessions, one per cabinet: created from the published planogram on first use (with a
/// durable checkpoint at seq 0), rebuilt at start from the last checkpoint plus the op log after it,
/// checkpointed every N ops, every T seconds, when the last editor leaves, and at shutdown.
/// Confinement: `sessions` is guarded by `lock`; each session's state lives on its own queue.
final class SessionRegistry: @unchecked Sendable {
    let env: SessionEnvironment
    let store: Store
    let catalog: CatalogCache
    let published: PublishedPlanograms
    private let lock = NSLock()
    private var sessions: [String: LiveSession] = [:]
    private var timer: DispatchSourceTimer?
    private let liveGauge = Gauge(label: "sessions_live")

    init(env: SessionEnvironment, store: Store, catalog: CatalogCache, published: PublishedPlanograms, checkpointEverySeconds: Double) {
        self.env = env
        self.store = store
        self.catalog = catalog
        self.published = published
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "planogram.checkpoints"))
        t.schedule(deadline: .now() + checkpointEverySeconds, repeating: checkpointEverySeconds)
        t.setEventHandler { [weak self] in self?.checkpointDirty() }
        t.resume()
        timer = t
    }

    static func sessionID(_ key: CabinetKey) -> String { "\(key.deviceID)~\(key.index)" }

    func session(_ id: String) -> LiveSession? {
        lock.lock(); defer { lock.unlock() }
        return sessions[id]
    }

    var all: [LiveSession] {
        lock.lock(); defer { lock.unlock() }
        return Array(sessions.values)
    }

    /// The cabinet's session, created (durably) if there is none. Blocks on the store: call off the loops.
    func open(_ cabinet: Cabinet) throws -> (LiveSession, created: Bool) {
        let id = Self.sessionID(CabinetKey(cabinet.deviceID, cabinet.index))
        lock.lock()
        if let s = sessions[id] { lock.unlock(); return (s, false) }
        lock.unlock()
        guard let base = try published.current(CabinetKey(cabinet.deviceID, cabinet.index)) else {
            throw APIError.notFound("no published planogram for \(cabinet.deviceID)/\(cabinet.index) to start a session from")
        }
        let session = LiveSession(id: id, cabinet: cabinet, base: base, version: 0, seq: 0, env: env)
        // The base is checkpointed before anyone may edit, so recovery knows what the ops apply to.
        let snap = SessionSnapshot(planogram: base, version: 0, seq: 0, publishedVersion: base.version, slotChanged: [:])
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var error: Error? }
        let box = Box()
        env.writer.append(.checkpoint(sessionID: id, seq: 0, version: 0, snapshot: snap.encoded(), at: Int64(Date().timeIntervalSince1970))) { e in
            box.error = e
            done.signal()
        }
        done.wait()
        if let e = box.error { throw e }
        lock.lock()
        if let s = sessions[id] { lock.unlock(); return (s, false) } // lost a race: the other one wins
        sessions[id] = session
        liveGauge.record(sessions.count)
        lock.unlock()
        env.logger.info("session created", metadata: ["session": "\(id)", "published_version": "\(base.version)"])
        return (session, true)
    }

    /// Rebuilds every session that has a checkpoint: last checkpoint, then the op log after it.
    func recover() throws -> Int {
        let cat = catalog.current
        let ids = try env.writer.read { db in try db.query("SELECT DISTINCT session_id FROM session_checkpoints") { $0.text(0) } }
        var count = 0
        for id in ids {
            guard let tilde = id.lastIndex(of: "~"), let index = Int(id[id.index(after: tilde)...]) else { continue }
            let device = String(id[..<tilde])
            guard let cabinet = cat.cabinet(device, index) else { continue }
            let (snapText, _) = try env.writer.read { db in
                try db.query("SELECT snapshot, seq FROM session_checkpoints WHERE session_id = ? ORDER BY seq DESC LIMIT 1", [.text(id)]) {
                    ($0.text(0), $0.int64(1))
                }.first ?? ("", 0)
            }
            guard let snap = SessionSnapshot.decode(snapText, deviceID: device, cabinetIndex: index) else { continue }
            let base = (try? store.planogram(deviceID: device, cabinetIndex: index, version: snap.publishedVersion)) ?? nil
            var publishedPlan = base ?? snap.planogram
            let session = LiveSession(id: id, cabinet: cabinet, base: snap.planogram, version: snap.version, seq: snap.seq, env: env)
            session.slotChanged = snap.slotChanged
            let rows = try env.writer.read { db in
                try db.query("SELECT seq, version, user_id, client_op_id, op FROM op_log WHERE session_id = ? ORDER BY seq", [.text(id)]) {
                    ($0.int64(0), $0.int(1), $0.text(2), $0.text(3), $0.text(4))
                }
            }
            var plan = snap.planogram
            var version = snap.version, seq = snap.seq
            let products = cat.products
            for (s, v, user, client, opText) in rows {
                session.applied[user + "\u{1F}" + client] = (s, v)
                guard s > snap.seq else { continue }
                guard let o = (try? JSONSerialization.jsonObject(with: Data(opText.utf8))) as? [String: Any] else { continue }
                if o["type"] as? String == "publish" {
                    if let pv = o["planogram_version"] as? Int, let p = try? store.planogram(deviceID: device, cabinetIndex: index, version: pv) {
                        publishedPlan = p
                    }
                } else if let op = try? SessionOp.parse(o, cabinet: cabinet) {
                    let before = plan
                    if let changed = try? op.apply(to: &plan, cabinet: cabinet, products: products) {
                        for c in changed {
                            session.slotChanged[c] = (v, user)
                            if [before.facings[c], plan.facings[c]].contains(where: { $0.map { products[$0.productID]?.widthColumns ?? 1 } == 2 }) {
                                session.slotChanged[c.rightNeighbour] = (v, user)
                            }
                        }
                    }
                    session.opCount += 1
                }
                version = v
                seq = s
            }
            session.draft = plan; session.committed = plan
            session.version = version; session.committedVersion = version
            session.seq = seq; session.committedSeq = seq
            session.ringFloor = seq
            session.lastCheckpointSeq = snap.seq
            session.published = publishedPlan
            session.opsSinceCheckpoint = Int(seq - snap.seq)
            lock.lock(); sessions[id] = session; liveGauge.record(sessions.count); lock.unlock()
            count += 1
        }
        return count
    }

    /// Ops for a resume beyond the ring: every op with seq in (after, upTo], or nil when the op log
    /// cannot account for every seq in that range.
    func oplog(_ id: String, after: Int64, upTo: Int64) -> [(Int64, [String: Any])]? {
        guard let rows = try? store.read({ db in
            try db.query("SELECT seq, version, user_id, client_op_id, op FROM op_log WHERE session_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
                         [.text(id), .int(after), .int(upTo)]) { ($0.int64(0), $0.int(1), $0.text(2), $0.text(3), $0.text(4)) }
        }), rows.count == Int(upTo - after) else { return nil }
        return rows.map { s, v, user, client, op in
            let o = (try? JSONSerialization.jsonObject(with: Data(op.utf8))) ?? [:]
            return (s, ["seq": s, "version": v, "op": o, "by": user, "client_op_id": client])
        }
    }

    private func checkpointDirty() {
        for s in all { s.queue.async { if s.committedSeq > s.lastCheckpointSeq { s.checkpoint() } } }
    }

    /// At shutdown: checkpoint every session with changes, then wait for the writer.
    func shutdown() {
        timer?.cancel()
        for s in all { s.queue.sync { if s.committedSeq > s.lastCheckpointSeq { s.checkpoint() } } }
        env.writer.flush()
        for s in all { s.queue.sync {} }
    }
}

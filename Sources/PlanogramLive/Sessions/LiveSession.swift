import Dispatch
import EventLoopHTTP
import Foundation
import Insights
import Logging
import Metrics
import PlanogramDomain
import Reasoning

/// What every live session shares: the op-log writer, the models, configuration and metrics.
struct SessionEnvironment: Sendable {
    let writer: OpLogWriter
    let models: @Sendable () -> InsightsEngine.Snapshot?
    let serverBox: ServerBox
    let frameInterval: Double
    let checkpointEveryOps: Int
    /// Least time between two rounds of derived events (scores, heat map, forecast) of a session.
    let derivedInterval: Double
    /// Events kept in memory per session for `Last-Event-ID` resumes.
    let replayEvents: Int
    let changeCostPerSlot: Double
    let logger: Logger
    let publish: @Sendable (Planogram, String) throws -> Planogram
    /// Claude explanations (nil: none).
    var reasoning: ReasoningService? = nil
    /// Quiet time on a slot after a placement before it is explained (0: only on request).
    var settleInterval: Double = 1.5
}

/// The HTTP server, set once after it is made (the session routes are part of its router) and
/// before any session exists.
final class ServerBox: @unchecked Sendable {
    var server: HTTPServer!
}

/// Someone connected to a session's event stream.
struct Participant: Sendable {
    let user: String
    let name: String
    let role: Role
    var connections: Int
    let since: Date
    var mode: String { role == .merchandiser || role == .admin ? "editing" : "watching" }
    var json: [String: Any] {
        ["user": user, "name": name, "role": role.rawValue, "mode": mode, "connected_since": FieldFormat.iso(since)]
    }
}

enum FieldFormat {
    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}

/// One live session: the shared draft of one cabinet.
///
/// Confinement: every mutable property is touched only on `queue` (one serial queue per session).
/// The server is the single authority: ops are ordered by arrival on the queue, get the next `seq`,
/// are written to the op log (group commit) and only then acknowledged and broadcast. Two drafts are
/// kept: `draft` includes ops accepted but not yet durable (for validation and conflicts);
/// `committed` only durable ones (for snapshots, scores, heat maps and forecasts).
final class LiveSession: @unchecked Sendable {
    let id: String
    let cabinet: Cabinet
    let queue: DispatchQueue
    let env: SessionEnvironment
    let broadcaster: Broadcaster

    var draft: Planogram
    var version: Int
    var seq: Int64
    var committed: Planogram
    var committedVersion: Int
    var committedSeq: Int64
    var published: Planogram
    var slotChanged: [SlotCode: (version: Int, by: String)] = [:]
    var applied: [String: (seq: Int64, version: Int)] = [:]
    var waiters: [Int64: [@Sendable (Result<(Int64, Int), APIError>) -> Void]] = [:]
    var ring: [(id: Int64, frame: [UInt8])] = []
    var ringHead = 0
    var ringFloor: Int64 = 0
    var participants: [String: Participant] = [:]
    var opsSinceCheckpoint = 0
    var lastCheckpointSeq: Int64 = 0
    var lastActivity = Date()
    var opCount = 0
    var derivedScheduled = false
    var lastDerived: UInt64 = 0
    var dirtySlots = Set<SlotCode>()
    var lastDerivedFingerprint: [String: [UInt8]] = [:]
    var previewContext: (version: Int, builtAt: Date, context: PlacementScorer.Context)?
    var snapshotCache: (seq: Int64, version: Int, fitted: Bool, body: [UInt8])?
    /// Newest drag position per editor. Guarded by `dragLock` (written on the loops, read on the queue).
    var drags: [String: DragState] = [:]
    let dragLock = NSLock()
    var settleGenerations: [SlotCode: Int] = [:]

    struct DragState {
        var latest: (productID: String, slot: SlotCode?, arrived: UInt64, mark: String?)?
        var lastEmit: UInt64 = 0
        var scheduled = false
        var name = ""
    }

    static func opsCounter(_ outcome: String) -> Counter { Counter(label: "session_ops_total", dimensions: [("outcome", outcome)]) }
    static let ackTimer = Timer(label: "session_op_ack_seconds")
    static let dragInputs = Counter(label: "drag_inputs_total")
    static let dragEvents = Counter(label: "drag_events_total")
    static let dragDelay = Timer(label: "drag_delivery_delay_seconds")

    init(id: String, cabinet: Cabinet, base: Planogram, version: Int, seq: Int64, env: SessionEnvironment) {
        self.id = id
        self.cabinet = cabinet
        self.env = env
        queue = DispatchQueue(label: "planogram.session.\(id)")
        broadcaster = Broadcaster(server: env.serverBox.server)
        draft = base; committed = base; published = base
        self.version = version; committedVersion = version
        self.seq = seq; committedSeq = seq; lastCheckpointSeq = seq; ringFloor = seq
    }

    var products: [String: Product] { env.models()?.products ?? [:] }

    // MARK: ops

    /// Orders, validates, logs and acknowledges one op. `reply` gets `(seq, version)` once durable.
    func submit(user: Principal, clientOpID: String, baseVersion: Int, op: SessionOp, received: UInt64,
                reply: @escaping @Sendable (Result<(Int64, Int), APIError>) -> Void) {
        lastActivity = Date()
        let key = user.subject + "\u{1F}" + clientOpID
        if let done = applied[key] {
            Self.opsCounter("duplicate").increment()
            if done.seq > committedSeq { waiters[done.seq, default: []].append(reply) } else { reply(.success(done)) }
            return
        }
        guard baseVersion <= version, baseVersion >= 0 else {
            Self.opsCounter("rejected").increment()
            reply(.failure(.conflict("base_version \(baseVersion) is not a version of this session (current \(version))",
                                     details: ["version": version])))
            return
        }
        let widths: (String) -> Int = { [products] in products[$0]?.widthColumns ?? 1 }
        var touched = Set(op.touchedSlots)
        for s in op.touchedSlots { if let a = draft.anchor(of: s, widths: widths) { touched.insert(a) } }
        for s in touched.sorted() {
            if let c = slotChanged[s], c.version > baseVersion, c.by != user.subject {
                Self.opsCounter("conflict").increment()
                let anchor = draft.anchor(of: s, widths: widths) ?? s
                let current: Any = draft.facings[anchor].map { ["product_id": $0.productID, "capacity": $0.capacity] as [String: Any] } ?? NSNull()
                reply(.failure(.conflict("slot \(s) was changed by someone else after version \(baseVersion)",
                                         details: ["slot": s.description, "current": current, "version": version, "changed_in_version": c.version])))
                return
            }
        }
        var next = draft
        let changed: [SlotCode]
        do { changed = try op.apply(to: &next, cabinet: cabinet, products: products) } catch {
            Self.opsCounter("rejected").increment()
            reply(.failure(error))
            return
        }
        seq += 1
        version += 1
        let mySeq = seq, myVersion = version
        for s in changed {
            slotChanged[s] = (myVersion, user.subject)
            // A 2-wide product (before or after) also covers the slot to the right.
            if [draft.facings[s], next.facings[s]].contains(where: { $0.map { widths($0.productID) } == 2 }) {
                slotChanged[s.rightNeighbour] = (myVersion, user.subject)
            }
        }
        draft = next
        applied[key] = (mySeq, myVersion)
        waiters[mySeq, default: []].append(reply)
        let opJSON = String(decoding: JSONWriter.encode(op.json), as: UTF8.self)
        let now = Int64(Date().timeIntervalSince1970)
        env.writer.append(.op(sessionID: id, seq: mySeq, version: myVersion, user: user.subject, clientOpID: clientOpID,
                              op: opJSON, result: "{\"seq\":\(mySeq),\"version\":\(myVersion)}", at: now)) { [self] error in
            queue.async { self.committed(op: op, seq: mySeq, version: myVersion, user: user, clientOpID: clientOpID, received: received, error: error) }
        }
    }

    private func committed(op: SessionOp, seq s: Int64, version v: Int, user: Principal, clientOpID: String, received: UInt64, error: Error?) {
        let replies = waiters.removeValue(forKey: s) ?? []
        if let error {
            env.logger.critical("op log write failed", metadata: ["session": "\(id)", "seq": "\(s)", "error": "\(error)"])
            for r in replies { r(.failure(APIError(500, "internal", "the op could not be made durable"))) }
            return
        }
        var next = committed
        let changed = (try? op.apply(to: &next, cabinet: cabinet, products: products)) ?? []
        committed = next
        committedVersion = v
        committedSeq = s
        opCount += 1
        opsSinceCheckpoint += 1
        Self.opsCounter("accepted").increment()
        Self.ackTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - received))
        for r in replies { r(.success((s, v))) }
        emit("op", id: s, ["seq": s, "version": v, "op": op.json, "by": user.subject, "name": user.name, "client_op_id": clientOpID])
        dirtySlots.formUnion(changed)
        switch op {
        case .place, .move, .swap: placementChanged(changed.filter { committed.facings[$0] != nil })
        case .clear, .setCapacity: break
        }
        scheduleDerived()
        if opsSinceCheckpoint >= env.checkpointEveryOps { checkpoint() }
    }

    /// Scores of the touched slots, the heat map and the forecast of the committed draft, at most once
    /// per `derivedInterval`: a burst of ops gives one round that reflects the newest state, and
    /// superseded states are never scored. The round is computed off the session queue (ops never
    /// wait for it) and emitted back on it; an event identical to the last one of its kind is not
    /// sent again. The op events themselves are never delayed.
    private func scheduleDerived() {
        guard !derivedScheduled else { return }
        derivedScheduled = true
        let now = DispatchTime.now().uptimeNanoseconds
        let due = max(now, lastDerived + UInt64(env.derivedInterval * 1e9))
        queue.asyncAfter(deadline: .init(uptimeNanoseconds: due)) { [self] in
            lastDerived = DispatchTime.now().uptimeNanoseconds
            let slots = dirtySlots.sorted()
            dirtySlots = []
            guard let models = env.models() else { derivedScheduled = false; return }
            let plan = committed, version = committedVersion, base = published, cabinet = self.cabinet, cost = env.changeCostPerSlot
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                var events: [(String, String, [String: Any])] = [] // (kind key, event, data)
                for slot in slots {
                    guard let f = plan.facings[slot] else { continue }
                    let score = models.scorer.score(productID: f.productID, at: slot, cabinet: cabinet, draft: plan,
                                                    capacity: f.capacity, catalog: models.products)
                    var data = InsightJSON.score(score)
                    data["slot"] = slot.description
                    events.append(("score:\(slot)", "score", data))
                }
                let cells = HeatMap.cells(model: models.model, forecaster: models.forecaster, cabinet: cabinet, planogram: plan)
                events.append(("heatmap", "heatmap", SessionEvents.heatmap(cells, version: version)))
                let p = models.forecaster.predict(cabinet: cabinet, current: base, proposed: plan, forecastDays: 30, changeCostPerSlot: cost)
                events.append(("revenue", "revenue", SessionEvents.revenue(p, version: version)))
                // Fingerprints leave the version out: same content under a newer version is nothing new.
                let ready = events.map { key, event, data -> (String, String, [UInt8], AnyJSON) in
                    var probe = data
                    probe["version"] = nil
                    return (key, event, JSONWriter.encode(probe), AnyJSON(data))
                }
                queue.async { [self] in
                    for (key, event, fingerprint, boxed) in ready {
                        if lastDerivedFingerprint[key] == fingerprint { continue }
                        lastDerivedFingerprint[key] = fingerprint
                        var d = boxed.value as! [String: Any]
                        d["version"] = version
                        emit(event, id: committedSeq, d)
                    }
                    derivedScheduled = false
                    if !dirtySlots.isEmpty { scheduleDerived() }
                }
            }
        }
    }

    // MARK: events

    /// Encodes once, keeps in the replay ring (unless `keep` is false), and fans out.
    func emit(_ event: String, id: Int64, _ data: [String: Any], keep: Bool = true) {
        let bytes = SessionEvents.frame(event, id: id, data)
        guard keep else { broadcaster.publish(bytes); return }
        if ring.count - ringHead >= env.replayEvents {
            ringFloor = max(ringFloor, ring[ringHead].id)
            ringHead += 1
            if ringHead > env.replayEvents { ring.removeFirst(ringHead); ringHead = 0 }
        }
        ring.append((id, bytes))
        broadcaster.publish(bytes)
    }

    func snapshotJSON() -> [String: Any] {
        var o: [String: Any] = ["session_id": id, "device_id": cabinet.deviceID, "cabinet_index": cabinet.index,
                                "version": committedVersion, "seq": committedSeq, "published_version": published.version,
                                "planogram": SessionEvents.planogram(committed, products: products),
                                "participants": participants.values.sorted { $0.user < $1.user }.map(\.json)]
        if let models = env.models() {
            o["heatmap"] = SessionEvents.heatmap(HeatMap.cells(model: models.model, forecaster: models.forecaster, cabinet: cabinet, planogram: committed),
                                                 version: committedVersion)
            o["revenue"] = SessionEvents.revenue(models.forecaster.predict(cabinet: cabinet, current: published, proposed: committed,
                                                                          forecastDays: 30, changeCostPerSlot: env.changeCostPerSlot), version: committedVersion)
        }
        return o
    }

    /// The `snapshot` event for a joining subscriber. Everything but the participants is encoded once
    /// per committed state (a thousand viewers joining cost one heat map and one forecast, not a
    /// thousand); the participants are spliced in.
    func snapshotFrame() -> [UInt8] {
        if snapshotCache?.seq != committedSeq || snapshotCache?.version != committedVersion || snapshotCache?.fitted != (env.models() != nil) {
            var o = snapshotJSON()
            o["participants"] = nil
            var body = JSONWriter.encode(o)
            body.removeFirst(); body.removeLast() // the braces; the members are spliced below
            snapshotCache = (committedSeq, committedVersion, env.models() != nil, body)
        }
        var data: [UInt8] = Array("{\"participants\":".utf8)
        data += JSONWriter.encode(participants.values.sorted { $0.user < $1.user }.map(\.json))
        if let body = snapshotCache?.body, !body.isEmpty { data.append(UInt8(ascii: ",")); data += body }
        data.append(UInt8(ascii: "}"))
        return SSEFrame(id: String(committedSeq), event: "snapshot", data: String(decoding: data, as: UTF8.self)).bytes
    }

    func summaryJSON() -> [String: Any] {
        ["session_id": id, "device_id": cabinet.deviceID, "cabinet_index": cabinet.index, "version": committedVersion,
         "seq": committedSeq, "ops": opCount, "last_activity": FieldFormat.iso(lastActivity),
         "participants": participants.values.sorted { $0.user < $1.user }.map(\.json)]
    }

    /// Adds a subscriber: the missed events (ring or op log) or a snapshot, then live events.
    func subscribe(_ stream: EventStream, user: Principal, lastEventID: String?, oplog: (Int64, Int64) -> [(Int64, [String: Any])]?) {
        var sent = false
        if let text = lastEventID, let last = Int64(text.trimmingCharacters(in: .whitespaces)), last >= 0, last <= committedSeq {
            if last >= ringFloor {
                for e in ring[ringHead...] where e.id > last { stream.send(e.frame) }
                sent = true
            } else if let ops = oplog(last, committedSeq) {
                for (s, data) in ops { stream.send(SessionEvents.frame("op", id: s, data)) }
                if let models = env.models() {
                    let cells = HeatMap.cells(model: models.model, forecaster: models.forecaster, cabinet: cabinet, planogram: committed)
                    stream.send(SessionEvents.frame("heatmap", id: committedSeq, SessionEvents.heatmap(cells, version: committedVersion)))
                }
                sent = true
            }
        }
        if !sent { stream.send(snapshotFrame()) }
        broadcaster.subscribe(stream)
        var p = participants[user.subject] ?? Participant(user: user.subject, name: user.name, role: user.role, connections: 0, since: Date())
        p.connections += 1
        participants[user.subject] = p
        lastActivity = Date()
        if p.connections == 1 { emitPresence() }
        stream.onClose { [self] in queue.async { self.unsubscribe(user) } }
    }

    private func unsubscribe(_ user: Principal) {
        guard var p = participants[user.subject] else { return }
        p.connections -= 1
        if p.connections > 0 { participants[user.subject] = p; return }
        participants[user.subject] = nil
        emitPresence()
        if !participants.values.contains(where: { $0.mode == "editing" }) && committedSeq > lastCheckpointSeq { checkpoint() }
    }

    private func emitPresence() {
        emit("presence", id: committedSeq, ["participants": participants.values.sorted { $0.user < $1.user }.map(\.json)])
    }

    // MARK: drags

    /// Keeps the newest position per editor; at most one `drag` event per editor per frame interval,
    /// and the newest position is scored and sent within one frame of its arrival. Called on the
    /// connection's loop, not the session queue: an input only replaces the editor's newest position
    /// under `dragLock`, and the session queue is woken once per frame per dragging editor rather than
    /// once per input (superseded positions cost no queue hop, no scoring, no encoding).
    func drag(user: Principal, productID: String, slot: SlotCode?, clientMark: String? = nil) {
        Self.dragInputs.increment()
        let now = DispatchTime.now().uptimeNanoseconds
        dragLock.lock()
        var d = drags[user.subject] ?? DragState()
        d.latest = (productID, slot, now, clientMark)
        d.name = user.name
        var due: UInt64?
        if !d.scheduled {
            d.scheduled = true
            let frame = UInt64(env.frameInterval * 1e9)
            due = d.lastEmit == 0 ? now : max(now, d.lastEmit + frame)
        }
        drags[user.subject] = d
        dragLock.unlock()
        if let due { queue.asyncAfter(deadline: .init(uptimeNanoseconds: due)) { [self] in emitDrag(user.subject) } }
    }

    private func emitDrag(_ user: String) {
        dragLock.lock()
        guard var d = drags[user], let latest = d.latest else { dragLock.unlock(); return }
        d.latest = nil
        d.scheduled = false
        d.lastEmit = DispatchTime.now().uptimeNanoseconds
        drags[user] = d
        dragLock.unlock()
        var data: [String: Any] = ["by": user, "name": d.name, "product_id": latest.productID, "slot": latest.slot?.description ?? NSNull()]
        if let mark = latest.mark { data["client_ts"] = mark }
        if let slot = latest.slot, let models = env.models() {
            // The scoring context depends only on the committed draft: made once per version and model.
            if previewContext?.version != committedVersion || previewContext?.builtAt != models.builtAt {
                previewContext = (committedVersion, models.builtAt, models.scorer.context(cabinet, committed, models.products))
            }
            let s = models.scorer.preview(productID: latest.productID, at: slot, cabinet: cabinet, draft: committed,
                                          catalog: models.products, context: previewContext?.context)
            data["score"] = s.score
            data["constraints_passed"] = s.constraintsPassed
        }
        Self.dragEvents.increment()
        Self.dragDelay.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - latest.arrived))
        broadcaster.publish(SessionEvents.frame("drag", id: nil, data))
    }

    // MARK: checkpoints and publish

    /// Writes the committed state (snapshot + seq) to the store and tells subscribers.
    func checkpoint() {
        let snap = SessionSnapshot(planogram: committed, version: committedVersion, seq: committedSeq, publishedVersion: published.version,
                                   slotChanged: slotChanged.filter { $0.value.version <= committedVersion })
        let text = snap.encoded()
        let s = committedSeq, v = committedVersion
        opsSinceCheckpoint = 0
        lastCheckpointSeq = s
        let at = Date()
        env.writer.append(.checkpoint(sessionID: id, seq: s, version: v, snapshot: text, at: Int64(at.timeIntervalSince1970))) { [self] error in
            queue.async {
                if let error { self.env.logger.error("checkpoint failed", metadata: ["session": "\(self.id)", "error": "\(error)"]); return }
                self.emit("checkpoint", id: self.committedSeq, ["version": v, "seq": s, "at": FieldFormat.iso(at)])
            }
        }
    }

    /// The committed draft becomes the cabinet's new published version (logged as a change).
    func publish(by user: Principal, reply: @escaping @Sendable (Result<[String: Any], APIError>) -> Void) {
        let saved: Planogram
        do { saved = try env.publish(committed, user.subject) } catch {
            reply(.failure(APIError(500, "internal", "publish failed: \(error)"))); return
        }
        published = saved
        seq += 1
        version += 1
        let s = seq, v = version
        let opJSON = "{\"type\":\"publish\",\"planogram_version\":\(saved.version)}"
        env.writer.append(.op(sessionID: id, seq: s, version: v, user: user.subject, clientOpID: "publish-\(s)", op: opJSON,
                              result: "{\"seq\":\(s),\"version\":\(v)}", at: Int64(Date().timeIntervalSince1970))) { [self] error in
            queue.async {
                if error == nil {
                    self.committedSeq = s
                    self.committedVersion = v
                }
                self.emit("published", id: s, ["planogram_version": saved.version, "by": user.subject, "name": user.name, "seq": s, "version": v])
                self.scheduleDerived()
                reply(.success(["planogram_version": saved.version, "seq": s, "version": v]))
            }
        }
    }
}

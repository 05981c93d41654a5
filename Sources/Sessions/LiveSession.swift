import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import Logging
import Metrics
import PlanogramDomain
import Reasoning
import Store

/// What every live session shares: the op-log writer, the catalogue, the models, configuration and metrics.
package struct SessionEnvironment: Sendable {
    package let writer: OpLogWriter
    /// Products, devices and cabinets from the store (never from the models: ops do not wait for a fit).
    package let catalog: @Sendable () -> Catalog
    package let models: @Sendable () -> SessionModels?
    package let loops: EventLoopGroup
    package let frameInterval: Double
    package let checkpointEveryOps: Int
    /// Least time between two rounds of derived events (scores, heat map, forecast) of a session.
    package let derivedInterval: Double
    /// Events kept in memory per session for `Last-Event-ID` resumes.
    package let replayEvents: Int
    /// Most changes a resume reads back from the op log; beyond it the client gets a snapshot.
    package var maxLogReplay: Int = 5_000
    /// Op-log rows kept behind a checkpoint (resumes and idempotency after a restart read them).
    package var opLogKeep: Int64 = 5_000
    /// Idempotency memory per session: the newest N `client_op_id`s, none older than the age.
    package var idempotencyCapacity: Int = 2_000
    package var idempotencyMaxAge: Double = 86_400
    package let changeCostPerSlot: Double
    package let logger: Logger
    /// Called after a publish is durable (the published-planogram cache is dropped).
    /// After a publish of this session is written: the cabinet, the new version, who published.
    package var published: @Sendable (CabinetKey, Planogram, String) -> Void = { _, _, _ in }
    /// On a cluster's node: the op log refused a change because another node wrote this session since
    /// this copy was loaded; the copy is dropped (`SessionRegistry.evict`) so the retry loads it afresh.
    package var staleCopy: (@Sendable (String) -> Void)? = nil
    /// Claude explanations (nil: none).
    package var reasoning: ReasoningService? = nil
    /// Quiet time on a slot after a placement before it is explained (0: only on request).
    package var settleInterval: Double = 1.5

    package init(
        writer: OpLogWriter,
        catalog: @escaping @Sendable () -> Catalog,
        models: @escaping @Sendable () -> SessionModels?,
        loops: EventLoopGroup,
        frameInterval: Double,
        checkpointEveryOps: Int,
        derivedInterval: Double,
        replayEvents: Int,
        changeCostPerSlot: Double,
        logger: Logger
    ) {
        self.writer = writer
        self.catalog = catalog
        self.models = models
        self.loops = loops
        self.frameInterval = frameInterval
        self.checkpointEveryOps = checkpointEveryOps
        self.derivedInterval = derivedInterval
        self.replayEvents = replayEvents
        self.changeCostPerSlot = changeCostPerSlot
        self.logger = logger
    }
}

/// One live session: the shared draft of one cabinet.
///
/// Confinement: every mutable property is touched only on `queue` (one serial queue per session), except
/// `drags` (its own lock) and `summary` (a lock, read by listings without a hop). The order of changes,
/// the conflict rule and idempotency are the pure `SessionState`; this class adds the queue, the op log,
/// the bus and the timers. A change is acknowledged and broadcast only once the log made it durable; a
/// failed write rolls the draft back (`SessionState.fail`) and answers 503 with nothing applied.
package final class LiveSession: @unchecked Sendable {
    package typealias OpReply = @Sendable (Result<(Int64, Int), APIError>) -> Void
    package typealias PublishReply = @Sendable (Result<PublishReplyBody, APIError>) -> Void

    package let id: String
    /// When this node took the session (made, recovered or loaded): of two nodes holding one session, the
    /// later holder keeps it (`SessionHandover`).
    package let heldSince = Date().timeIntervalSince1970

    /// A new range of rollback epochs for each copy of a session made in this process (2^32 each).
    private static let epochBases = Locked<Int>(0)
    static func nextEpochBase() -> Int {
        epochBases.update {
            $0 += 1 << 32
            return $0
        }
    }
    package let cabinet: Cabinet
    package let queue: DispatchQueue
    let env: SessionEnvironment
    let bus: SessionBus

    package var state: SessionState
    var published: Planogram
    var opWaiters: [Int64: [OpReply]] = [:]
    var publishWaiters: [Int64: PublishReply] = [:]
    var presence = Presence()
    var derived = DerivedState()
    let drags: DragCoalescer
    var opsSinceCheckpoint = 0
    var lastCheckpointSeq: Int64 = 0
    var lastActivity = Date()
    var opCount = 0
    var settleGenerations: [SlotCode: Int] = [:]
    /// The optimizer's proposals on this session, by id (SessionProposals.swift).
    var proposals: [String: SessionProposal] = [:]
    var previewContext: (version: Int, builtAt: Date, context: PlacementScorer.Context)?
    /// The newest `snapshot` frame and the body it encodes: subscribers that join while nothing changed get the
    /// same bytes (a thousand joining at once encode it once).
    var lastSnapshot: (body: SessionSnapshotBody, frame: [UInt8])?
    /// The listing summary, refreshed on every change (read by `GET /api/sessions` and the dashboard feed).
    let summary: Locked<SessionSummary>

    static func opsCounter(_ outcome: String) -> Counter {
        Counter(label: "session_ops_total", dimensions: [("outcome", outcome)])
    }
    static let ackTimer = Timer(label: "session_op_ack_seconds")
    static let dragInputs = Counter(label: "drag_inputs_total")
    static let dragEvents = Counter(label: "drag_events_total")
    static let dragDelay = Timer(label: "drag_delivery_delay_seconds")

    /// A session at `state` (new: seq 0; recovered: from a checkpoint and the op log).
    init(
        id: String,
        cabinet: Cabinet,
        state base: DraftState,
        published: Planogram,
        recovered: Bool,
        env: SessionEnvironment
    ) {
        self.id = id
        self.cabinet = cabinet
        self.env = env
        summary = Locked(
            SessionSummary(
                sessionID: id,
                deviceID: cabinet.deviceID,
                cabinetIndex: cabinet.index,
                version: base.version,
                seq: base.seq,
                ops: 0,
                lastActivity: FieldFormat.iso(Date()),
                participants: []
            )
        )
        queue = DispatchQueue(label: "planogram.session.\(id)")
        let start = EventID(
            seq: base.seq,
            index: recovered ? EventID.restartBase(now: Date().timeIntervalSince1970) : 0
        )
        bus = LocalSessionBus(
            loops: env.loops,
            capacity: env.replayEvents,
            maxLogReplay: env.maxLogReplay,
            start: start
        )
        state = SessionState(
            base: base,
            idempotency: IdempotencyMemory(capacity: env.idempotencyCapacity, maxAge: env.idempotencyMaxAge),
            firstEpoch: Self.nextEpochBase()
        )
        self.published = published
        drags = DragCoalescer(frameInterval: env.frameInterval)
        lastCheckpointSeq = base.seq
        refreshSummary()
    }

    // MARK: ops

    /// Orders, validates, logs and acknowledges one op. `reply` gets `(seq, version)` once durable.
    package func submit(
        user: Principal,
        clientOpID: String,
        baseVersion: Int,
        op: SessionOp,
        received: UInt64,
        logChecked: Bool = false,
        reply: @escaping OpReply
    ) {
        lastActivity = Date()
        let decision: SessionState.Submission
        do {
            decision = try state.submit(
                op,
                user: user.subject,
                clientOpID: clientOpID,
                baseVersion: baseVersion,
                cabinet: cabinet,
                products: env.catalog().products,
                now: Date().timeIntervalSince1970,
                logChecked: logChecked
            )
        } catch {
            Self.opsCounter(error.status == 409 ? "conflict" : "rejected").increment()
            reply(.failure(error))
            return
        }
        switch decision {
        case let .repeated(seq, version):
            Self.opsCounter("duplicate").increment()
            reply(.success((seq, version)))
        case let .repeatOfPending(seq):
            Self.opsCounter("duplicate").increment()
            opWaiters[seq, default: []].append(reply)
        case .lookUpInLog:
            // The op log is the truth for keys the memory let go: its first result, or the op is new.
            let id = self.id
            let subject = user.subject
            env.writer.readAsync { [self] db in
                let first = try? db.query(
                    "SELECT seq, version FROM op_log WHERE session_id = ? AND user_id = ? AND client_op_id = ?",
                    [.text(id), .text(subject), .text(clientOpID)]
                ) { ($0.int64(0), $0.int(1)) }.first
                queue.async { [self] in
                    if let (seq, version) = first {
                        Self.opsCounter("duplicate").increment()
                        reply(.success((seq, version)))
                    } else {
                        submit(
                            user: user,
                            clientOpID: clientOpID,
                            baseVersion: baseVersion,
                            op: op,
                            received: received,
                            logChecked: true,
                            reply: reply
                        )
                    }
                }
            }
        case let .accepted(seq, version):
            opWaiters[seq, default: []].append(reply)
            let epoch = state.epoch
            // An op of strings and whole numbers always encodes.
            let opJSON = String(decoding: (try? APIJSON.encode(op)) ?? [], as: UTF8.self)
            env.writer.append(
                .op(
                    sessionID: id,
                    seq: seq,
                    version: version,
                    epoch: epoch,
                    user: user.subject,
                    clientOpID: clientOpID,
                    op: opJSON,
                    at: Int64(Date().timeIntervalSince1970)
                )
            ) { [self] result in
                queue.async { self.logged(seq: seq, epoch: epoch, result: result, by: user, received: received) }
            }
        }
    }

    /// The op log's verdict on change `seq`, in seq order, on the session queue.
    private func logged(
        seq: Int64,
        epoch: Int,
        result: Result<OpLogWriter.Outcome, OpLogWriter.WriteError>,
        by user: Principal,
        received: UInt64
    ) {
        switch result {
        case .success(let outcome):
            guard let change = state.commit(seq: seq, epoch: epoch) else { return }
            switch change.kind {
            case .op(let op, let changed):
                opCount += 1
                opsSinceCheckpoint += 1
                Self.opsCounter("accepted").increment()
                Self.ackTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- received))
                for r in opWaiters.removeValue(forKey: seq) ?? [] { r(.success((seq, change.version))) }
                bus.publish(
                    "op",
                    data: OpEvent(
                        seq: seq,
                        version: change.version,
                        op: op,
                        by: user.subject,
                        name: user.name,
                        clientOpID: change.clientOpID
                    ),
                    changeSeq: seq,
                    stateKey: nil
                )
                derived.dirtySlots.formUnion(changed)
                switch op {
                case .place, .move, .swap:
                    placementChanged(changed.filter { state.committed.planogram.facings[$0] != nil })
                case .clear, .setCapacity, .setPar: break
                }
            case .publish:
                if case .published(let saved) = outcome { published = saved }
                env.published(CabinetKey(cabinet.deviceID, cabinet.index), published, user.subject)
                let body = PublishReplyBody(planogramVersion: published.version, seq: seq, version: change.version)
                publishWaiters.removeValue(forKey: seq)?(.success(body))
                bus.publish(
                    "published",
                    data: PublishedEvent(
                        planogramVersion: published.version,
                        by: user.subject,
                        name: user.name,
                        seq: seq,
                        version: change.version
                    ),
                    changeSeq: seq,
                    stateKey: nil
                )
                derived.wholeCabinetDue = true  // the forecast's baseline moved
            }
            refreshSummary()
            scheduleDerived()
            if opsSinceCheckpoint >= env.checkpointEveryOps { checkpoint() }
        case .failure(let error):
            guard let undone = state.fail(seq: seq, epoch: epoch) else { return }
            Self.opsCounter("failed").increment(by: Int64(undone.count))
            env.logger.error(
                "op log write failed; draft rolled back",
                metadata: [
                    "session": "\(id)", "seq": "\(seq)", "undone": "\(undone.count)", "error": "\(error.description)",
                ]
            )
            let apiError: APIError
            if error.constraint, let staleCopy = env.staleCopy {
                staleCopy(id)
                apiError = APIError(
                    503,
                    "session_moved",
                    "another node changed this session meanwhile; it is being reloaded here, nothing was applied — retry",
                    details: ["retry_after_seconds": 1]
                )
            } else if error.transient {
                apiError = APIError(
                    503,
                    "store_unavailable",
                    "the change could not be made durable (storage busy or full); nothing was applied — retry",
                    details: ["retry_after_seconds": 1]
                )
            } else {
                apiError = APIError(500, "internal", "the change could not be made durable; nothing was applied")
            }
            for c in undone {
                for r in opWaiters.removeValue(forKey: c.seq) ?? [] { r(.failure(apiError)) }
                publishWaiters.removeValue(forKey: c.seq)?(.failure(apiError))
            }
        }
    }

    // MARK: publish

    /// The draft becomes the cabinet's new published version. The new version and the change's op-log
    /// row are written in one savepoint by the writer; the reply and the `published` event follow only
    /// once both are durable.
    package func publish(by user: Principal, reply: @escaping PublishReply) {
        lastActivity = Date()
        let change = state.beginPublish(user: user.subject, clientOpID: "\u{1F}publish-\(state.draft.seq + 1)")
        publishWaiters[change.seq] = reply
        var plan = change.after.planogram
        plan.deviceID = cabinet.deviceID
        plan.cabinetIndex = cabinet.index
        let seq = change.seq
        let epoch = change.epoch
        env.writer.append(
            .publish(
                sessionID: id,
                seq: seq,
                version: change.version,
                epoch: epoch,
                user: user.subject,
                clientOpID: change.clientOpID,
                planogram: plan,
                at: Int64(Date().timeIntervalSince1970)
            )
        ) { [self] result in
            queue.async {
                self.logged(
                    seq: seq,
                    epoch: epoch,
                    result: result,
                    by: user,
                    received: DispatchTime.now().uptimeNanoseconds
                )
            }
        }
    }

    // MARK: subscribers

    /// Adds a subscriber: exactly the missed events (ring, or op log plus the newest derived state) or a
    /// snapshot, then live events. Reading the op log happens off the session queue.
    package func subscribe(_ stream: EventStream, user: Principal, lastEventID: String?) {
        guard let text = lastEventID, let after = EventID(text) else {
            sendSnapshotAndAttach(stream, user)
            return
        }
        switch bus.resume(after: after) {
        case .events(let frames):
            for f in frames { stream.send(f) }
            attach(stream, user)
        case .snapshot:
            sendSnapshotAndAttach(stream, user)
        case let .needsLog(afterSeq, throughSeq):
            let sid = id
            env.writer.readAsync { [self] db in
                let rows = SessionRegistry.logEvents(db, sessionID: sid, after: afterSeq, through: throughSeq)
                let box = LogRows(rows: rows)
                queue.async { [self] in
                    guard let frames = bus.merge(log: box.rows, after: after, throughSeq: throughSeq) else {
                        sendSnapshotAndAttach(stream, user)
                        return
                    }
                    for f in frames { stream.send(f) }
                    attach(stream, user)
                    if !bus.hasState("heatmap") {
                        derived.wholeCabinetDue = true
                        scheduleDerived()
                    }
                }
            }
        }
    }

    private struct LogRows: @unchecked Sendable { let rows: [(EventID, [UInt8])] }

    private func sendSnapshotAndAttach(_ stream: EventStream, _ user: Principal) {
        withDerivedState { [self] in
            stream.send(snapshotFrame(extra: user))
            attach(stream, user)
        }
    }

    private func attach(_ stream: EventStream, _ user: Principal) {
        bus.subscribe(stream)
        lastActivity = Date()
        if presence.join(user, at: Date()) { emitPresence() }
        stream.onClose { [self] in queue.async { self.detach(user) } }
    }

    private func detach(_ user: Principal) {
        guard presence.leave(user.subject) else { return }
        drags.forget(user: user.subject)
        emitPresence()
        if !presence.hasEditors && state.committed.seq > lastCheckpointSeq { checkpoint() }
    }

    private func emitPresence() {
        bus.publish(
            "presence",
            data: PresenceEvent(participants: presence.bodies),
            changeSeq: nil,
            stateKey: "presence"
        )
        refreshSummary()
    }

    /// The snapshot of the committed draft with the newest heat map and forecast (each with its version).
    package func snapshot() -> SessionSnapshotBody {
        let c = state.committed
        return SessionSnapshotBody(
            sessionID: id,
            deviceID: cabinet.deviceID,
            cabinetIndex: cabinet.index,
            version: c.version,
            seq: c.seq,
            publishedVersion: published.version,
            planogram: SessionPlanogramBody(c.planogram, products: env.catalog().products),
            participants: presence.bodies,
            lastEventID: bus.lastEventID.description,
            heatmap: derived.heatmap,
            revenue: derived.revenue
        )
    }

    /// The `snapshot` event for a joining subscriber; its id is the newest kept event's, so a resume from
    /// it continues exactly. `extra` is the joining user, listed among the participants it is about to join.
    func snapshotFrame(extra: Principal? = nil) -> [UInt8] {
        var body = snapshot()
        if let p = extra, presence.participants[p.subject] == nil {
            var preview = presence
            _ = preview.join(p, at: Date())
            body.participants = preview.bodies
        }
        if let last = lastSnapshot, last.body == body { return last.frame }
        let frame = EventFrame.encode("snapshot", body, id: bus.lastEventID.description)
        lastSnapshot = (body, frame)
        return frame
    }

    func refreshSummary() {
        let c = state.committed
        summary.set(
            SessionSummary(
                sessionID: id,
                deviceID: cabinet.deviceID,
                cabinetIndex: cabinet.index,
                version: c.version,
                seq: c.seq,
                ops: opCount,
                lastActivity: FieldFormat.iso(lastActivity),
                participants: presence.bodies
            )
        )
    }

    /// The session in listings (read without a hop to its queue).
    package func summaryBody() -> SessionSummary { summary.get() }

    // MARK: drags

    /// Keeps the newest position per editor; at most one `drag` event per editor per frame interval,
    /// and the newest position is scored and sent within one frame of its arrival. Called on the
    /// connection's loop (see `DragCoalescer`).
    package func drag(user: Principal, productID: String, slot: SlotCode?, clientMark: String? = nil) {
        Self.dragInputs.increment()
        let now = DispatchTime.now().uptimeNanoseconds
        let position = DragCoalescer.Position(
            productID: productID,
            slot: slot,
            arrived: now,
            mark: clientMark,
            name: user.name
        )
        if let due = drags.offer(user: user.subject, position) {
            queue.asyncAfter(deadline: .init(uptimeNanoseconds: due)) { [self] in emitDrag(user.subject) }
        }
    }

    private func emitDrag(_ user: String) {
        guard let latest = drags.take(user: user, now: DispatchTime.now().uptimeNanoseconds) else { return }
        var data = DragEvent(
            by: user,
            name: latest.name,
            productID: latest.productID,
            slot: latest.slot?.description,
            clientTS: latest.mark
        )
        if let slot = latest.slot, let models = env.models() {
            let committed = state.committed
            // The scoring context depends only on the committed draft: made once per version and model.
            if previewContext?.version != committed.version || previewContext?.builtAt != models.builtAt {
                previewContext = (
                    committed.version, models.builtAt,
                    models.scorer.context(cabinet, committed.planogram, models.products)
                )
            }
            let s = models.scorer.preview(
                productID: latest.productID,
                at: slot,
                cabinet: cabinet,
                draft: committed.planogram,
                catalog: models.products,
                context: previewContext?.context
            )
            data.score = s.score
            data.constraintsPassed = s.constraintsPassed
        }
        Self.dragEvents.increment()
        Self.dragDelay.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- latest.arrived))
        bus.publishTransient("drag", data: data)
    }

    // MARK: checkpoints

    /// Writes the committed state (snapshot + seq) to the store, compacts the op log behind it, and tells
    /// subscribers. A failed checkpoint is tried again by the next timer tick.
    func checkpoint() {
        let c = state.committed
        guard c.seq > lastCheckpointSeq else { return }
        let snap = SessionSnapshot(
            planogram: c.planogram,
            version: c.version,
            seq: c.seq,
            publishedVersion: published.version,
            slotChanged: c.slotChanged
        )
        let previous = lastCheckpointSeq
        opsSinceCheckpoint = 0
        lastCheckpointSeq = c.seq
        let at = Date()
        let compactBefore = c.seq - env.opLogKeep
        env.writer.append(
            .checkpoint(
                sessionID: id,
                seq: c.seq,
                version: c.version,
                snapshot: snap.encoded(),
                at: Int64(at.timeIntervalSince1970),
                compactBefore: compactBefore
            )
        ) { [self] result in
            queue.async { [self] in
                if case .failure(let error) = result {
                    env.logger.error(
                        "checkpoint failed",
                        metadata: ["session": "\(id)", "error": "\(error.description)"]
                    )
                    if lastCheckpointSeq == c.seq { lastCheckpointSeq = previous }
                    return
                }
                state.logCompacted(before: compactBefore)
                bus.publish(
                    "checkpoint",
                    data: CheckpointEvent(version: c.version, seq: c.seq, at: FieldFormat.iso(at)),
                    changeSeq: nil,
                    stateKey: nil
                )
            }
        }
    }
}

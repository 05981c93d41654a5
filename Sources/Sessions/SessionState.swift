import Foundation
import HTTPAPI
import PlanogramDomain

/// Who last changed a slot and in which draft version (the conflict rule reads it).
package struct SlotChange: Equatable, Sendable {
    var version: Int
    var by: String
}

/// The draft of a session at one point in its history: a pure value.
package struct DraftState: Equatable, Sendable {
    package var planogram: Planogram
    package var version: Int
    var seq: Int64
    var slotChanged: [SlotCode: SlotChange]
}

/// A change accepted by the state machine but not yet durable.
struct PendingChange: Sendable {
    enum Kind: Sendable {
        case op(SessionOp, changed: [SlotCode])
        case publish
    }
    let seq: Int64
    let version: Int
    let user: String
    let clientOpID: String
    let kind: Kind
    /// The draft once this change is applied.
    let after: DraftState
    /// The rollback generation the change was accepted in (see `SessionState.fail`).
    let epoch: Int
}

/// The session core as a pure state machine: ordering, the conflict rule, idempotency and the two drafts
/// (`draft` with every accepted change, `committed` with the durable ones). No queues, sockets or SQLite.
///
/// The contract with the op log: every accepted change gets the next `seq`, and the log must report each
/// one, in seq order, as durable (`commit`) or failed (`fail`). A failure rolls the draft back to the
/// committed state: the failed change and every later pending one are undone (their seqs are reused, so
/// no seq is ever skipped), and their idempotency keys are forgotten (a retry of the same `client_op_id`
/// is applied afresh). `epoch` counts these rollbacks so the log can refuse the writes of changes a
/// rollback has undone. Nothing is acknowledged before `commit`, so a failure never loses an
/// acknowledged change.
package struct SessionState: Sendable {
    package private(set) var draft: DraftState
    private(set) var committed: DraftState
    private(set) var pending: [PendingChange] = []
    private(set) var idempotency: IdempotencyMemory
    private(set) var epoch = 0

    /// What `submit` decided.
    enum Submission: Equatable {
        /// Applied to the draft with this seq and version; wait for `commit(seq)` before acknowledging.
        case accepted(seq: Int64, version: Int)
        /// A repeat of an op that is already durable: answer its first result, apply nothing.
        case repeated(seq: Int64, version: Int)
        /// A repeat of an op still pending: answer when `seq` commits (or fails).
        case repeatOfPending(seq: Int64)
        /// The key left the memory but may be in the op log: look it up there, then submit again with
        /// `logChecked` when it is not (nothing was applied).
        case lookUpInLog
    }

    /// `firstEpoch`: where the rollback count starts. Each copy of a session in a process starts above every
    /// earlier copy's (`LiveSession.nextEpochBase`), so the op-log writer's fence of a dropped copy never
    /// refuses the changes of the copy loaded after it.
    init(base: DraftState, idempotency: IdempotencyMemory = IdempotencyMemory(), firstEpoch: Int = 0) {
        epoch = firstEpoch
        draft = base
        committed = base
        self.idempotency = idempotency
    }

    static func key(user: String, clientOpID: String) -> String { user + "\u{1F}" + clientOpID }

    /// Orders, checks and applies one op to the draft. Throws the refusal (409 conflict, 422 rule).
    /// `logChecked`: the op log was asked for this key and does not hold it (`.lookUpInLog` came first).
    mutating func submit(
        _ op: SessionOp,
        user: String,
        clientOpID: String,
        baseVersion: Int,
        cabinet: Cabinet,
        products: [String: Product],
        now: Double,
        logChecked: Bool = false
    ) throws(APIError) -> Submission {
        let key = Self.key(user: user, clientOpID: clientOpID)
        if let done = idempotency.result(for: key) {
            return done.seq > committed.seq
                ? .repeatOfPending(seq: done.seq) : .repeated(seq: done.seq, version: done.version)
        }
        if !logChecked && idempotency.mayBeInLog(key) { return .lookUpInLog }
        guard baseVersion >= 0, baseVersion <= draft.version else {
            throw .conflict(
                "base_version \(baseVersion) is not a version of this session (current \(draft.version))",
                details: ["version": draft.version]
            )
        }
        let widths: (String) -> Int = { products[$0]?.widthColumns ?? 1 }
        var touched = Set(op.touchedSlots)
        for s in op.touchedSlots { if let a = draft.planogram.anchor(of: s, widths: widths) { touched.insert(a) } }
        for s in touched.sorted() {
            if let c = draft.slotChanged[s], c.version > baseVersion, c.by != user {
                let anchor = draft.planogram.anchor(of: s, widths: widths) ?? s
                let current: Any =
                    draft.planogram.facings[anchor].map {
                        ["product_id": $0.productID, "capacity": $0.capacity] as [String: Any]
                    } ?? NSNull()
                throw .conflict(
                    "slot \(s) was changed by someone else after version \(baseVersion)",
                    details: [
                        "slot": s.description, "current": current, "version": draft.version,
                        "changed_in_version": c.version,
                    ]
                )
            }
        }
        var next = draft
        let changed = try op.apply(to: &next.planogram, cabinet: cabinet, products: products)
        next.seq += 1
        next.version += 1
        for s in changed {
            next.slotChanged[s] = SlotChange(version: next.version, by: user)
            // A 2-wide product (before or after) also covers the slot to the right.
            if [draft.planogram.facings[s], next.planogram.facings[s]].contains(where: {
                $0.map { widths($0.productID) } == 2
            }) {
                next.slotChanged[s.rightNeighbour] = SlotChange(version: next.version, by: user)
            }
        }
        pending.append(
            PendingChange(
                seq: next.seq,
                version: next.version,
                user: user,
                clientOpID: clientOpID,
                kind: .op(op, changed: changed),
                after: next,
                epoch: epoch
            )
        )
        draft = next
        idempotency.remember(key, seq: next.seq, version: next.version, at: now, committedSeq: committed.seq)
        return .accepted(seq: next.seq, version: next.version)
    }

    /// Accepts a publish of the committed draft as the next change (it takes a seq like an op).
    mutating func beginPublish(user: String, clientOpID: String) -> PendingChange {
        var next = draft
        next.seq += 1
        next.version += 1
        let change = PendingChange(
            seq: next.seq,
            version: next.version,
            user: user,
            clientOpID: clientOpID,
            kind: .publish,
            after: next,
            epoch: epoch
        )
        pending.append(change)
        draft = next
        return change
    }

    /// The log made `seq` durable. Returns the change (nil when it is not the oldest pending change of
    /// the current epoch: a stale report of a change a rollback has already undone).
    mutating func commit(seq: Int64, epoch e: Int) -> PendingChange? {
        guard e == epoch, let first = pending.first, first.seq == seq else { return nil }
        pending.removeFirst()
        committed = first.after
        return first
    }

    /// The log could not make `seq` durable: the draft returns to the committed state, and that change
    /// and every later pending one are undone and returned (their waiters get the error). Nil for a
    /// stale report.
    mutating func fail(seq: Int64, epoch e: Int) -> [PendingChange]? {
        guard e == epoch, let first = pending.first, first.seq == seq else { return nil }
        let undone = pending
        pending = []
        draft = committed
        epoch += 1
        for c in undone where c.clientOpID.first != "\u{1F}" {
            idempotency.forget(Self.key(user: c.user, clientOpID: c.clientOpID))
        }
        return undone
    }

    /// A key of the op log older than the memory's window, found at recovery.
    mutating func noteLogged(user: String, clientOpID: String, seq: Int64) {
        idempotency.noteInLog(Self.key(user: user, clientOpID: clientOpID), seq: seq)
    }

    mutating func logCompacted(before seq: Int64) { idempotency.logCompacted(before: seq) }

    mutating func rememberRecovered(user: String, clientOpID: String, seq: Int64, version: Int, at: Double) {
        idempotency.remember(
            Self.key(user: user, clientOpID: clientOpID),
            seq: seq,
            version: version,
            at: at,
            committedSeq: seq
        )
    }
}

/// The idempotency memory of one session: the first result of each `(user, client_op_id)`, bounded by
/// count and by age (defaults: the newest 2,000 ops, none older than 24 hours). A repeat within the
/// bound returns the first result. Entries of pending ops are never evicted.
///
/// Beyond the bound the op log is the truth (docs/API.md, "Idempotency"): the memory keeps a 64-bit digest
/// of every key it evicted (or that recovery found in the log behind its window) while the log may still
/// hold its row, and `mayBeInLog` tells the session to look the key up in the log before taking the op as
/// new, so a late retry gets its first `{seq, version}`. Digests of rows the log compacted away are dropped.
struct IdempotencyMemory: Sendable {
    let capacity: Int
    let maxAge: Double
    private var results: [String: (seq: Int64, version: Int, at: Double)] = [:]
    private var order: [(key: String, seq: Int64)] = []
    private var head = 0
    /// Digests of keys the memory no longer holds but the op log may (digest → how many such keys).
    private var inLog: [UInt64: Int] = [:]
    /// The same digests in seq order, to drop them when the log is compacted.
    private var inLogOrder: [(digest: UInt64, seq: Int64)] = []
    private var inLogHead = 0

    init(capacity: Int = 2_000, maxAge: Double = 86_400) {
        self.capacity = max(1, capacity)
        self.maxAge = maxAge
    }

    var count: Int { results.count }

    func result(for key: String) -> (seq: Int64, version: Int)? {
        results[key].map { ($0.seq, $0.version) }
    }

    /// Whether the op log may hold `key` although the memory does not (then the log is asked).
    func mayBeInLog(_ key: String) -> Bool { results[key] == nil && inLog[Self.digest(key)] != nil }

    /// A key of the op log behind the memory's window (recovery).
    mutating func noteInLog(_ key: String, seq: Int64) {
        let d = Self.digest(key)
        inLog[d, default: 0] += 1
        inLogOrder.append((d, seq))
    }

    /// The op log dropped every row before `seq`.
    mutating func logCompacted(before seq: Int64) {
        while inLogHead < inLogOrder.count, inLogOrder[inLogHead].seq < seq {
            let d = inLogOrder[inLogHead].digest
            if let n = inLog[d], n > 1 { inLog[d] = n - 1 } else { inLog[d] = nil }
            inLogHead += 1
        }
        if inLogHead > 1024 && inLogHead * 2 > inLogOrder.count {
            inLogOrder.removeFirst(inLogHead)
            inLogHead = 0
        }
    }

    /// FNV-1a: stable within and across processes (Swift's `Hasher` is seeded per process).
    static func digest(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    mutating func remember(_ key: String, seq: Int64, version: Int, at: Double, committedSeq: Int64) {
        results[key] = (seq, version, at)
        order.append((key, seq))
        evict(now: at, committedSeq: committedSeq)
    }

    mutating func forget(_ key: String) { results[key] = nil }

    private mutating func evict(now: Double, committedSeq: Int64) {
        while head < order.count {
            let (key, seq) = order[head]
            guard let r = results[key], r.seq == seq else {
                head += 1
                continue
            }  // forgotten or replaced
            let tooMany = results.count > capacity
            let tooOld = now - r.at > maxAge
            guard (tooMany || tooOld) && seq <= committedSeq else { break }
            results[key] = nil
            noteInLog(key, seq: seq)
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

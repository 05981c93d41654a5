/// The kept events of one session for `Last-Event-ID` resumes: a bounded ring of the newest events and,
/// for every piece of derived state (heat map, forecast, each slot's score, presence), its newest event
/// even after the ring has dropped it. A pure value; the session owns it on its queue.
///
/// A resume from an id still in the ring gets exactly the kept events after it. A resume from an older
/// id needs the op log for the changes the ring dropped (`needsLog`), then gets those changes, the newest
/// event of every piece of derived state it missed, and the ring — everything a client needs to be
/// exactly current; only superseded derived events and old `reasoning_done`/`checkpoint` events are
/// not repeated. Beyond `maxLogReplay` changes, or for an id this session never issued, the answer is a
/// fresh snapshot.
struct ReplayLog: Sendable {
    struct Entry: Sendable {
        let id: EventID
        let stateKey: String?
        let frame: [UInt8]
    }

    enum Resume: Sendable {
        /// Exactly these frames, in order.
        case events([[UInt8]])
        /// The changes with seq in (afterSeq, throughSeq] must come from the op log (`merge`).
        case needsLog(afterSeq: Int64, throughSeq: Int64)
        /// Send a fresh snapshot instead.
        case snapshot
    }

    let capacity: Int
    let maxLogReplay: Int
    private var ring: [Entry] = []
    private var head = 0
    private var latestState: [String: Entry] = [:]
    /// Every kept event with an id at or below the floor has left the ring.
    private(set) var floor: EventID
    /// The id of the newest kept event (or the start).
    private(set) var last: EventID

    init(capacity: Int, maxLogReplay: Int, start: EventID) {
        self.capacity = max(1, capacity)
        self.maxLogReplay = maxLogReplay
        floor = start
        last = start
    }

    /// The id of the next event: a change takes its seq; anything else the next counter after `last`.
    func nextID(changeSeq: Int64?) -> EventID {
        if let s = changeSeq { return EventID(seq: s) }
        return EventID(seq: last.seq, index: last.index + 1)
    }

    /// Keeps an event. Ids must increase; one that does not (a bug, never input) is not kept, so a resume
    /// can never be answered out of order.
    mutating func append(_ entry: Entry) {
        guard entry.id > last else {
            assertionFailure("event ids must increase: \(entry.id) after \(last)")
            return
        }
        last = entry.id
        if ring.count - head >= capacity {
            floor = ring[head].id
            head += 1
            if head >= capacity {
                ring.removeFirst(head)
                head = 0
            }
        }
        ring.append(entry)
        if let key = entry.stateKey { latestState[key] = entry }
    }

    var kept: Int { ring.count - head }

    /// Whether the newest event of a piece of state is known (e.g. a heat map was ever sent).
    func hasState(_ key: String) -> Bool { latestState[key] != nil }

    func resume(after id: EventID) -> Resume {
        if id > last { return .snapshot }
        if id >= floor { return .events(ring[head...].filter { $0.id > id }.map(\.frame)) }
        if floor.seq - id.seq > Int64(maxLogReplay) { return .snapshot }
        return .needsLog(afterSeq: id.seq, throughSeq: floor.seq)
    }

    /// Completes a `needsLog` resume with the changes read from the op log (ids in (after, throughSeq]).
    /// Nil when the ring moved on while the log was read, or the log does not account for every seq:
    /// the caller sends a snapshot.
    func merge(log: [(EventID, [UInt8])], after id: EventID, throughSeq: Int64) -> [[UInt8]]? {
        guard floor.seq <= throughSeq, id < floor else { return nil }
        let changes = log.filter { $0.0 > id && $0.0 <= floor }
        guard changes.count == Int(floor.seq - id.seq) else { return nil }
        var out: [(EventID, [UInt8])] = changes
        for e in latestState.values where e.id > id && e.id <= floor { out.append((e.id, e.frame)) }
        for e in ring[head...] { out.append((e.id, e.frame)) }
        return out.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

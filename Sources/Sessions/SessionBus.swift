import EventLoopHTTP
import HTTPAPI

/// The seam between a live session and its audience: fan-out of encoded events and the history that
/// resumes are served from (like Mercure's Transport). The session calls it only on its own queue. The
/// local implementation fans out through a `Broadcaster` and keeps a `ReplayLog` in memory; a
/// multi-node deployment puts another implementation behind the same protocol.
protocol SessionBus: AnyObject {
    /// Sends a kept event to every subscriber; it gets the next id (`changeSeq` for a change) and goes
    /// into the history. `stateKey` names the piece of derived state it replaces (e.g. "heatmap").
    @discardableResult
    func publish<Body: Encodable>(_ event: String, data: Body, changeSeq: Int64?, stateKey: String?) -> EventID
    /// Sends an event that is not kept and has no id (drag previews, reasoning deltas).
    func publishTransient<Body: Encodable>(_ event: String, data: Body)
    /// What a subscriber that saw `after` has missed.
    func resume(after: EventID) -> ReplayLog.Resume
    /// Completes a resume that needed the op log.
    func merge(log: [(EventID, [UInt8])], after: EventID, throughSeq: Int64) -> [[UInt8]]?
    /// The id of the newest kept event.
    var lastEventID: EventID { get }
    /// Whether a piece of derived state has been sent since the session started.
    func hasState(_ key: String) -> Bool
    /// Adds a subscriber: it receives every event published after this call.
    func subscribe(_ stream: EventStream)
    /// Ends every subscriber's stream (the session moved to another node; they resume there).
    func closeAll()
}

/// The single-process bus: a Broadcaster and an in-memory ReplayLog.
/// Confinement: called only on the owning session's queue.
final class LocalSessionBus: SessionBus, @unchecked Sendable {
    private let broadcaster: Broadcaster
    private var log: ReplayLog

    init(loops: EventLoopGroup, capacity: Int, maxLogReplay: Int, start: EventID) {
        broadcaster = Broadcaster(group: loops)
        log = ReplayLog(capacity: capacity, maxLogReplay: maxLogReplay, start: start)
    }

    func publish<Body: Encodable>(_ event: String, data: Body, changeSeq: Int64?, stateKey: String?) -> EventID {
        let id = log.nextID(changeSeq: changeSeq)
        let frame = EventFrame.encode(event, data, id: id.description)
        log.append(.init(id: id, stateKey: stateKey, frame: frame))
        broadcaster.publish(frame)
        return id
    }

    func publishTransient<Body: Encodable>(_ event: String, data: Body) {
        broadcaster.publish(EventFrame.encode(event, data))
    }

    func resume(after id: EventID) -> ReplayLog.Resume { log.resume(after: id) }

    func merge(log entries: [(EventID, [UInt8])], after id: EventID, throughSeq: Int64) -> [[UInt8]]? {
        log.merge(log: entries, after: id, throughSeq: throughSeq)
    }

    var lastEventID: EventID { log.last }

    func hasState(_ key: String) -> Bool { log.hasState(key) }

    func subscribe(_ stream: EventStream) { broadcaster.subscribe(stream) }

    func closeAll() { broadcaster.forEachSubscriber { $0.close() } }
}

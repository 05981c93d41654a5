/// Fans one encoded frame out to many event streams.
///
/// Subscribers are grouped by the loop that owns them; a publish hands the same bytes to each group
/// with one hop per loop (not per subscriber), and each group writes to its streams on its own loop.
/// A stream leaves its group when it closes. Safe to use from any thread.
package final class Broadcaster: Sendable {
    private let groups: [ObjectIdentifier: SubscriberGroup]

    /// A broadcaster to streams on `group`'s loops.
    package init(group: EventLoopGroup) {
        var g: [ObjectIdentifier: SubscriberGroup] = [:]
        for loop in group.loops { g[ObjectIdentifier(loop)] = SubscriberGroup(loop: loop) }
        groups = g
    }

    /// A broadcaster to `server`'s streams.
    package convenience init(server: HTTPServer) { self.init(group: server.group) }

    /// Adds a stream; it receives every frame published after this call reaches its loop.
    package func subscribe(_ stream: EventStream) {
        guard let group = groups[ObjectIdentifier(stream.loop)] else { return }
        stream.loop.run {
            group.add(stream)
            stream.onClose { group.remove(stream) }
        }
    }

    /// Removes a stream without closing it.
    package func unsubscribe(_ stream: EventStream) {
        guard let group = groups[ObjectIdentifier(stream.loop)] else { return }
        stream.loop.run { group.remove(stream) }
    }

    /// Sends the same bytes to every subscriber.
    package func publish(_ bytes: [UInt8]) {
        for group in groups.values {
            group.loop.run { group.deliver(bytes) }
        }
    }

    package func publish(_ frame: SSEFrame) { publish(frame.bytes) }

    /// Calls `body` with every subscriber, each on its loop (e.g. to close them all).
    package func forEachSubscriber(_ body: @escaping @Sendable (EventStream) -> Void) {
        for group in groups.values {
            group.loop.run { for s in group.streams { body(s) } }
        }
    }
}

/// The subscribers of one broadcaster on one loop. Confinement: touched only on `loop`.
///
/// Frames that reach the loop are queued and written by one flush scheduled after them: when
/// publishes outpace the fan-out, several frames leave in one write per subscriber (the socket
/// work, not the encoding, is what a delivery costs). A stream added to the group receives exactly
/// the frames delivered to the loop after it was added.
final class SubscriberGroup: @unchecked Sendable {
    let loop: EventLoop
    private(set) var streams: [EventStream] = []
    private var index: [ObjectIdentifier: Int] = [:]
    private var pending: [[UInt8]] = []
    private var flushScheduled = false

    init(loop: EventLoop) { self.loop = loop }

    func add(_ s: EventStream) {
        let key = ObjectIdentifier(s)
        guard index[key] == nil, !s.isClosed else { return }
        flush()  // what is pending was delivered before this stream joined
        index[key] = streams.count
        streams.append(s)
    }

    func remove(_ s: EventStream) {
        guard let i = index.removeValue(forKey: ObjectIdentifier(s)) else { return }
        let last = streams.removeLast()
        if i < streams.count {
            streams[i] = last
            index[ObjectIdentifier(last)] = i
        }
    }

    func deliver(_ bytes: [UInt8]) {
        pending.append(bytes)
        if !flushScheduled {
            flushScheduled = true
            loop.queue.async { self.flush() }
        }
    }

    func flush() {
        flushScheduled = false
        guard !pending.isEmpty else { return }
        let batch: [UInt8] = pending.count == 1 ? pending[0] : Array(pending.joined())
        pending.removeAll(keepingCapacity: true)
        // A stream may close (and leave) while we iterate: iterate over a copy of the references.
        let current = streams
        for s in current { s.sendOnLoop(batch) }
    }
}

/// One SSE subscriber: a connection whose response is a `text/event-stream`.
///
/// `send` may be called from any thread; bytes reach the socket in the order sent from one thread.
/// A subscriber whose unsent backlog would pass `maxSubscriberBufferBytes` is closed, never waited
/// for. Close handlers run once, on the loop, however the stream ends.
///
/// Confinement: `closeHandlers` and `closed` are touched only on `loop`.
package final class EventStream: @unchecked Sendable {
    let connection: HTTPConnection
    private var closeHandlers: [@Sendable () -> Void] = []
    private var closed = false
    /// Free for the owner of the stream (a session id, a user); the engine never reads it.
    package nonisolated(unsafe) var userInfo: [String: String] = [:]

    init(connection: HTTPConnection) {
        self.connection = connection
    }

    package var loop: EventLoop { connection.loop }

    /// Sends the bytes of an encoded frame (see `SSEFrame`).
    package func send(_ bytes: [UInt8]) {
        let connection = self.connection
        connection.loop.run { connection.streamWrite(bytes) }
    }

    package func send(_ frame: SSEFrame) { send(frame.bytes) }

    /// Sends on the loop, no hop: for callers already on `loop`.
    func sendOnLoop(_ bytes: [UInt8]) { connection.streamWrite(bytes) }

    /// Sends a last frame (if any) and closes once it is written.
    package func close(final: [UInt8]? = nil) {
        let connection = self.connection
        connection.loop.run {
            if let final { connection.streamWrite(final) }
            connection.closeAfterFlush()
        }
    }

    /// Runs `handler` on the loop when the stream ends (at once if it already has).
    package func onClose(_ handler: @escaping @Sendable () -> Void) {
        loop.run { [self] in
            if closed { handler() } else { closeHandlers.append(handler) }
        }
    }

    /// Called by the connection on the loop when it closes.
    func didClose() {
        guard !closed else { return }
        closed = true
        let handlers = closeHandlers
        closeHandlers = []
        for h in handlers { h() }
    }

    /// Whether the stream has ended. Meaningful on the loop.
    package var isClosed: Bool { closed }
}

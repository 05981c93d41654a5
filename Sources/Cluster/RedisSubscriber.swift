import CHiredis
import Foundation

/// Listens to Redis channels on a thread of its own (SUBSCRIBE blocks its connection) and hands every
/// message to `onMessage` on that thread. When the link breaks it reconnects with backoff (0.1 s doubling
/// to 2 s), subscribes again and calls `onResubscribed` — messages published while it was away are lost
/// (Redis pub/sub keeps none), so the owner refreshes whatever they would have told it.
package final class RedisSubscriber: @unchecked Sendable {
    package typealias Handler = @Sendable (_ channel: String, _ payload: [UInt8]) -> Void

    private let url: RedisURL
    private let channels: [String]
    private let onMessage: Handler
    private let onResubscribed: @Sendable () -> Void
    private let lock = NSLock()
    private var stopped = false
    private var connection: RedisConnection?
    private var thread: Thread?
    private let ready = DispatchSemaphore(value: 0)

    package init(
        url: RedisURL,
        channels: [String],
        onResubscribed: @escaping @Sendable () -> Void = {},
        onMessage: @escaping Handler
    ) {
        self.url = url
        self.channels = channels
        self.onMessage = onMessage
        self.onResubscribed = onResubscribed
    }

    /// Starts listening; returns once the first SUBSCRIBE is confirmed (or after `timeout`, false).
    @discardableResult
    package func start(timeout: Double = 5) -> Bool {
        let t = Thread { [self] in run() }
        t.name = "redis-subscriber"
        thread = t
        t.start()
        return ready.wait(timeout: .now() + timeout) == .success
    }

    /// Stops the thread (its connection is shut down so a blocked read returns).
    package func stop() {
        lock.lock()
        stopped = true
        let c = connection
        lock.unlock()
        c?.shutdownSocket()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func run() {
        var backoff = 0.1
        var first = true
        while !isStopped {
            do {
                let c = try RedisConnection(url: url, timeoutSeconds: 2, readTimeoutSeconds: 0)
                lock.lock()
                connection = c
                let s = stopped
                lock.unlock()
                if s { return }
                try c.sendOnly(["SUBSCRIBE"] + channels)
                var confirmed = 0
                while !isStopped {
                    let reply = try c.nextReply().array
                    guard let kind = reply.first?.text else { continue }
                    if kind == "subscribe" {
                        confirmed += 1
                        if confirmed == channels.count {
                            backoff = 0.1
                            if first {
                                first = false
                                ready.signal()
                            } else {
                                onResubscribed()
                            }
                        }
                    } else if kind == "message", reply.count == 3, let channel = reply[1].text,
                        case .string(let payload) = reply[2]
                    {
                        onMessage(channel, payload)
                    }
                }
            } catch {
                if isStopped { return }
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(2, backoff * 2)
            }
        }
    }
}

extension RedisConnection {
    /// Ends the socket under a blocked read, from another thread (the read then fails and returns).
    func shutdownSocket() {
        withContext { c in _ = Glibc.shutdown(c.pointee.fd, Int32(SHUT_RDWR)) }
    }
}

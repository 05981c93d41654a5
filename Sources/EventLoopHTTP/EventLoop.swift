import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One serial queue that owns a share of the server's sockets.
///
/// A connection lives on one loop for its whole life, and everything that touches it runs on that
/// loop's queue, so connection state needs no locks. The loop's `poller` tells its connections when
/// their sockets are ready (one Dispatch read source on the loop's own epoll set). The loop also runs a
/// periodic sweep for timeouts and heartbeats, and lends every read a shared scratch buffer.
///
/// Confinement: the mutable stored properties are touched only on `queue`.
package final class EventLoop: @unchecked Sendable {
    package let queue: DispatchQueue
    let id: Int
    static let key = DispatchSpecificKey<Int>()
    private static let nextID = Atomic<Int>(1)

    // Loop-confined state.
    var connections: [ObjectIdentifier: HTTPConnection] = [:]
    let scratch: UnsafeMutableRawBufferPointer
    var pendingBytesWritten = 0
    var requestCounters: [String: RequestMetrics] = [:]
    private var sweepTimer: DispatchSourceTimer?
    /// Readiness of this loop's sockets (started by the server, stopped with the sweep).
    let poller = SocketPoller()

    init(label: String) {
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: Self.key, value: id)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// True when the caller runs on this loop's queue.
    package var inLoop: Bool { DispatchQueue.getSpecific(key: Self.key) == id }

    /// Runs `work` on the loop, later.
    package func execute(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }

    /// Runs `work` now if already on the loop, else later on it.
    package func run(_ work: @escaping @Sendable () -> Void) {
        if inLoop { work() } else { queue.async(execute: work) }
    }

    func startSweeping(every interval: Double, _ tick: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let ns = Int(interval * 1e9)
        timer.schedule(deadline: .now() + .nanoseconds(ns), repeating: .nanoseconds(ns), leeway: .milliseconds(20))
        timer.setEventHandler(handler: tick)
        timer.resume()
        sweepTimer = timer
    }

    func stopSweeping() {
        sweepTimer?.cancel()
        sweepTimer = nil
    }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

import CEpoll
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// What a socket wants to be told about.
struct PollInterest: OptionSet, Sendable {
    let rawValue: UInt8
    /// Bytes to read, or the peer's end of input.
    static let read = PollInterest(rawValue: 1)
    /// Room in the send buffer.
    static let write = PollInterest(rawValue: 2)
}

/// A socket registered with a `SocketPoller`. Called on the loop's queue only.
protocol PollTarget: AnyObject {
    func socketReadable()
    func socketWritable()
    /// The socket is reset or shut down both ways (EPOLLHUP or EPOLLERR). Reported whatever the interest,
    /// and again on every turn until the target removes the socket, so the target closes it.
    func socketHungUp()
}

/// Readiness for one event loop's sockets: an epoll set of the loop's own, level-triggered, that
/// libdispatch watches through a single read source on the epoll descriptor.
///
/// Why not one Dispatch read source and one write source per socket, as before: on Linux, libdispatch
/// keeps one shared record per watched descriptor. When a socket hangs up (a client's reset), its
/// manager thread walks that record while the source's own queue acknowledges the deletion and may free
/// it (swift-corelibs-libdispatch issues #833 and #949). Under resets from many clients that race
/// corrupted its lists and crashed the test process ("Source finalized twice", CI of 2026-12-03). An
/// epoll descriptor never hangs up, so the only record libdispatch keeps here is never deleted under it.
/// Sockets are added, changed and removed by this type alone, on the loop's queue, and a socket is
/// removed before it is closed, so its number can be reused by the next accept at once.
///
/// Level-triggered: a socket that is still readable (or writable, or hung up) after a turn is reported
/// again on the next one; a turn takes at most `batch` events, so one busy socket cannot starve the rest.
///
/// Confinement: `start` runs before any socket is added; everything else runs on the loop's queue.
final class SocketPoller: @unchecked Sendable {
    private let epfd: Int32
    private let createError: Int32
    private var source: DispatchSourceRead?
    private var stopped = false
    private var targets: [Int32: PollTarget] = [:]
    private let batch = 128
    private let events: UnsafeMutablePointer<epoll_event>

    init() {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        createError = epfd < 0 ? errno : 0
        events = .allocate(capacity: batch)
    }

    deinit {
        events.deallocate()
        if source == nil && epfd >= 0 { _ = Glibc.close(epfd) }  // never started; else the cancel handler closes it
    }

    /// Sockets registered now.
    var count: Int { targets.count }

    /// Starts reporting readiness on `queue`.
    func start(on queue: DispatchQueue) throws {
        guard epfd >= 0 else {
            throw HTTPServerError(description: "epoll_create1: \(String(cString: strerror(createError)))")
        }
        guard source == nil, !stopped else { return }
        let fd = epfd
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        // Strong on purpose: the poller lives until its source is cancelled (`stop`).
        s.setEventHandler { [self] in turn() }
        s.setCancelHandler { _ = Glibc.close(fd) }
        source = s
        s.resume()
    }

    /// Stops reporting and closes the epoll descriptor (after libdispatch has let go of it). Sockets
    /// still registered are forgotten, not closed: their owners close them.
    func stop() {
        guard !stopped else { return }
        stopped = true
        targets = [:]
        source?.cancel()
    }

    /// Registers a socket. False when the poller is stopped or epoll refuses (the caller closes the socket).
    func add(_ fd: Int32, interest: PollInterest, target: PollTarget) -> Bool {
        guard !stopped, source != nil else { return false }
        var ev = epoll_event()
        ev.events = Self.mask(interest)
        ev.data.fd = fd
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 else { return false }
        targets[fd] = target
        return true
    }

    /// Changes what a registered socket is reported for.
    func update(_ fd: Int32, interest: PollInterest) {
        guard !stopped, targets[fd] != nil else { return }
        var ev = epoll_event()
        ev.events = Self.mask(interest)
        ev.data.fd = fd
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Forgets a socket; call before closing it. Events already fetched for it in this turn are dropped.
    func remove(_ fd: Int32) {
        guard targets.removeValue(forKey: fd) != nil, !stopped else { return }
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    static func mask(_ interest: PollInterest) -> UInt32 {
        var m: UInt32 = 0
        if interest.contains(.read) { m |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.write) { m |= EPOLLOUT.rawValue }
        return m  // EPOLLHUP and EPOLLERR are always reported
    }

    /// One turn: the ready sockets, at most `batch` of them, each told what it is ready for.
    private func turn() {
        guard !stopped else { return }
        let n = epoll_wait(epfd, events, Int32(batch), 0)
        guard n > 0 else { return }  // nothing (another turn took it) or EINTR: libdispatch calls again
        let hangup = EPOLLHUP.rawValue | EPOLLERR.rawValue
        let readable = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        for i in 0..<Int(n) {
            let flags = events[i].events
            let fd = events[i].data.fd
            // Looked up each time: a target handled earlier in this turn may have closed another socket.
            guard let target = targets[fd] else { continue }
            if flags & hangup != 0 {
                target.socketHungUp()
                continue
            }
            if flags & readable != 0 { target.socketReadable() }
            if flags & EPOLLOUT.rawValue != 0, let again = targets[fd], again === target { target.socketWritable() }
        }
    }
}

import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Errors starting the server.
package struct HTTPServerError: Error, CustomStringConvertible {
    package let description: String
}

/// The HTTP/1.1 server: a listening socket on a Dispatch read source, a fixed set of event loops that
/// own the accepted connections (round-robin; each loop's `SocketPoller` reports their readiness),
/// limits, timeouts and a graceful drain.
///
/// Life cycle: `start()` → serving → `beginDrain()` (stop accepting, readiness off, idle connections
/// closed, in-flight requests finish) → `finishShutdown(...)` (streams get a last frame and close; all
/// is done within `shutdownGrace`).
package final class HTTPServer: @unchecked Sendable {
    package let configuration: HTTPServerConfiguration
    let router: Router
    package let group: EventLoopGroup
    package var loops: [EventLoop] { group.loops }
    let metrics = HTTPMetrics()

    private let acceptQueue = DispatchQueue(label: "http.accept")
    // Touched only on acceptQueue.
    private var listenFD: Int32 = -1
    private var acceptSource: DispatchSourceRead?
    private var acceptPaused = false
    private var nextLoop = 0

    private let openConnections = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let heartbeatBytes = SSEFrame(comment: "heartbeat").bytes

    /// A server on `group`'s loops (made beforehand when parts built before the router need them).
    package init(configuration: HTTPServerConfiguration, group: EventLoopGroup, router: Router) {
        self.configuration = configuration
        self.group = group
        self.router = router
    }

    /// A server on loops of its own (`configuration.loopCount` of them).
    package convenience init(configuration: HTTPServerConfiguration, router: Router) {
        self.init(configuration: configuration, group: EventLoopGroup(count: configuration.loopCount), router: router)
    }

    /// True once a drain has begun.
    package var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Open connections right now.
    package var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Binds, listens and starts accepting. Returns the bound port.
    @discardableResult
    package func start() throws -> Int {
        signal(SIGPIPE, SIG_IGN)
        let (fd, port) = try Self.listen(
            host: configuration.host,
            port: configuration.port,
            backlog: configuration.backlog
        )
        let tick = min(
            1.0,
            max(
                0.05,
                min(configuration.requestReadTimeout, configuration.idleTimeout, configuration.heartbeatInterval) / 4
            )
        )
        do {
            for loop in loops { try loop.poller.start(on: loop.queue) }
        } catch {
            for loop in loops { loop.queue.sync { loop.poller.stop() } }  // those already started (no socket yet)
            _ = Glibc.close(fd)
            throw error
        }
        for loop in loops {
            let heartbeat = heartbeatBytes
            let metrics = self.metrics
            loop.startSweeping(every: tick) { [loop] in
                let now = monotonicNanos()
                for connection in Array(loop.connections.values) { connection.sweep(now: now, heartbeat: heartbeat) }
                if loop.pendingBytesWritten > 0 {
                    metrics.bytesWritten.increment(by: Int64(loop.pendingBytesWritten))
                    loop.pendingBytesWritten = 0
                }
            }
        }
        acceptQueue.sync {
            listenFD = fd
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
            source.setEventHandler { [weak self] in self?.acceptAll() }
            source.setCancelHandler { _ = Glibc.close(fd) }
            acceptSource = source
            source.resume()
        }
        return port
    }

    private static func listen(host: String, port: Int, backlog: Int32) throws -> (Int32, Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let info = res else {
            throw HTTPServerError(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        let fd = socket(
            info.pointee.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw HTTPServerError(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let msg = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw HTTPServerError(description: "cannot bind \(host):\(port): \(msg)")
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let msg = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw HTTPServerError(description: "listen: \(msg)")
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard bound == 0 else { throw HTTPServerError(description: "getsockname failed") }
        let actualPort: Int
        if storage.ss_family == sa_family_t(AF_INET6) {
            actualPort = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        } else {
            actualPort = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        }
        return (fd, actualPort)
    }

    /// Runs on acceptQueue whenever the listening socket is readable.
    private func acceptAll() {
        for _ in 0..<512 {
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &len)
                }
            }
            if fd < 0 {
                let e = errno
                if e == EINTR || e == ECONNABORTED { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Out of descriptors: stop accepting for a moment rather than spin.
                    pauseAccepting(for: 0.1)
                }
                return
            }
            if isDraining {
                _ = Glibc.close(fd)
                continue
            }
            if openConnections.load(ordering: .relaxed) >= configuration.maxConnections {
                metrics.connectionsRejected.increment()
                let bytes = HTTPResponse.error(503, "too many connections").serialize(keepAlive: false, omitBody: false)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                _ = Glibc.close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            openConnections.wrappingAdd(1, ordering: .relaxed)
            metrics.connectionsTotal.increment()
            metrics.connectionsOpen.increment()
            let address = Self.describe(&storage)
            let loop = loops[nextLoop]
            nextLoop = (nextLoop + 1) % loops.count
            loop.execute { [self] in
                HTTPConnection(fd: fd, loop: loop, server: self, remoteAddress: address).start()
            }
        }
    }

    private func pauseAccepting(for seconds: Double) {
        guard !acceptPaused, let source = acceptSource else { return }
        acceptPaused = true
        source.suspend()
        acceptQueue.asyncAfter(deadline: .now() + seconds) { [self] in
            if acceptPaused, let s = acceptSource {
                acceptPaused = false
                s.resume()
            }
        }
    }

    static func describe(_ storage: inout sockaddr_storage) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if storage.ss_family == sa_family_t(AF_INET) {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
                    return String(cString: buf) + ":\(UInt16(bigEndian: sin.pointee.sin_port))"
                }
            }
        } else if storage.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
                    return "[" + String(cString: buf) + "]:\(UInt16(bigEndian: sin.pointee.sin6_port))"
                }
            }
        }
        return "unknown"
    }

    /// Called by a connection (on its loop) when it has closed.
    func connectionClosed() {
        openConnections.wrappingSubtract(1, ordering: .relaxed)
        metrics.connectionsOpen.decrement()
    }

    // MARK: Shutdown

    /// Stops accepting, turns readiness off, and lets the loops close idle keep-alive connections.
    /// Requests in flight finish; their responses close the connection.
    /// Waits until the work queued to every loop before this call — and the flushes that work
    /// schedules (broadcast frames are queued, then written by a follow-up turn) — has run.
    /// Used at shutdown so last events reach subscribers before the final frame. It waits on the
    /// loops, so it is called from the shutdown path only, never from a loop or a handler.
    package func barrier() {
        for _ in 0..<2 { for loop in loops { loop.queue.sync {} } }
    }

    /// Stops accepting new connections; waits only on the accept queue (which never waits on a
    /// loop), so it may be called from any thread except the accept queue itself.
    package func beginDrain() {
        guard !draining.exchange(true, ordering: .relaxed) else { return }
        acceptQueue.sync {
            if let s = acceptSource {
                if acceptPaused {
                    s.resume()
                    acceptPaused = false
                }
                s.cancel()
                acceptSource = nil
            }
        }
    }

    /// Ends every event stream (after `finalFrame`, if given), waits for the connections to finish
    /// within `shutdownGrace`, closes whatever is left, and calls `completion` with whether everything
    /// ended by itself.
    package func finishShutdown(finalFrame: [UInt8]? = nil, completion: @escaping @Sendable (Bool) -> Void) {
        beginDrain()
        for loop in loops {
            loop.execute {
                for connection in Array(loop.connections.values) {
                    if let stream = connection.stream {
                        if let finalFrame { connection.streamWrite(finalFrame) }
                        _ = stream
                        connection.closeAfterFlush()
                    } else if connection.phase == .idle {
                        connection.close("shutdown")
                    }
                }
            }
        }
        let deadline = DispatchTime.now() + configuration.shutdownGrace
        DispatchQueue.global().async { self.awaitConnections(deadline: deadline, completion: completion) }
    }

    private func awaitConnections(deadline: DispatchTime, completion: @escaping @Sendable (Bool) -> Void) {
        if connectionCount == 0 {
            stopLoops()
            completion(true)
        } else if DispatchTime.now() >= deadline {
            for loop in loops {
                loop.queue.sync { for c in Array(loop.connections.values) { c.close("shutdown deadline") } }
            }
            stopLoops()
            completion(false)
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) {
                self.awaitConnections(deadline: deadline, completion: completion)
            }
        }
    }

    private func stopLoops() {
        for loop in loops {
            loop.queue.sync {
                loop.stopSweeping()
                loop.poller.stop()
            }
        }
    }
}

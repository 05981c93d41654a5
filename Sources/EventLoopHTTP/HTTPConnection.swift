import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection: reads and parses requests, hands them to handlers one at a time
/// (pipelined requests wait their turn), writes responses in order, and may turn into an event stream.
///
/// Confinement: created, used and destroyed on its `loop`'s queue only. Other threads reach it through
/// `Responder` and `EventStream`, which hop to the loop.
final class HTTPConnection: PollTarget, @unchecked Sendable {
    enum Phase {
        /// Between requests, or reading a request head.
        case idle
        /// Reading a request body.
        case body
        /// A handler owns the current request.
        case awaiting
        /// The response is an event stream; no more requests on this connection.
        case streaming
        /// The last response is written and our side is shut down for writing; input is read and
        /// discarded until the client closes or `lingeringTime` passes (see `closeAfterFlush`).
        case lingering
        case closed
    }

    let fd: Int32
    let loop: EventLoop  // strong: a connection may outlive the server object; the cycle ends when it closes
    let server: HTTPServer
    let remoteAddress: String

    private(set) var phase: Phase = .idle
    /// Waiting for room in the send buffer (a backlog is queued).
    private var writeArmed = false
    /// Reading is paused (backpressure, or a handler owns the request and more input waits).
    private var readPaused = false
    /// What the loop's poller reports for this socket now.
    private var registered: PollInterest = []

    private var inbound: [UInt8] = []
    private var inboundStart = 0
    private var parser: HTTPRequestParser
    private var processing = false

    private var pendingRequest: HTTPRequest?
    private var pendingRoute: Router.Match = .notFound
    private var pendingBody: [UInt8] = []
    private var pendingMaxBody = 0
    private var pendingKeepAlive = true
    private var pendingIsHead = false
    private var requestStartedAt: UInt64?
    private var handlerStartedAt: UInt64 = 0
    private(set) var serial: UInt64 = 0
    private var peerClosed = false
    private var closeWhenFlushed = false
    /// Whether a close after flushing half-closes and lingers first (a response was sent).
    private var lingerWhenFlushed = false
    private var lingerDeadline: UInt64 = 0
    /// Reading is paused because responses wait to be written (read-side backpressure).
    private var blockedOnOutput = false

    private var outbound = OutboundQueue()
    private var lastActivity: UInt64
    private var lastWriteAt: UInt64
    private(set) var stream: EventStream?

    init(fd: Int32, loop: EventLoop, server: HTTPServer, remoteAddress: String) {
        self.fd = fd
        self.loop = loop
        self.server = server
        self.remoteAddress = remoteAddress
        self.parser = HTTPRequestParser(limits: server.configuration.parser)
        let now = monotonicNanos()
        lastActivity = now
        lastWriteAt = now
    }

    // MARK: Life cycle

    func start() {
        guard loop.poller.add(fd, interest: [.read], target: self) else {
            // The server is stopping (or epoll refused the socket): nothing was read, nothing is owed.
            phase = .closed
            _ = Glibc.close(fd)
            server.connectionClosed()
            return
        }
        registered = [.read]
        loop.connections[ObjectIdentifier(self)] = self
    }

    /// Closes now, dropping anything not yet written. The socket leaves the poller before it is closed,
    /// so the next accept may reuse its number at once.
    func close(_ reason: String) {
        guard phase != .closed else { return }
        phase = .closed
        loop.connections[ObjectIdentifier(self)] = nil
        loop.poller.remove(fd)
        registered = []
        writeArmed = false
        _ = Glibc.close(fd)
        outbound.removeAll()
        inbound = []
        inboundStart = 0  // the buffer and its read position are emptied together
        pendingBody = []
        if let stream {
            server.metrics.sseSubscribers.decrement()
            stream.didClose()
        }
        server.connectionClosed()
    }

    /// Tells the poller what this socket waits for: input unless paused or ended, room to write while a
    /// backlog is queued.
    private func updateInterest() {
        guard phase != .closed else { return }
        var wanted: PollInterest = []
        if !readPaused && !peerClosed { wanted.insert(.read) }
        if writeArmed { wanted.insert(.write) }
        guard wanted != registered else { return }
        registered = wanted
        loop.poller.update(fd, interest: wanted)
    }

    // MARK: PollTarget (socketReadable and socketWritable are under Reading and Writing)

    /// A reset, or both directions shut (our half-close while lingering, then the client's): nothing
    /// sent from now on can arrive, and what the client sent before a reset is discarded by the kernel.
    func socketHungUp() {
        close(phase == .lingering ? "lingering done" : "peer reset")
    }

    /// Closes once everything queued is written. With `linger`, the connection then half-closes and
    /// drains what the client still sends for at most `lingeringTime` before it closes: a client in the
    /// middle of sending a refused body reads the response rather than a reset (RFC 9112 §9.6).
    func closeAfterFlush(linger: Bool = false) {
        guard phase != .closed, phase != .lingering else { return }
        lingerWhenFlushed = lingerWhenFlushed || (linger && !peerClosed)
        if outbound.isEmpty { finishAfterFlush() } else { closeWhenFlushed = true }
    }

    private func finishAfterFlush() {
        guard lingerWhenFlushed, !peerClosed, server.configuration.lingeringTime > 0 else {
            close("done")
            return
        }
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        phase = .lingering
        lingerDeadline = monotonicNanos() &+ UInt64(server.configuration.lingeringTime * 1e9)
        inbound = []
        inboundStart = 0
        pendingBody = []
        readPaused = false  // drain (and discard) what the client still sends
        updateInterest()
    }

    // MARK: Reading

    func socketReadable() {
        guard phase != .closed else { return }
        var total = 0
        var eof = false
        let scratch = loop.scratch
        // Read until the socket says EAGAIN, at most 4 buffers per turn for fairness; the poller is
        // level-triggered, so what is left is reported again next turn.
        for _ in 0..<4 {
            let n = Glibc.read(fd, scratch.baseAddress, scratch.count)
            if n > 0 {
                total += n
                if phase == .streaming || phase == .lingering { continue }  // nothing more to hear; discard
                inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            } else if n == 0 {
                eof = true
                break
            } else {
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { break }
                close("read error \(e)")
                return
            }
        }
        if total > 0 { lastActivity = monotonicNanos() }
        if eof {
            peerClosed = true  // responses from now on close the connection
            updateInterest()  // nothing more to read: an ended input would be reported on every turn
        }
        if phase == .lingering {
            if eof { close("lingering done") }
            return
        }
        switch phase {
        case .idle, .body:
            processInbound()
        case .awaiting:
            if inbound.count - inboundStart > 64 * 1024 { pauseReading() }
        default:
            break
        }
        if eof {
            switch phase {
            case .awaiting: pauseReading()  // answer what was asked, then close
            case .closed, .lingering: break
            case .streaming: close("peer closed")  // the subscriber went away
            default: closeAfterFlush()  // nothing more can come: finish writing the answers already queued
            }
        }
    }

    private func pauseReading() {
        guard !readPaused else { return }
        readPaused = true
        updateInterest()
    }

    private func resumeReading() {
        guard readPaused, !peerClosed else { return }
        readPaused = false
        updateInterest()
    }

    // MARK: Parsing and dispatch

    /// Parses buffered bytes and dispatches complete requests until one is handed to a handler or the
    /// buffer runs dry.
    private func processInbound() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while phase == .idle || phase == .body {
            let available = inbound.count - inboundStart
            if available == 0 && phase == .idle { break }
            if phase == .idle && outbound.bytes > server.configuration.maxPendingResponseBytes {
                // Pipelined requests wait until the client reads what it was sent.
                blockedOnOutput = true
                pauseReading()
                break
            }
            // The read timeout runs from the first byte.
            if requestStartedAt == nil { requestStartedAt = monotonicNanos() }
            let start = inboundStart
            let result: (consumed: Int, event: HTTPParseEvent?)
            do {
                result = try inbound.withUnsafeBytes { buf in
                    try parser.parse(UnsafeRawBufferPointer(rebasing: buf[start...]))
                }
            } catch let e as HTTPParseError {
                failRequest(e.status, e.reason)
                return
            } catch {
                failRequest(400, "malformed request")
                return
            }
            inboundStart += result.consumed
            guard let event = result.event else {
                if result.consumed == 0 { break } else { continue }
            }
            switch event {
            case .head:
                guard beginRequest() else { return }
            case .body(let range):
                if pendingBody.count + range.count > pendingMaxBody {
                    failRequest(413, "request body larger than \(pendingMaxBody) bytes")
                    return
                }
                pendingBody.append(contentsOf: inbound[(start + range.lowerBound)..<(start + range.upperBound)])
            case .end:
                dispatch()
            }
        }
        compactInbound()
        // The client has said all it will: once nothing complete is left, close after the answers are out.
        if peerClosed && (phase == .idle || phase == .body) && !blockedOnOutput { closeAfterFlush() }
    }

    private func compactInbound() {
        guard phase != .closed, inboundStart <= inbound.count else {
            inbound = []
            inboundStart = 0
            return
        }
        if inboundStart == inbound.count {
            inbound = []  // frees the memory: idle and streaming connections keep no buffer
            inboundStart = 0
        } else if inboundStart > 16 * 1024 {
            inbound.removeFirst(inboundStart)
            inboundStart = 0
        }
    }

    /// Called on a parsed head: checks the target and the body limit. False when the request was refused.
    private func beginRequest() -> Bool {
        guard let head = parser.head else { return false }
        guard var request = HTTPRequest.make(head: head, body: [], remoteAddress: remoteAddress) else {
            failRequest(400, "malformed request target")
            return false
        }
        let match = server.router.match(method: head.method, segments: request.pathSegments)
        var maxBody = server.configuration.maxBodyBytes
        if case .found(let route, let params) = match {
            request.parameters = params
            request.routeName = route.name
            if let m = route.maxBodyBytes { maxBody = m }
        } else if case .notFound = match, server.router.fallback != nil, head.method == "GET" || head.method == "HEAD" {
            request.routeName = "static"
        }
        // A body not already at hand is read only once the route admits the request from its head (a token
        // check): a refused upload is never buffered and never told `100 Continue`.
        if case .found(let route, _) = match, let admit = route.admit, Self.awaitsBody(head) {
            if let refusal = admit(request) {
                failRequest(refusal, route: route.name)
                return false
            }
        }
        if case .contentLength(let n) = head.framing, n > maxBody {
            failRequest(413, "request body larger than \(maxBody) bytes")
            return false
        }
        pendingRequest = request
        pendingRoute = match
        pendingMaxBody = maxBody
        pendingKeepAlive = head.keepAlive
        pendingIsHead = head.method == "HEAD"
        pendingBody = []
        // A declared length is reserved once (it is within the limit): growing by doubling would hold up to
        // twice the body while it arrives (BENCHMARKS, "Large uploads").
        if case .contentLength(let n) = head.framing, n > 0 { pendingBody.reserveCapacity(n) }
        phase = .body
        if head.expectsContinue {
            write(Self.continueBytes)
        }
        return true
    }

    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Bodies up to this size are read before a route's admission runs (they are likely in the buffer
    /// already, and the connection stays open after a refusal by the handler).
    package static let admissionThreshold = 64 * 1024

    /// Whether a request's body is not yet at hand: large, chunked, or held back until `100 Continue`.
    static func awaitsBody(_ head: HTTPRequestHead) -> Bool {
        if head.expectsContinue { return true }
        switch head.framing {
        case .none: return false
        case .chunked: return true
        case .contentLength(let n): return n > admissionThreshold
        }
    }

    private func dispatch() {
        guard var request = pendingRequest else { return }
        pendingRequest = nil
        request.body = pendingBody
        pendingBody = []
        phase = .awaiting
        requestStartedAt = nil
        serial &+= 1
        handlerStartedAt = monotonicNanos()
        let responder = Responder(connection: self, serial: serial)
        switch pendingRoute {
        case .found(let route, _):
            route.handler(request, responder)
        case .methodNotAllowed(let allowed):
            var r = HTTPResponse.error(405, "method \(request.method) not allowed here")
            r.headers.set("Allow", allowed.joined(separator: ", "))
            complete(serial: serial, response: r)
        case .notFound:
            if let fallback = server.router.fallback, request.method == "GET" || request.method == "HEAD" {
                fallback(request, responder)
            } else {
                complete(serial: serial, response: .error(404, "no route for \(request.path)"))
            }
        }
    }

    /// Answers a request that could not be read, then closes: the rest of the input cannot be trusted.
    private func failRequest(_ status: Int, _ reason: String) {
        failRequest(HTTPResponse.error(status, reason))
    }

    /// Answers `response` and ends the connection (its unread input is discarded while lingering).
    private func failRequest(_ response: HTTPResponse, route routeName: String? = nil) {
        let status = response.status
        let route = routeName ?? pendingRequest?.routeName ?? "unparsed"
        pendingRequest = nil
        pendingBody = []
        inbound = []
        inboundStart = 0
        phase = .awaiting
        let bytes = response.serialize(keepAlive: false, omitBody: false)
        loop.recordRequest(route: route, status: status, nanos: 0)
        write(bytes)
        closeAfterFlush(linger: true)
    }

    // MARK: Responses

    func complete(serial: UInt64, response: HTTPResponse) {
        guard phase == .awaiting, serial == self.serial else { return }
        let route = (pendingRouteName())
        loop.recordRequest(route: route, status: response.status, nanos: monotonicNanos() &- handlerStartedAt)
        let wantsClose = response.headers["connection"]?.lowercased() == "close"
        // A client that half-closed after pipelining still gets an answer to every complete request it sent.
        let moreInput = inbound.count > inboundStart
        let keepAlive = pendingKeepAlive && !server.isDraining && !wantsClose && (!peerClosed || moreInput)
        write(response.serialize(keepAlive: keepAlive, omitBody: pendingIsHead))
        guard phase != .closed else { return }
        if keepAlive {
            phase = .idle
            resumeReading()
            if !processing { processInbound() }
        } else {
            closeAfterFlush(linger: true)
        }
    }

    private func pendingRouteName() -> String {
        switch pendingRoute {
        case .found(let route, _): return route.name
        case .methodNotAllowed: return "unmatched"
        case .notFound: return server.router.fallback != nil ? "static" : "unmatched"
        }
    }

    /// Turns the current request into an event stream: writes the SSE head and keeps the connection.
    func beginStream(serial: UInt64, stream: EventStream, extraHeaders: HTTPHeaders) {
        guard phase == .awaiting, serial == self.serial else {
            stream.didClose()
            return
        }
        loop.recordRequest(route: pendingRouteName(), status: 200, nanos: monotonicNanos() &- handlerStartedAt)
        phase = .streaming
        self.stream = stream
        inbound = []
        inboundStart = 0
        resumeReading()  // to see the peer go away
        if var size = server.configuration.streamSocketSendBufferBytes.map({ Int32(clamping: $0) }) {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        server.metrics.sseSubscribers.increment()
        var head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
        for (name, value) in extraHeaders { head += "\(HTTPStatus.canonicalName(name)): \(value)\r\n" }
        head += "Connection: keep-alive\r\n\r\n"
        write(Array(head.utf8))
    }

    /// Queues bytes for a subscriber, or cuts it off when its backlog would pass the bound.
    func streamWrite(_ bytes: [UInt8]) {
        guard phase == .streaming else { return }
        if !outbound.isEmpty && outbound.bytes + bytes.count > server.configuration.maxSubscriberBufferBytes {
            dropSlowSubscriber()
            return
        }
        write(bytes)  // tries the socket first: only what it does not take counts against the bound
        if outbound.bytes > server.configuration.maxSubscriberBufferBytes { dropSlowSubscriber() }
    }

    private func dropSlowSubscriber() {
        server.metrics.sseDropped.increment()
        close("subscriber too slow")
    }

    // MARK: Writing

    /// Writes now if nothing is queued; queues the rest and waits for the socket to drain.
    func write(_ bytes: [UInt8]) {
        guard phase != .closed, !bytes.isEmpty else { return }
        lastWriteAt = monotonicNanos()
        if outbound.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n == bytes.count {
                loop.pendingBytesWritten += n
                return
            }
            if n < 0 {
                let e = errno
                if e != EAGAIN && e != EWOULDBLOCK && e != EINTR {
                    close("write error \(e)")
                    return
                }
                outbound.append(bytes, offset: 0)
            } else {
                loop.pendingBytesWritten += n
                outbound.append(bytes, offset: n)
            }
            armWriteSource()
        } else {
            outbound.append(bytes, offset: 0)
        }
    }

    private func armWriteSource() {
        guard !writeArmed, phase != .closed else { return }
        writeArmed = true
        updateInterest()
    }

    func socketWritable() {
        guard phase != .closed else { return }
        let (written, error) = outbound.flush(fd: fd)
        if written > 0 {
            loop.pendingBytesWritten += written
            lastActivity = monotonicNanos()
        }
        if let e = error {
            close("write error \(e)")
            return
        }
        if outbound.isEmpty {
            if writeArmed {
                writeArmed = false
                updateInterest()
            }
            if closeWhenFlushed {
                closeWhenFlushed = false
                finishAfterFlush()
                return
            }
        }
        if blockedOnOutput && outbound.bytes <= server.configuration.maxPendingResponseBytes / 2 && phase == .idle {
            blockedOnOutput = false
            resumeReading()
            processInbound()
        }
    }

    // MARK: Timers

    /// Called by the loop's sweep: timeouts and heartbeats.
    func sweep(now: UInt64, heartbeat: [UInt8]) {
        let config = server.configuration
        let idleNanos = UInt64(config.idleTimeout * 1e9)
        switch phase {
        case .idle, .body:
            if let started = requestStartedAt, now &- started > UInt64(config.requestReadTimeout * 1e9) {
                failRequest(408, "request not received in time")
            } else if requestStartedAt == nil, outbound.isEmpty, now &- lastActivity > idleNanos {
                close("idle")
            } else if !outbound.isEmpty, now &- lastActivity > idleNanos {
                close("stalled write")  // responses the client never reads
            } else if requestStartedAt == nil, server.isDraining {
                close("draining")
            }
        case .streaming:
            if !outbound.isEmpty, now &- lastActivity > idleNanos {
                close("stalled stream")
            } else if now &- lastWriteAt > UInt64(config.heartbeatInterval * 1e9) {
                write(heartbeat)
            }
        case .awaiting:
            if !outbound.isEmpty, now &- lastActivity > idleNanos { close("stalled write") }
        case .lingering:
            if now > lingerDeadline { close("lingering time over") }
        case .closed:
            break
        }
    }
}

/// Bytes waiting to be written: shared arrays (one event's bytes may sit in many queues) and an offset
/// into the first.
struct OutboundQueue {
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var offset = 0
    private(set) var bytes = 0

    var isEmpty: Bool { bytes == 0 }

    /// Appends a chunk whose first `start` bytes are already written (a partial direct write).
    /// On an empty queue the offset is kept as the queue's offset; behind other chunks the rest is
    /// copied, so no caller's order of calls can corrupt the queue.
    mutating func append(_ chunk: [UInt8], offset start: Int) {
        let start = min(max(start, 0), chunk.count)
        if chunks.isEmpty {
            offset = start
            chunks.append(chunk)
        } else {
            chunks.append(start == 0 ? chunk : Array(chunk[start...]))
        }
        bytes += chunk.count - start
    }

    mutating func removeAll() {
        chunks = []
        head = 0
        offset = 0
        bytes = 0
    }

    /// Writes as much as the socket takes with `writev`. Returns bytes written and a fatal errno.
    mutating func flush(fd: Int32) -> (Int, Int32?) {
        var total = 0
        while bytes > 0 {
            let count = min(chunks.count - head, 64)
            var iovecs = [iovec](repeating: iovec(), count: count)
            var n: Int = 0
            // Pin every chunk's storage for the duration of the call.
            func fill(_ i: Int) {
                if i == count {
                    n = iovecs.withUnsafeMutableBufferPointer { Glibc.writev(fd, $0.baseAddress, Int32(count)) }
                    return
                }
                chunks[head + i].withUnsafeBytes { raw in
                    let skip = i == 0 ? offset : 0
                    iovecs[i] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip),
                        iov_len: raw.count - skip
                    )
                    fill(i + 1)
                }
            }
            fill(0)
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { return (total, nil) }
                return (total, e)
            }
            total += n
            consume(n)
            if n == 0 { break }
        }
        return (total, nil)
    }

    private mutating func consume(_ n: Int) {
        var left = n
        bytes -= n
        while left > 0 {
            let avail = chunks[head].count - offset
            if left >= avail {
                left -= avail
                head += 1
                offset = 0
            } else {
                offset += left
                left = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: false)
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
    }
}

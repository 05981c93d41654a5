import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking test client over a real TCP socket: sends raw bytes, reads responses and SSE events,
/// every read bounded by a timeout so a broken server fails the test instead of hanging it.
/// Used by one thread at a time (tests hand a client to a reader thread and stop using it).
package final class RawClient: @unchecked Sendable {
    package let fd: Int32
    package private(set) var buffer: [UInt8] = []
    package private(set) var closed = false

    package struct Response {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]
        package init(status: Int, headers: [(String, String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
        package func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package struct Event: Equatable {
        package var id: String?
        package var event: String?
        package var data: String
        package var comment: Bool = false
        package init(id: String? = nil, event: String? = nil, data: String, comment: Bool = false) {
            self.id = id
            self.event = event
            self.data = data
            self.comment = comment
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    package init(port: Int, timeout: Double = 5, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        if var rcv = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, socklen_t(MemoryLayout<Int32>.size))
        }
        setTimeout(timeout)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect failed: errno \(e)")
        }
    }

    private var released = false

    deinit { if !released { Glibc.close(fd) } }

    /// Vanishes: closes the socket at once with a reset (SO_LINGER 0), whatever is unread or unsent.
    package func close() {
        guard !released else { return }
        released = true
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
    }

    package func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    package func send(_ text: String) { send(Array(text.utf8)) }

    package func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            off += n
        }
    }

    /// Half-closes the sending side.
    package func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes into the buffer. False on EOF, error or timeout.
    @discardableResult
    package func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var n: Int
        // A signal (SIGCHLD from a child the server under test runs) interrupts the wait: wait again.
        repeat {
            n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while n < 0 && errno == EINTR
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { closed = true }
        return false
    }

    package func dropBuffered(_ n: Int) { buffer.removeFirst(n) }

    private func take(_ n: Int) -> [UInt8] {
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    private func lineEnd() -> Int? {
        guard buffer.count >= 2 else { return nil }
        for i in 0..<(buffer.count - 1) where buffer[i] == 13 && buffer[i + 1] == 10 { return i }
        return nil
    }

    private func readLine() throws -> String {
        while true {
            if let i = lineEnd() {
                let line = String(decoding: buffer[0..<i], as: UTF8.self)
                buffer.removeFirst(i + 2)
                return line
            }
            guard fill() else {
                throw Failure(description: "connection ended while reading a line (closed: \(closed))")
            }
        }
    }

    /// Reads one response (Content-Length, chunked or close-delimited body).
    package func readResponse(head: Bool = false) throws -> Response {
        var statusLine = try readLine()
        var status = 0
        var headers: [(String, String)] = []
        while true {
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let s = Int(parts[1]) else {
                throw Failure(description: "bad status line \(statusLine)")
            }
            status = s
            headers = []
            while true {
                let line = try readLine()
                if line.isEmpty { break }
                guard let c = line.firstIndex(of: ":") else { throw Failure(description: "bad header \(line)") }
                headers.append((String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)))
            }
            if status == 100 {
                statusLine = try readLine()
                continue
            }
            break
        }
        var response = Response(status: status, headers: headers, body: [])
        if head || status == 304 || status == 204 { return response }
        if let cl = response.header("content-length"), let n = Int(cl) {
            while buffer.count < n { guard fill() else { throw Failure(description: "body cut short") } }
            response.body = take(n)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw Failure(description: "bad chunk")
                }
                if size == 0 {
                    _ = try readLine()
                    break
                }
                while buffer.count < size + 2 { guard fill() else { throw Failure(description: "chunk cut short") } }
                response.body += take(size)
                _ = take(2)
            }
        } else {
            while fill() {}
            response.body = take(buffer.count)
        }
        return response
    }

    /// True when the server closed the connection (reads EOF within the timeout).
    package func waitForClose() -> Bool {
        while !closed {
            if !fill() { return closed || errno == ECONNRESET }
        }
        return true
    }

    /// Reads the next SSE event (comments included when `comments` is true).
    package func readEvent(comments: Bool = false) throws -> Event {
        while true {
            if let end = eventEnd() {
                let text = String(decoding: buffer[0..<end.0], as: UTF8.self)
                buffer.removeFirst(end.1)
                var e = Event(id: nil, event: nil, data: "")
                var dataLines: [String] = []
                var commentOnly = true
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { continue }
                    commentOnly = false
                    let (field, value): (Substring, Substring)
                    if let c = line.firstIndex(of: ":") {
                        field = line[..<c]
                        var v = line[line.index(after: c)...]
                        if v.first == " " { v = v.dropFirst() }
                        value = v
                    } else {
                        field = line
                        value = ""
                    }
                    switch field {
                    case "id": e.id = String(value)
                    case "event": e.event = String(value)
                    case "data": dataLines.append(String(value))
                    default: break
                    }
                }
                e.data = dataLines.joined(separator: "\n")
                if !commentOnly && dataLines.isEmpty { continue }  // like EventSource: no data, no event
                if commentOnly {
                    if comments {
                        e.comment = true
                        e.data = text
                        return e
                    }
                    continue
                }
                return e
            }
            guard fill() else { throw Failure(description: "stream ended before an event (closed: \(closed))") }
        }
    }

    private func eventEnd() -> (Int, Int)? {
        guard buffer.count >= 2 else { return nil }
        for i in 0..<(buffer.count - 1) where buffer[i] == 10 && buffer[i + 1] == 10 { return (i, i + 2) }
        return nil
    }
}

/// Polls `condition` until it holds or `timeout` passes.
package func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
package func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw RawClient.Failure(description: "no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

import Foundation
import HTTPTestClient

/// A TCP forwarder on loopback that a test can cut, to take a service (PostgreSQL, Redis) away from a
/// server and give it back: `cut()` closes every forwarded connection and refuses new ones (as a dead
/// server would), `restore()` forwards again. Threads: one accepting, two per connection.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var down = false
    private var open: [Pair] = []

    /// One forwarded connection; its sockets are closed once both directions have finished.
    final class Pair: @unchecked Sendable {
        let client: Int32, upstream: Int32
        private let lock = NSLock()
        private var finished = 0
        init(_ c: Int32, _ u: Int32) {
            client = c
            upstream = u
        }
        func shut() {
            Glibc.shutdown(client, Int32(SHUT_RDWR))
            Glibc.shutdown(upstream, Int32(SHUT_RDWR))
        }
        func finish() {
            lock.lock()
            finished += 1
            let last = finished == 2
            lock.unlock()
            if last {
                close(client)
                close(upstream)
            }
        }
    }
    private var stopped = false

    init(to targetPort: Int) throws {
        target = targetPort
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw RawClient.Failure(description: "proxy cannot listen") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// The service is gone: open connections are reset, new ones closed at once.
    func cut() {
        lock.lock()
        down = true
        let pairs = open
        open = []
        lock.unlock()
        for p in pairs { p.shut() }
    }

    func restore() {
        lock.lock()
        down = false
        lock.unlock()
    }

    func stop() {
        cut()
        lock.lock()
        stopped = true
        lock.unlock()
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            lock.lock()
            let isDown = down
            let isStopped = stopped
            lock.unlock()
            if isStopped {
                if client >= 0 { close(client) }
                return
            }
            guard client >= 0 else { continue }
            if isDown {
                close(client)
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(target).bigEndian
            let connected = withUnsafeMutablePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(client)
                close(upstream)
                continue
            }
            let pair = Pair(client, upstream)
            lock.lock()
            open.append(pair)
            lock.unlock()
            Thread { [self] in pump(from: client, to: upstream, pair) }.start()
            Thread { [self] in pump(from: upstream, to: client, pair) }.start()
        }
    }

    private func pump(from a: Int32, to b: Int32, _ pair: Pair) {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(a, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buf.withUnsafeBytes { send(b, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if m <= 0 { break }
                sent += m
            }
            if sent < n { break }
        }
        pair.shut()
        lock.lock()
        open.removeAll { $0 === pair }
        lock.unlock()
        pair.finish()
    }
}

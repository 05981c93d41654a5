/// Everything the engine can be told: where to listen, how many loops, and every limit and timeout.
package struct HTTPServerConfiguration: Sendable {
    package var host: String = "127.0.0.1"
    /// 0 picks an ephemeral port; `HTTPServer.start()` returns the bound one.
    package var port: Int = 8080
    /// Event loops (serial queues owning sockets); defaults to one per core.
    package var loopCount: Int = max(1, System.coreCount)
    package var backlog: Int32 = 4096
    package var parser = HTTPParserLimits()
    /// Largest request body accepted unless a route says otherwise (413 beyond it).
    package var maxBodyBytes: Int = 1 << 20
    /// Open connections at most; beyond it new ones get 503 and are closed.
    package var maxConnections: Int = 19_000
    /// Time to receive a whole request (head and body) once its first byte arrived (408 after it).
    package var requestReadTimeout: Double = 10
    /// Time an idle keep-alive connection is kept, and time without progress on a pending write.
    package var idleTimeout: Double = 60
    /// Bytes an SSE subscriber may have queued before it is cut off.
    package var maxSubscriberBufferBytes: Int = 512 * 1024
    /// Kernel send buffer (SO_SNDBUF) of event-stream sockets; nil leaves the kernel's autotuning
    /// (up to `net.ipv4.tcp_wmem` max, often 4 MiB per socket). Setting it bounds the kernel memory a
    /// slow subscriber can pin, on top of `maxSubscriberBufferBytes`.
    package var streamSocketSendBufferBytes: Int? = nil
    /// Interval of comment heartbeats on event streams that had nothing else to say.
    package var heartbeatInterval: Double = 10
    /// How long a graceful shutdown waits for in-flight requests and stream flushes.
    package var shutdownGrace: Double = 5
    /// Lingering close (as nginx's `lingering_close`): when the server ends a connection after a response
    /// while the client may still be sending, it half-closes, then reads and discards for at most this
    /// long before closing, so the client reads the response (a 413 or 431) instead of a TCP reset.
    package var lingeringTime: Double = 2
    /// Read-side backpressure: while this many bytes of responses wait to be written, the connection
    /// reads no further pipelined requests (a client that never reads cannot grow server memory).
    package var maxPendingResponseBytes: Int = 256 * 1024

    package init() {}
}

/// Facts about the machine the engine needs.
package enum System {
    package static var coreCount: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif

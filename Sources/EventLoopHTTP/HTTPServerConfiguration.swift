/// Everything the engine can be told: where to listen, how many loops, and every limit and timeout.
public struct HTTPServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks an ephemeral port; `HTTPServer.start()` returns the bound one.
    public var port: Int = 8080
    /// Event loops (serial queues owning sockets); defaults to one per core.
    public var loopCount: Int = max(1, System.coreCount)
    public var backlog: Int32 = 4096
    public var parser = HTTPParserLimits()
    /// Largest request body accepted unless a route says otherwise (413 beyond it).
    public var maxBodyBytes: Int = 1 << 20
    /// Open connections at most; beyond it new ones get 503 and are closed.
    public var maxConnections: Int = 19_000
    /// Time to receive a whole request (head and body) once its first byte arrived (408 after it).
    public var requestReadTimeout: Double = 10
    /// Time an idle keep-alive connection is kept, and time without progress on a pending write.
    public var idleTimeout: Double = 60
    /// Bytes an SSE subscriber may have queued before it is cut off.
    public var maxSubscriberBufferBytes: Int = 512 * 1024
    /// Kernel send buffer (SO_SNDBUF) of event-stream sockets; nil leaves the kernel's autotuning
    /// (up to `net.ipv4.tcp_wmem` max, often 4 MiB per socket). Setting it bounds the kernel memory a
    /// slow subscriber can pin, on top of `maxSubscriberBufferBytes`.
    public var streamSocketSendBufferBytes: Int? = nil
    /// Interval of comment heartbeats on event streams that had nothing else to say.
    public var heartbeatInterval: Double = 10
    /// How long a graceful shutdown waits for in-flight requests and stream flushes.
    public var shutdownGrace: Double = 5
    /// Lingering close (as nginx's `lingering_close`): when the server ends a connection after a response
    /// while the client may still be sending, it half-closes, then reads and discards for at most this
    /// long before closing, so the client reads the response (a 413 or 431) instead of a TCP reset.
    public var lingeringTime: Double = 2
    /// Read-side backpressure: while this many bytes of responses wait to be written, the connection
    /// reads no further pipelined requests (a client that never reads cannot grow server memory).
    public var maxPendingResponseBytes: Int = 256 * 1024

    public init() {}
}

/// Facts about the machine the engine needs.
public enum System {
    public static var coreCount: Int {
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

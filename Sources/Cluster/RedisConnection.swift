import CHiredis
import Foundation

/// A Redis reply (RESP2, as Debian's hiredis 0.14 speaks it).
package enum RedisValue: Equatable, Sendable {
    case string([UInt8])
    case integer(Int64)
    case array([RedisValue])
    case status(String)
    case null

    package var text: String? {
        switch self {
        case .string(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    package var integer: Int64? {
        if case .integer(let i) = self { return i }
        return text.flatMap { Int64($0) }
    }

    package var array: [RedisValue] {
        if case .array(let a) = self { return a }
        return []
    }
}

/// A Redis failure: `connection` when the server could not be reached or the link broke (worth a retry
/// once it is back), otherwise the server's error reply.
package struct RedisError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package let connection: Bool
    package var description: String { connection ? "redis unavailable: \(message)" : "redis error: \(message)" }
    package init(message: String, connection: Bool) {
        self.message = message
        self.connection = connection
    }
}

/// `redis://[:password@]host[:port][/db]`.
package struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var password: String?
    package var database: Int

    package init?(_ text: String) {
        guard text.hasPrefix("redis://") else { return nil }
        var rest = Substring(text.dropFirst("redis://".count))
        password = nil
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            let secret =
                userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init)
                ?? ""
            password = secret.isEmpty ? nil : secret
            rest = rest[rest.index(after: at)...]
        }
        var db = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let d = Int(path), d >= 0 else { return nil }
                db = d
            }
            rest = rest[..<slash]
        }
        database = db
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(rest[..<colon])
        } else {
            port = 6379
            host = String(rest)
        }
        if host.isEmpty { return nil }
    }

    /// Without the password, for logs.
    package var description: String { "redis://\(password == nil ? "" : ":***@")\(host):\(port)/\(database)" }
}

/// One blocking connection to Redis through hiredis, with a timeout on connect and on every reply. A
/// broken link is reconnected on the next call (and the password and database chosen again). Not
/// thread-safe: each connection is confined to one queue or thread by its owner.
package final class RedisConnection: @unchecked Sendable {
    package let url: RedisURL
    private var context: UnsafeMutablePointer<redisContext>?
    private let timeout: timeval
    private let readTimeout: timeval

    /// `timeoutSeconds` bounds the connect and every reply; a `readTimeoutSeconds` of 0 waits for replies
    /// without limit (a subscriber's connection, which is idle until a message comes).
    package init(url: RedisURL, timeoutSeconds: Double = 2, readTimeoutSeconds: Double? = nil) throws {
        self.url = url
        timeout = Self.timeval(timeoutSeconds)
        readTimeout = Self.timeval(readTimeoutSeconds ?? timeoutSeconds)
        try connect()
    }

    private static func timeval(_ seconds: Double) -> timeval {
        Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
    }

    func withContext(_ body: (UnsafeMutablePointer<redisContext>) -> Void) {
        if let context { body(context) }
    }

    deinit { if let context { redisFree(context) } }

    private func connect() throws {
        if let context {
            redisFree(context)
            self.context = nil
        }
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), timeout) else {
            throw RedisError(message: "cannot allocate a context", connection: true)
        }
        if c.pointee.err != 0 {
            let msg = Self.errorText(c)
            redisFree(c)
            throw RedisError(message: "\(url): \(msg)", connection: true)
        }
        redisSetTimeout(c, readTimeout)
        redisEnableKeepAlive(c)
        context = c
        if let password = url.password { _ = try send([Array("AUTH".utf8), Array(password.utf8)]) }
        if url.database != 0 { _ = try send([Array("SELECT".utf8), Array(String(url.database).utf8)]) }
    }

    private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Runs one command (binary-safe arguments) and returns its reply. An error reply throws.
    @discardableResult
    package func command(_ args: [String]) throws -> RedisValue {
        try command(args.map { Array($0.utf8) })
    }

    @discardableResult
    package func command(_ args: [[UInt8]]) throws -> RedisValue {
        if context == nil { try connect() }
        do {
            return try send(args)
        } catch let e as RedisError where e.connection {
            // One reconnect: the server may have restarted since the last call.
            try connect()
            return try send(args)
        }
    }

    private func send(_ args: [[UInt8]]) throws -> RedisValue {
        guard let c = context else { throw RedisError(message: "not connected", connection: true) }
        let reply: UnsafeMutableRawPointer? = Self.withArgv(args) { argv, lengths in
            redisCommandArgv(c, Int32(args.count), argv, lengths)
        }
        return try take(reply)
    }

    /// Reads the next reply the server pushes (after SUBSCRIBE); throws a connection error on timeout.
    package func nextReply() throws -> RedisValue {
        guard let c = context else { throw RedisError(message: "not connected", connection: true) }
        var reply: UnsafeMutableRawPointer?
        guard redisGetReply(c, &reply) == REDIS_OK else {
            let msg = Self.errorText(c)
            redisFree(c)
            context = nil
            throw RedisError(message: msg, connection: true)
        }
        return try take(reply)
    }

    /// Sends a command without waiting for its reply (SUBSCRIBE's confirmations come through `nextReply`).
    package func sendOnly(_ args: [String]) throws {
        if context == nil { try connect() }
        guard let c = context else { throw RedisError(message: "not connected", connection: true) }
        let bytes = args.map { Array($0.utf8) }
        let rc = Self.withArgv(bytes) { argv, lengths in redisAppendCommandArgv(c, Int32(bytes.count), argv, lengths) }
        guard rc == REDIS_OK else { throw RedisError(message: Self.errorText(c), connection: true) }
        var done: Int32 = 0
        repeat {
            guard redisBufferWrite(c, &done) == REDIS_OK else {
                throw RedisError(message: Self.errorText(c), connection: true)
            }
        } while done == 0
    }

    /// Converts and frees a reply; a nil reply means the connection failed (it is dropped).
    private func take(_ raw: UnsafeMutableRawPointer?) throws -> RedisValue {
        guard let raw else {
            let msg = context.map(Self.errorText) ?? "no connection"
            if let context { redisFree(context) }
            context = nil
            throw RedisError(message: msg, connection: true)
        }
        defer { freeReplyObject(raw) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        if reply.pointee.type == REDIS_REPLY_ERROR {
            throw RedisError(message: String(cString: reply.pointee.str), connection: false)
        }
        return Self.value(reply)
    }

    private static func value(_ r: UnsafeMutablePointer<redisReply>) -> RedisValue {
        switch r.pointee.type {
        case REDIS_REPLY_STRING:
            return .string(Array(UnsafeRawBufferPointer(start: r.pointee.str, count: Int(r.pointee.len))))
        case REDIS_REPLY_STATUS, REDIS_REPLY_ERROR:
            return .status(String(cString: r.pointee.str))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.pointee.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(r.pointee.elements)).map { value(r.pointee.element[$0]!) })
        default:
            return .null
        }
    }

    private static func withArgv<T>(
        _ args: [[UInt8]],
        _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T
    ) -> T {
        let copies = args.map { a -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, a.count))
            a.withUnsafeBytes { raw in
                if a.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: a.count) }
            }
            return p
        }
        defer { for c in copies { c.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let lengths = args.map(\.count)
        return argv.withUnsafeMutableBufferPointer { av in
            lengths.withUnsafeBufferPointer { lv in body(av.baseAddress!, lv.baseAddress!) }
        }
    }
}

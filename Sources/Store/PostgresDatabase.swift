import CPostgres
import Foundation

/// A PostgreSQL failure: the server's SQLSTATE (or "08006" for a connection that could not be made or
/// was lost) and its message.
package struct PostgresError: SQLFailure, Sendable {
    package let sqlState: String
    package let message: String
    package var description: String { "postgres error \(sqlState): \(message)" }
    /// Connection exceptions (08), insufficient resources (53, disk full among them), operator
    /// intervention (57, a server shutting down), serialization failures and deadlocks (40), a lock
    /// not available (55P03), an I/O error (58030).
    package var isTransient: Bool {
        ["08", "53", "57", "40"].contains(String(sqlState.prefix(2))) || sqlState == "55P03" || sqlState == "58030"
    }
    /// Integrity constraint violations (23).
    package var isConstraint: Bool { sqlState.hasPrefix("23") }
}

/// One PostgreSQL connection through libpq (Debian's libpq5), with the store's SQL: `?` placeholders
/// are numbered `$1…` before the server sees them, statements with parameters are prepared once per
/// connection, values travel as text (bytea as binary) and the server infers their types from the
/// statement. A connection that was lost is reset on its next use; until the server answers again,
/// every call fails with a transient error (SQLSTATE 08006). Not thread-safe: confined to its owner's
/// queue like `SQLiteDatabase`.
package final class PostgresDatabase: SQLConnection, @unchecked Sendable {
    package var dialect: SQLDialect { .postgres }
    /// The URL without its password, for logs.
    package let redactedURL: String
    private let conn: OpaquePointer
    private var prepared: [String: (name: String, params: Int)] = [:]
    /// Session settings (`SET …`) applied on connect and again after every reset, so a lost connection
    /// does not come back with the server's defaults (a `lock_timeout` of 0 would wait forever).
    private var settings: [String] = ["SET client_min_messages = warning"]

    package init(url: String) throws {
        redactedURL = Self.redact(url)
        guard let c = PQconnectdb(url) else { throw PostgresError(sqlState: "08006", message: "out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            // Before `conn` is set: a throwing init that never set every property runs no deinit, so the
            // connection is finished here, once.
            let msg = Self.trimmed(PQerrorMessage(c))
            PQfinish(c)
            throw PostgresError(sqlState: "08006", message: "cannot connect to \(redactedURL): \(msg)")
        }
        conn = c
        // Notices (e.g. "relation already exists, skipping") stay out of the server's stderr.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        for s in settings { try execute(s) }
    }

    /// Applies a session setting now and after every reconnect.
    package func keep(setting sql: String) throws {
        try execute(sql)
        settings.append(sql)
    }

    deinit { PQfinish(conn) }

    /// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`.
    package static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.range(of: "@", range: scheme.upperBound..<url.endIndex)
        else { return url }
        let userinfo = url[scheme.upperBound..<at.lowerBound]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at.lowerBound...])
    }

    private static func trimmed(_ p: UnsafePointer<CChar>?) -> String {
        p.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown error"
    }

    /// Resets a lost connection before use; throws a transient error while the server is away.
    private func ensureConnected() throws {
        if PQstatus(conn) == CONNECTION_OK { return }
        prepared.removeAll()
        PQreset(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(
                sqlState: "08006",
                message: "no connection to \(redactedURL): \(Self.trimmed(PQerrorMessage(conn)))"
            )
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        for s in settings {
            let res = PQexec(conn, s)
            guard Self.ok(res) else { throw failure(res) }
            PQclear(res)
        }
    }

    /// The error of a result (or of the connection when there is no result), and frees the result.
    private func failure(_ res: OpaquePointer?) -> PostgresError {
        defer { if let res { PQclear(res) } }
        if let res, let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))) {
            return PostgresError(sqlState: String(cString: state), message: Self.trimmed(PQresultErrorMessage(res)))
        }
        if PQstatus(conn) != CONNECTION_OK { prepared.removeAll() }
        return PostgresError(sqlState: "08006", message: Self.trimmed(PQerrorMessage(conn)))
    }

    private static func ok(_ res: OpaquePointer?) -> Bool {
        guard let res else { return false }
        let s = PQresultStatus(res)
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_SINGLE_TUPLE || s == PGRES_COPY_IN
    }

    package func execute(_ sql: String) throws {
        try ensureConnected()
        let res = PQexec(conn, sql)
        guard Self.ok(res) else { throw failure(res) }
        PQclear(res)
    }

    /// `?` → `$1, $2, …`, outside quoted literals and identifiers.
    package static func numbered(_ sql: String) -> (String, Int) {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var n = 0
        var quote: Character? = nil
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return (out, n)
    }

    private func statementName(_ sql: String) throws -> (name: String, params: Int) {
        if let p = prepared[sql] { return p }
        let (text, n) = Self.numbered(sql)
        let name = "s\(prepared.count + 1)"
        let res = PQprepare(conn, name, text, 0, nil)
        guard Self.ok(res) else { throw failure(res) }
        PQclear(res)
        prepared[sql] = (name, n)
        return (name, n)
    }

    /// Runs a prepared statement with its values; `send` starts it without waiting (single-row mode).
    private func withParams<T>(
        _ bind: [SQLValue],
        _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) throws -> T
    ) rethrows -> T {
        var storage: [[UInt8]] = []
        storage.reserveCapacity(bind.count)
        var formats: [Int32] = []
        var isNull: [Bool] = []
        for v in bind {
            switch v {
            case .int(let x):
                storage.append(Array("\(x)".utf8) + [0])
                formats.append(0)
                isNull.append(false)
            case .double(let x):
                storage.append(Array(Self.format(x).utf8) + [0])
                formats.append(0)
                isNull.append(false)
            case .text(let s):
                storage.append(Array(s.utf8) + [0])
                formats.append(0)
                isNull.append(false)
            case .blob(let b):
                storage.append(b.isEmpty ? [0] : b)
                formats.append(1)
                isNull.append(false)
            case .null:
                storage.append([0])
                formats.append(0)
                isNull.append(true)
            }
        }
        let lengths: [Int32] = bind.enumerated().map { i, v in
            if case .blob(let b) = v { return Int32(b.count) }
            return Int32(storage[i].count - 1)
        }
        return try withPointers(storage, 0, []) { ptrs in
            try body(ptrs.enumerated().map { isNull[$0.offset] ? nil : $0.element }, lengths, formats)
        }
    }

    /// Pins every buffer of `storage` for the duration of `body`.
    private func withPointers<T>(
        _ storage: [[UInt8]],
        _ i: Int,
        _ acc: [UnsafePointer<CChar>?],
        _ body: ([UnsafePointer<CChar>?]) throws -> T
    ) rethrows -> T {
        if i == storage.count { return try body(acc) }
        return try storage[i].withUnsafeBufferPointer { buf in
            try buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
                try withPointers(storage, i + 1, acc + [p], body)
            }
        }
    }

    /// A double as text that reads back to the same value.
    package static func format(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
        return "\(x)"
    }

    private func exec(_ sql: String, _ bind: [SQLValue]) throws -> OpaquePointer {
        try ensureConnected()
        let st = try statementName(sql)
        guard st.params == bind.count else {
            throw SQLUsageError(message: "statement has \(st.params) placeholders, \(bind.count) values given: \(sql)")
        }
        let res = withParams(bind) { values, lengths, formats in
            PQexecPrepared(conn, st.name, Int32(bind.count), values, lengths, formats, 0)
        }
        guard Self.ok(res), let res else { throw failure(res) }
        return res
    }

    package func query<T>(_ sql: String, _ bind: [SQLValue], _ read: (any SQLRow) throws -> T) throws -> [T] {
        let res = try exec(sql, bind)
        defer { PQclear(res) }
        let n = PQntuples(res)
        var out: [T] = []
        out.reserveCapacity(Int(n))
        for r in 0..<n { out.append(try read(PostgresRow(res: res, row: r))) }
        return out
    }

    package func forEachRow(_ sql: String, _ bind: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        try ensureConnected()
        let st = try statementName(sql)
        let sent = withParams(bind) { values, lengths, formats in
            PQsendQueryPrepared(conn, st.name, Int32(bind.count), values, lengths, formats, 0)
        }
        guard sent == 1 else { throw failure(nil) }
        PQsetSingleRowMode(conn)
        var firstError: Error?
        while let res = PQgetResult(conn) {
            let status = PQresultStatus(res)
            if status == PGRES_SINGLE_TUPLE, firstError == nil {
                do { try body(PostgresRow(res: res, row: 0)) } catch { firstError = error }
                PQclear(res)
            } else if status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
                PQclear(res)  // the rest of the stream after an error of the body is read and dropped
            } else {
                let e = failure(res)
                if firstError == nil { firstError = e }
            }
        }
        if let firstError { throw firstError }
    }

    @discardableResult
    package func run(_ sql: String, _ bind: [SQLValue]) throws -> Int {
        let res = try exec(sql, bind)
        defer { PQclear(res) }
        return Int(String(cString: PQcmdTuples(res))) ?? 0
    }

    package func begin() throws { try execute("BEGIN") }

    package var inTransaction: Bool {
        let s = PQtransactionStatus(conn)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// `COPY table(columns) FROM STDIN` in text format: `write` is called with a sink to which it appends
    /// whole lines (tab-separated, `\N` for null, escaped with `copyEscape`); the sink sends in chunks.
    package func copyIn(_ sql: String, _ write: (inout CopyBuffer) throws -> Void) throws {
        try ensureConnected()
        let res = PQexec(conn, sql)
        guard let res, PQresultStatus(res) == PGRES_COPY_IN else { throw failure(res) }
        PQclear(res)
        var buffer = CopyBuffer(conn: conn)
        do {
            try write(&buffer)
            try buffer.flush()
        } catch {
            _ = PQputCopyEnd(conn, "aborted by the importer")
            while let r = PQgetResult(conn) { PQclear(r) }
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw failure(nil) }
        var firstError: PostgresError?
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) != PGRES_COMMAND_OK {
                if firstError == nil { firstError = failure(r) } else { PQclear(r) }
            } else {
                PQclear(r)
            }
        }
        if let firstError { throw firstError }
    }
}

/// Lines for `COPY … FROM STDIN`, sent to the server 256 KiB at a time.
package struct CopyBuffer {
    let conn: OpaquePointer
    var bytes: [UInt8] = []

    init(conn: OpaquePointer) {
        self.conn = conn
        bytes.reserveCapacity(1 << 18)
    }

    /// Appends one row: values joined by tabs, nil as `\N`, text escaped.
    package mutating func row(_ values: [String?]) throws {
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(9) }
            if let v { Self.escape(v, into: &bytes) } else { bytes.append(contentsOf: [92, 78]) }
        }
        bytes.append(10)
        if bytes.count >= 1 << 18 { try flush() }
    }

    static func escape(_ s: String, into out: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case 92:
                out.append(92)
                out.append(92)
            case 9:
                out.append(92)
                out.append(UInt8(ascii: "t"))
            case 10:
                out.append(92)
                out.append(UInt8(ascii: "n"))
            case 13:
                out.append(92)
                out.append(UInt8(ascii: "r"))
            default: out.append(b)
            }
        }
    }

    mutating func flush() throws {
        guard !bytes.isEmpty else { return }
        let rc = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                PQputCopyData(conn, $0, Int32(buf.count))
            }
        }
        guard rc == 1 else {
            throw PostgresError(
                sqlState: "08006",
                message: String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// A row of a libpq result, values in text format.
struct PostgresRow: SQLRow {
    let res: OpaquePointer
    let row: Int32

    func isNull(_ c: Int32) -> Bool { PQgetisnull(res, row, c) == 1 }

    func text(_ c: Int32) -> String {
        guard let p = PQgetvalue(res, row, c) else { return "" }
        return String(cString: p)
    }

    func int64(_ c: Int32) -> Int64 {
        guard !isNull(c), let p = PQgetvalue(res, row, c) else { return 0 }
        if let v = strtoll_checked(p) { return v }
        let s = String(cString: p)
        if s == "t" { return 1 }
        if s == "f" { return 0 }
        return Int64(Double(s) ?? 0)  // numeric results of sum() over integers, e.g. "12" or "12.0"
    }

    func double(_ c: Int32) -> Double {
        guard !isNull(c), let p = PQgetvalue(res, row, c) else { return 0 }
        return strtod(p, nil)
    }

    func blob(_ c: Int32) -> [UInt8] {
        guard !isNull(c), let p = PQgetvalue(res, row, c) else { return [] }
        var n = 0
        guard let raw = p.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &n) }) else { return [] }
        defer { PQfreemem(raw) }
        return Array(UnsafeBufferPointer(start: raw, count: n))
    }

    private func strtoll_checked(_ p: UnsafePointer<CChar>) -> Int64? {
        var end: UnsafeMutablePointer<CChar>?
        errno = 0
        let v = strtoll(p, &end, 10)
        guard errno == 0, let end, end != UnsafeMutablePointer(mutating: p), end.pointee == 0 else { return nil }
        return Int64(v)
    }
}

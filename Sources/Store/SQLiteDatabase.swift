import CSQLite
import Foundation

/// An SQLite failure with the library's message and the statement that failed.
package struct SQLiteError: SQLFailure, Sendable {
    package let code: Int32
    package let message: String
    package var description: String { "sqlite error \(code): \(message)" }
    /// SQLITE_BUSY 5, SQLITE_LOCKED 6, SQLITE_NOMEM 7, SQLITE_IOERR 10, SQLITE_FULL 13, SQLITE_CANTOPEN 14, SQLITE_PROTOCOL 15.
    package var isTransient: Bool { [5, 6, 7, 10, 13, 14, 15].contains(code & 0xff) }
    /// SQLITE_CONSTRAINT 19.
    package var isConstraint: Bool { code & 0xff == 19 }
}

private let SQLITE_TRANSIENT_PTR = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection (WAL, foreign keys on, busy timeout) with a cache of prepared statements
/// reused across calls. Not thread-safe: each connection is confined to one queue, documented where
/// it is owned (the store's writer queue, or a reader's own queue).
package final class SQLiteDatabase: SQLConnection, @unchecked Sendable {
    package var dialect: SQLDialect { .sqlite }
    /// The page cache of a writing connection, in SQLite's units (negative: KiB): 64 MiB.
    package static let cacheSize = -65_536
    package let path: String
    let handle: OpaquePointer
    private var cache: [String: SQLiteStatement] = [:]

    package init(path: String, readOnly: Bool = false) throws {
        self.path = path
        if !readOnly && path != ":memory:" {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close(db) }
            throw SQLiteError(code: rc, message: "\(msg) (\(path))")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
            try execute("PRAGMA cache_size=\(Self.cacheSize)")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without results.
    package func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: msg)
        }
    }

    /// A prepared statement, compiled once per connection and reset before reuse.
    package func statement(_ sql: String) throws -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw SQLiteError(code: rc, message: "\(errorMessage) in: \(sql)") }
        let s = SQLiteStatement(stmt, db: self)
        cache[sql] = s
        return s
    }

    /// BEGIN IMMEDIATE: the write lock is taken now, so a transaction never fails later on upgrading it.
    package func begin() throws { try execute("BEGIN IMMEDIATE") }

    /// How long a statement waits for another connection's lock before it fails with SQLITE_BUSY.
    package func setBusyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    /// Whether a transaction is open (SQLite ends one by itself after some errors, e.g. SQLITE_FULL).
    package var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    package var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }
    package var changes: Int { Int(sqlite3_changes(handle)) }
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    package func query<T>(_ sql: String, _ bind: [SQLValue], _ read: (any SQLRow) throws -> T) throws -> [T] {
        let s = try statement(sql)
        try s.bind(bind)
        var out: [T] = []
        while try s.step() { out.append(try read(s)) }
        return out
    }

    package func forEachRow(_ sql: String, _ bind: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        let s = try statement(sql)
        try s.bind(bind)
        while try s.step() { try body(s) }
    }

    @discardableResult
    package func run(_ sql: String, _ bind: [SQLValue]) throws -> Int {
        let s = try statement(sql)
        try s.bind(bind)
        while try s.step() {}
        return changes
    }
}

/// A prepared statement owned by its connection.
package final class SQLiteStatement: SQLRow {
    let stmt: OpaquePointer
    unowned let db: SQLiteDatabase

    init(_ stmt: OpaquePointer, db: SQLiteDatabase) {
        self.stmt = stmt
        self.db = db
    }

    deinit { sqlite3_finalize(stmt) }

    package func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    package func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() { try bind(v, at: Int32(i + 1)) }
    }

    package func bind(_ v: SQLValue, at i: Int32) throws {
        let rc: Int32
        switch v {
        case .int(let x): rc = sqlite3_bind_int64(stmt, i, x)
        case .double(let x): rc = sqlite3_bind_double(stmt, i, x)
        case .text(let s): rc = sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT_PTR)
        case .blob(let b):
            rc = b.withUnsafeBytes { sqlite3_bind_blob(stmt, i, $0.baseAddress, Int32(b.count), SQLITE_TRANSIENT_PTR) }
        case .null: rc = sqlite3_bind_null(stmt, i)
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: db.errorMessage) }
    }

    @inline(__always) package func bindInt(_ x: Int64, at i: Int32) { sqlite3_bind_int64(stmt, i, x) }
    @inline(__always) package func bindDouble(_ x: Double, at i: Int32) { sqlite3_bind_double(stmt, i, x) }
    /// Binds UTF-8 bytes without a Swift String in between (the import's hot path).
    @inline(__always) package func bindText(_ p: UnsafeRawBufferPointer, at i: Int32) {
        sqlite3_bind_text(
            stmt,
            i,
            p.baseAddress?.assumingMemoryBound(to: CChar.self),
            Int32(p.count),
            SQLITE_TRANSIENT_PTR
        )
    }
    @inline(__always) package func bindText(_ s: String, at i: Int32) {
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT_PTR)
    }
    /// Binds a C string that outlives the statement's use of it (no copy).
    @inline(__always) package func bindStaticText(_ p: UnsafePointer<CChar>, at i: Int32) {
        sqlite3_bind_text(stmt, i, p, -1, nil)
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    package func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE {
            sqlite3_reset(stmt)
            return false
        }
        let msg = db.errorMessage
        sqlite3_reset(stmt)
        throw SQLiteError(code: rc, message: msg)
    }

    package func int64(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    package func int(_ c: Int32) -> Int { Int(sqlite3_column_int64(stmt, c)) }
    package func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    package func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    package func text(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, c) else { return "" }
        return String(cString: p)
    }
    package func optionalText(_ c: Int32) -> String? { isNull(c) ? nil : text(c) }
    package func blob(_ c: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, c))
        guard n > 0, let p = sqlite3_column_blob(stmt, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// The two SQL engines the store runs on: SQLite (the embedded default) and PostgreSQL (docs/OPERATIONS.md).
package enum SQLDialect: String, Sendable {
    case sqlite, postgres
}

/// A value to bind to a statement's `?` placeholder.
package enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// The name the store used before it had two engines.
package typealias SQLiteValue = SQLValue

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    package init(stringLiteral s: String) { self = .text(s) }
    package init(integerLiteral i: Int) { self = .int(Int64(i)) }
    package static func of(_ i: Int) -> SQLValue { .int(Int64(i)) }
    package static func of(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
    package static func of(_ i: Int?) -> SQLValue { i.map { .int(Int64($0)) } ?? .null }
    package static func of(_ d: Double?) -> SQLValue { d.map { .double($0) } ?? .null }
}

/// One row of a result, read by column index (0-based).
package protocol SQLRow {
    func int64(_ c: Int32) -> Int64
    func double(_ c: Int32) -> Double
    func isNull(_ c: Int32) -> Bool
    func text(_ c: Int32) -> String
    func blob(_ c: Int32) -> [UInt8]
}

extension SQLRow {
    package func int(_ c: Int32) -> Int { Int(int64(c)) }
    package func optionalText(_ c: Int32) -> String? { isNull(c) ? nil : text(c) }
    package func optionalInt(_ c: Int32) -> Int? { isNull(c) ? nil : int(c) }
    package func optionalInt64(_ c: Int32) -> Int64? { isNull(c) ? nil : int64(c) }
    package func optionalDouble(_ c: Int32) -> Double? { isNull(c) ? nil : double(c) }
}

/// A failure of either engine, classified for the callers that decide between retrying and refusing.
package protocol SQLFailure: Error, CustomStringConvertible {
    /// Worth a retry later: busy or locked, out of space, an I/O error, a lost connection.
    var isTransient: Bool { get }
    /// A constraint refused the row (a duplicate key, say): retrying the same row cannot help.
    var isConstraint: Bool { get }
}

/// One connection to the store's database, confined to one queue by its owner. Statements use `?`
/// placeholders and the SQL both engines accept (`ON CONFLICT … DO UPDATE`, `RETURNING`,
/// `IS DISTINCT FROM`); the PostgreSQL connection numbers the placeholders itself.
package protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one or more statements without parameters or results.
    func execute(_ sql: String) throws
    /// All rows of a query, each read by `read`.
    func query<T>(_ sql: String, _ bind: [SQLValue], _ read: (any SQLRow) throws -> T) throws -> [T]
    /// Every row of a query passed to `body` as it arrives, without holding the result in memory.
    func forEachRow(_ sql: String, _ bind: [SQLValue], _ body: (any SQLRow) throws -> Void) throws
    /// A statement run once; returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ bind: [SQLValue]) throws -> Int
    /// Opens a write transaction (SQLite: BEGIN IMMEDIATE, which takes the write lock at once).
    func begin() throws
    /// Whether a transaction is open (either engine can end one by itself after some errors).
    var inTransaction: Bool { get }
}

extension SQLConnection {
    package func query<T>(_ sql: String, _ read: (any SQLRow) throws -> T) throws -> [T] {
        try query(sql, [], read)
    }

    @discardableResult
    package func run(_ sql: String) throws -> Int { try run(sql, []) }

    package func scalarInt(_ sql: String, _ bind: [SQLValue] = []) throws -> Int64? {
        try query(sql, bind) { $0.isNull(0) ? nil : $0.int64(0) }.first ?? nil
    }

    /// Runs `body` in one transaction, committing on return, rolling back on throw.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin()
        do {
            let v = try body()
            try execute("COMMIT")
            return v
        } catch {
            if inTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// An INSERT … RETURNING id: the new row's id.
    package func insertReturningID(_ sql: String, _ bind: [SQLValue]) throws -> Int64 {
        guard let id = try query(sql + " RETURNING id", bind, { $0.int64(0) }).first else {
            throw SQLUsageError(message: "INSERT returned no id: \(sql)")
        }
        return id
    }
}

/// A misuse of a connection found before the engine saw it (a bad URL, a statement that returned nothing).
package struct SQLUsageError: SQLFailure, Sendable {
    package let message: String
    package var description: String { message }
    package var isTransient: Bool { false }
    package var isConstraint: Bool { false }
}

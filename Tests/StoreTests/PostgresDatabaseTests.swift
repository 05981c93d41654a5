import Foundation
import HTTPTestClient
import Store
import StoreTestSupport
import XCTest

/// The PostgreSQL connection (libpq) against a real server: the store's SQL, values both ways, COPY,
/// and the faults the op log depends on being classified right.
final class PostgresDatabaseTests: XCTestCase {
    func testPlaceholdersAreNumberedOutsideQuotesOnly() {
        XCTAssertEqual(PostgresDatabase.numbered("SELECT ? , '?', \"a?\" , ?").0, "SELECT $1 , '?', \"a?\" , $2")
        XCTAssertEqual(PostgresDatabase.numbered("SELECT 1").1, 0)
        XCTAssertEqual(PostgresDatabase.redact("postgresql://u:secret@h:5/db"), "postgresql://u:***@h:5/db")
        XCTAssertEqual(PostgresDatabase.redact("postgresql://u@h/db"), "postgresql://u@h/db")
    }

    func testAnUnreachableServerIsATransientErrorNotACrash() throws {
        let port = try freeLoopbackPort()
        XCTAssertThrowsError(
            try PostgresDatabase(url: "postgresql://nobody:secret@127.0.0.1:\(port)/x?connect_timeout=2")
        ) { e in
            let f = e as? PostgresError
            XCTAssertEqual(f?.isTransient, true, "\(e)")
            XCTAssertFalse("\(e)".contains("secret"), "the password is not in the message")
        }
    }

    func testValuesRoundTripExactly() throws {
        let db = try PostgresDatabase(url: try TestPostgres.freshSchemaURL("values"))
        try db.execute("CREATE TABLE v (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA)")
        let values: [(Int64, Double, String?, [UInt8])] = [
            (Int64.max, 0.1 + 0.2, "tab\there, newline\nand 'quotes' ? and ünïcode", [0, 1, 255, 92, 9]),
            (Int64.min, -1e-300, nil, []),
            (0, 1_700_000_000.123456, "", [7]),
        ]
        for v in values {
            XCTAssertEqual(
                try db.run(
                    "INSERT INTO v(i, d, t, b) VALUES (?, ?, ?, ?)",
                    [.int(v.0), .double(v.1), .of(v.2), .blob(v.3)]
                ),
                1
            )
        }
        let rows = try db.query("SELECT i, d, t, b FROM v ORDER BY d DESC", []) {
            ($0.int64(0), $0.double(1), $0.optionalText(2), $0.blob(3))
        }
        let expected = values.sorted { $0.1 > $1.1 }
        XCTAssertEqual(rows.count, 3)
        for (r, e) in zip(rows, expected) {
            XCTAssertEqual(r.0, e.0)
            XCTAssertEqual(r.1, e.1, "doubles come back bit for bit")
            XCTAssertEqual(r.2, e.2)
            XCTAssertEqual(r.3, e.3)
        }
        // Streaming reads see the same rows; an error thrown by the reader stops it and leaves the connection usable.
        var seen = 0
        try db.forEachRow("SELECT i FROM v", []) { _ in seen += 1 }
        XCTAssertEqual(seen, 3)
        struct Stop: Error {}
        XCTAssertThrowsError(try db.forEachRow("SELECT i FROM v", []) { _ in throw Stop() }) {
            XCTAssertTrue($0 is Stop)
        }
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM v"), 3)
        XCTAssertEqual(try db.insertReturningIDTable(), 1)
    }

    func testCopyEscapesEveryByteTheTextFormatReserves() throws {
        let db = try PostgresDatabase(url: try TestPostgres.freshSchemaURL("copy"))
        try db.execute("CREATE TABLE c (k BIGINT, t TEXT)")
        let texts = ["a\tb", "line\nbreak", "back\\slash", "\\N", "cr\r", "plain"]
        try db.transaction {
            try db.copyIn("COPY c(k, t) FROM STDIN") { out in
                for (i, t) in texts.enumerated() { try out.row(["\(i)", t]) }
                try out.row(["99", nil])
            }
        }
        let back = try db.query("SELECT k, t FROM c ORDER BY k", []) { ($0.int(0), $0.optionalText(1)) }
        XCTAssertEqual(back.map(\.1), texts + [nil])
    }

    func testConstraintAndLostConnectionAreClassifiedAndTheConnectionRecovers() throws {
        let url = try TestPostgres.freshSchemaURL("faults")
        let db = try PostgresDatabase(url: url)
        try db.execute("CREATE TABLE k (id TEXT PRIMARY KEY)")
        try db.run("INSERT INTO k(id) VALUES (?)", [.text("a")])
        XCTAssertThrowsError(try db.run("INSERT INTO k(id) VALUES (?)", [.text("a")])) { e in
            let f = e as? PostgresError
            XCTAssertEqual(f?.isConstraint, true, "\(e)")
            XCTAssertEqual(f?.isTransient, false)
        }
        // The server ends this connection's backend (as a restart or a failover would).
        let pid = try XCTUnwrap(try db.scalarInt("SELECT pg_backend_pid()"))
        let admin = try PostgresDatabase(url: url)
        XCTAssertEqual(try admin.query("SELECT pg_terminate_backend(?)", [.int(pid)]) { $0.int(0) }, [1])
        XCTAssertThrowsError(try db.scalarInt("SELECT count(*) FROM k")) { e in
            XCTAssertEqual((e as? PostgresError)?.isTransient, true, "a lost connection is transient: \(e)")
        }
        // The next use reconnects; prepared statements are made again, and kept settings applied again.
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM k"), 1)
        XCTAssertNotEqual(try db.scalarInt("SELECT pg_backend_pid()"), pid)
        try db.keep(setting: "SET lock_timeout = 1234")
        let pid2 = try XCTUnwrap(try db.scalarInt("SELECT pg_backend_pid()"))
        XCTAssertEqual(try admin.query("SELECT pg_terminate_backend(?)", [.int(pid2)]) { $0.int(0) }, [1])
        _ = try? db.scalarInt("SELECT 1")  // fails: the connection is gone
        XCTAssertEqual(
            try db.query("SHOW lock_timeout", []) { $0.text(0) },
            ["1234ms"],
            "the setting survived the reconnect"
        )
    }

    func testAHeldLockTimesOutAsTransientAndTheTransactionRollsBack() throws {
        let url = try TestPostgres.freshSchemaURL("lock")
        let a = try PostgresDatabase(url: url)
        let b = try PostgresDatabase(url: url)
        try a.execute("CREATE TABLE l (id BIGINT PRIMARY KEY, n BIGINT)")
        try a.run("INSERT INTO l VALUES (1, 0)")
        try a.begin()
        try a.run("UPDATE l SET n = 1 WHERE id = 1")
        try b.execute("SET lock_timeout = 200")
        XCTAssertThrowsError(try b.transaction { try b.run("UPDATE l SET n = 2 WHERE id = 1") }) { e in
            XCTAssertEqual((e as? PostgresError)?.sqlState, "55P03", "\(e)")
            XCTAssertEqual((e as? any SQLFailure)?.isTransient, true)
        }
        XCTAssertFalse(b.inTransaction, "the failed transaction was rolled back")
        try a.execute("COMMIT")
        try b.transaction { try b.run("UPDATE l SET n = 2 WHERE id = 1") }
        XCTAssertEqual(try a.scalarInt("SELECT n FROM l"), 2)
    }

    func testMigrationsRunOnceAndTheSchemaMatchesSQLite() throws {
        let url = try TestPostgres.freshSchemaURL("migrate")
        let db = try PostgresDatabase(url: url)
        XCTAssertEqual(try Migrations.migrate(db).count, Migrations.latestVersion)
        XCTAssertEqual(try Migrations.migrate(db), [], "a second run applies nothing")
        // Two stores opened together (two nodes starting at once) both find the schema complete.
        let g = DispatchGroup()
        let other = try TestPostgres.freshSchemaURL("migrate2")
        final class Box: @unchecked Sendable {
            var errors: [Error] = []
            let lock = NSLock()
        }
        let box = Box()
        for _ in 0..<3 {
            g.enter()
            Thread {
                defer { g.leave() }
                do { _ = try Store(location: .postgres(url: other)) } catch {
                    box.lock.lock()
                    box.errors.append(error)
                    box.lock.unlock()
                }
            }.start()
        }
        XCTAssertEqual(g.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(box.errors.isEmpty, "\(box.errors)")
        XCTAssertEqual(try Store(location: .postgres(url: other)).schemaVersion(), Migrations.latestVersion)
        // The same tables and columns as SQLite.
        let sqlitePath = NSTemporaryDirectory() + "migrate-\(UUID().uuidString).db"
        defer { try? FileManager.default.removeItem(atPath: sqlitePath) }
        let lite = try SQLiteDatabase(path: sqlitePath)
        try Migrations.migrate(lite)
        let liteColumns = Set(
            try lite.query(
                "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
                []
            ) { $0.text(0) }
        )
        let pgColumns = Set(
            try db.query(
                "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema()",
                []
            ) { $0.text(0) }
        )
        XCTAssertEqual(pgColumns, liteColumns)
    }
}

extension PostgresDatabase {
    /// `insertReturningID` on an identity column, in a table of its own.
    fileprivate func insertReturningIDTable() throws -> Int64 {
        try execute("CREATE TABLE r (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x TEXT)")
        return try insertReturningID("INSERT INTO r(x) VALUES (?)", [.text("x")])
    }
}

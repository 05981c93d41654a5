extension SQLConnection {
    /// Inserts `values` (rows of `width` values, each the target's columns in order) with multi-row statements
    /// of up to 256 rows, each ending in `suffix`; returns the rows changed. Batches are 256 rows, the rest in
    /// powers of two: nine statement texts at most per target, which the connection's statement cache keeps
    /// prepared. The bulk writes of an import (`TransactionImport`) and of the daily totals (`SalesDaily.add`).
    package func insertRows(_ target: String, width: Int, _ values: [SQLValue], suffix: String = "") throws -> Int {
        let rows = values.count / width
        guard rows > 0 else { return 0 }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var inserted = 0
        var start = 0
        while start < rows {
            var size = 256
            while size > rows - start { size /= 2 }
            let end = start + size
            let sql =
                "INSERT INTO \(target) VALUES " + Array(repeating: row, count: end - start).joined(separator: ", ")
                + (suffix.isEmpty ? "" : " " + suffix)
            inserted += try run(sql, Array(values[(start * width)..<(end * width)]))
            start = end
        }
        return inserted
    }
}

import Foundation

/// The import's bulk rows on PostgreSQL: `COPY` into a temporary table, then one `INSERT … SELECT … ON
/// CONFLICT DO NOTHING` into the real table, so a re-import of the same rows writes nothing (as SQLite's
/// INSERT OR IGNORE) and the counts are the rows really added. Inside the caller's transaction.
extension ParsedBatch {
    func copySales(_ db: PostgresDatabase, progress: ((ImportProgress) -> Void)?) throws -> Int {
        try db.execute(
            """
            DROP TABLE IF EXISTS import_sales;
            CREATE TEMP TABLE import_sales (LIKE sales INCLUDING DEFAULTS) ON COMMIT DROP
            """
        )
        let slotText = Dictionary(uniqueKeysWithValues: Set(sales.map(\.slot)).map { ($0, $0.description) })
        try db.copyIn(
            "COPY import_sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key) FROM STDIN"
        ) { out in
            for (i, s) in sales.enumerated() {
                let txn =
                    s.txnStart >= 0
                    ? String(decoding: txnBytes[Int(s.txnStart)..<Int(s.txnStart + s.txnLength)], as: UTF8.self) : nil
                try out.row([
                    "\(s.ts)", deviceNames[Int(s.device)], "\(s.cabinet)", slotText[s.slot]!,
                    productNames[Int(s.product)],
                    PostgresDatabase.format(s.price), txn, "\(s.nanos)", txn ?? "",
                ])
                if i & 0xFFFF == 0xFFFF, let progress {
                    progress(
                        ImportProgress(
                            phase: "write",
                            file: "sales.csv",
                            rows: i + 1,
                            bytesDone: i + 1,
                            bytesTotal: sales.count
                        )
                    )
                }
            }
        }
        return try db.run(
            """
            INSERT INTO sales(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key)
            SELECT ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key FROM import_sales
            ON CONFLICT DO NOTHING
            """,
            []
        )
    }

    func copyServices(_ db: PostgresDatabase) throws -> Int {
        try db.execute(
            """
            DROP TABLE IF EXISTS import_services;
            CREATE TEMP TABLE import_services (LIKE services INCLUDING DEFAULTS) ON COMMIT DROP
            """
        )
        let slotText = Dictionary(uniqueKeysWithValues: Set(services.map(\.slot)).map { ($0, $0.description) })
        try db.copyIn("COPY import_services(ts, device_id, cabinet_index, slot, units_added) FROM STDIN") { out in
            for s in services {
                try out.row(["\(s.ts)", deviceNames[Int(s.device)], "\(s.cabinet)", slotText[s.slot]!, "\(s.units)"])
            }
        }
        return try db.run(
            """
            INSERT INTO services(ts, device_id, cabinet_index, slot, units_added)
            SELECT ts, device_id, cabinet_index, slot, units_added FROM import_services
            ON CONFLICT DO NOTHING
            """,
            []
        )
    }
}

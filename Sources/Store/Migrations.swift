import Foundation

/// The schema as ordered, named steps. Each step runs once, in its own transaction, and is recorded
/// in `schema_migrations`; `PRAGMA user_version` mirrors the latest step for outside tools.
package enum Migrations {
    package struct Step: Sendable {
        package let name: String
        package let sql: String
    }

    package static let steps: [Step] = [
        Step(
            name: "catalog",
            sql: """
                CREATE TABLE devices (
                  device_id TEXT PRIMARY KEY, name TEXT NOT NULL, venue_type TEXT NOT NULL,
                  latitude REAL NOT NULL, longitude REAL NOT NULL, device_type TEXT NOT NULL);
                CREATE TABLE cabinets (
                  device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
                  cabinet_index INTEGER NOT NULL, temperature TEXT NOT NULL,
                  rows INTEGER NOT NULL, columns INTEGER NOT NULL, row_heights_mm TEXT NOT NULL,
                  PRIMARY KEY (device_id, cabinet_index));
                CREATE TABLE products (
                  product_id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
                  price REAL NOT NULL, unit_cost REAL NOT NULL, temperature TEXT NOT NULL,
                  height_mm INTEGER NOT NULL, width_cols INTEGER NOT NULL, shelf_life_days INTEGER NOT NULL);
                """
        ),
        Step(
            name: "planograms",
            sql: """
                CREATE TABLE planogram_versions (
                  id INTEGER PRIMARY KEY,
                  device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL,
                  version INTEGER NOT NULL, effective_from INTEGER NOT NULL,
                  source TEXT NOT NULL DEFAULT 'import', published_by TEXT,
                  FOREIGN KEY (device_id, cabinet_index) REFERENCES cabinets(device_id, cabinet_index) ON DELETE CASCADE,
                  UNIQUE (device_id, cabinet_index, effective_from));
                CREATE INDEX planogram_versions_by_version ON planogram_versions(device_id, cabinet_index, version);
                CREATE TABLE planogram_slots (
                  version_id INTEGER NOT NULL REFERENCES planogram_versions(id) ON DELETE CASCADE,
                  slot TEXT NOT NULL, product_id TEXT NOT NULL REFERENCES products(product_id),
                  capacity INTEGER NOT NULL CHECK (capacity >= 1),
                  PRIMARY KEY (version_id, slot)) WITHOUT ROWID;
                """
        ),
        // Sales and services carry no foreign keys: the importer checks every reference before it
        // writes, and the per-row key checks would halve the import rate. A vend is identified by its
        // device, cabinet, slot and second (a machine cannot vend twice from one slot in one second).
        Step(
            name: "history",
            sql: """
                CREATE TABLE sales (
                  ts INTEGER NOT NULL, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  product_id TEXT NOT NULL, price REAL NOT NULL, transaction_id TEXT,
                  PRIMARY KEY (ts, device_id, cabinet_index, slot)) WITHOUT ROWID;
                CREATE TABLE services (
                  ts INTEGER NOT NULL, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  units_added INTEGER NOT NULL,
                  PRIMARY KEY (ts, device_id, cabinet_index, slot)) WITHOUT ROWID;
                CREATE TABLE import_runs (
                  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, files TEXT NOT NULL, rows_read INTEGER NOT NULL,
                  rows_written INTEGER NOT NULL);
                """
        ),
        Step(
            name: "insights",
            sql: """
                CREATE TABLE zone_performance (
                  device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  value REAL NOT NULL, position_multiplier REAL NOT NULL, revenue_per_day REAL NOT NULL,
                  observations INTEGER NOT NULL, model_version TEXT NOT NULL, computed_at INTEGER NOT NULL,
                  PRIMARY KEY (device_id, cabinet_index, slot)) WITHOUT ROWID;
                CREATE TABLE product_affinity (
                  product_a TEXT NOT NULL, product_b TEXT NOT NULL, support REAL NOT NULL, confidence REAL NOT NULL,
                  lift REAL NOT NULL, baskets INTEGER NOT NULL, computed_at INTEGER NOT NULL,
                  PRIMARY KEY (product_a, product_b)) WITHOUT ROWID;
                CREATE TABLE ai_predictions (
                  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL,
                  kind TEXT NOT NULL, request_hash TEXT NOT NULL, model_version TEXT NOT NULL,
                  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, payload TEXT NOT NULL);
                CREATE INDEX ai_predictions_by_cabinet ON ai_predictions(device_id, cabinet_index, created_at);
                CREATE INDEX ai_predictions_by_expiry ON ai_predictions(expires_at);
                CREATE TABLE ai_experiments (
                  id INTEGER PRIMARY KEY, name TEXT NOT NULL, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL,
                  variant_a_version INTEGER NOT NULL, variant_b_version INTEGER NOT NULL,
                  started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL, result TEXT);
                """
        ),
        Step(
            name: "live-sessions",
            sql: """
                CREATE TABLE op_log (
                  session_id TEXT NOT NULL, seq INTEGER NOT NULL, version INTEGER NOT NULL,
                  user_id TEXT NOT NULL, client_op_id TEXT NOT NULL, op TEXT NOT NULL, result TEXT NOT NULL,
                  at INTEGER NOT NULL,
                  PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
                CREATE UNIQUE INDEX op_log_idempotency ON op_log(session_id, user_id, client_op_id);
                CREATE TABLE session_checkpoints (
                  session_id TEXT NOT NULL, seq INTEGER NOT NULL, version INTEGER NOT NULL,
                  snapshot TEXT NOT NULL, at INTEGER NOT NULL,
                  PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
                """
        ),
        Step(
            name: "reasoning-cache",
            sql: """
                CREATE TABLE reasoning_cache (
                  prompt_hash TEXT PRIMARY KEY, model TEXT NOT NULL, text TEXT NOT NULL,
                  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
                CREATE INDEX reasoning_cache_by_age ON reasoning_cache(created_at);
                """
        ),
        // The fitted models, so a restart loads them instead of refitting (newest row wins).
        Step(
            name: "insights-models",
            sql: """
                CREATE TABLE insights_models (
                  id INTEGER PRIMARY KEY, model_version TEXT NOT NULL, fingerprint TEXT NOT NULL,
                  fitted_at INTEGER NOT NULL, payload BLOB NOT NULL);
                """
        ),
        // Revenue predictions are deduplicated by request: one row per (request hash, model version).
        Step(
            name: "predictions-dedup",
            sql: """
                DELETE FROM ai_predictions WHERE id NOT IN (SELECT max(id) FROM ai_predictions GROUP BY request_hash, model_version);
                CREATE UNIQUE INDEX ai_predictions_by_request ON ai_predictions(request_hash, model_version);
                """
        ),
        // A vend is identified by its time at full precision and its transaction id as well as its slot:
        // two vends of one slot in one second are two rows (the old key refused real exports).
        Step(
            name: "sales-identity",
            sql: """
                CREATE TABLE sales_identity (
                  ts INTEGER NOT NULL, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  product_id TEXT NOT NULL, price REAL NOT NULL, transaction_id TEXT,
                  ts_nanos INTEGER NOT NULL DEFAULT 0, txn_key TEXT NOT NULL DEFAULT '',
                  PRIMARY KEY (ts, device_id, cabinet_index, slot, ts_nanos, txn_key)) WITHOUT ROWID;
                INSERT INTO sales_identity(ts, device_id, cabinet_index, slot, product_id, price, transaction_id, ts_nanos, txn_key)
                  SELECT ts, device_id, cabinet_index, slot, product_id, price, transaction_id, 0, coalesce(transaction_id, '') FROM sales;
                DROP TABLE sales;
                ALTER TABLE sales_identity RENAME TO sales;
                """
        ),
        // docs/MODELS.md: case sizes, access hours and service times, depots, vehicles, a travel matrix.
        Step(
            name: "operations-data",
            sql: """
                ALTER TABLE products ADD COLUMN case_size INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE devices ADD COLUMN access_from INTEGER;
                ALTER TABLE devices ADD COLUMN access_until INTEGER;
                ALTER TABLE devices ADD COLUMN service_minutes INTEGER NOT NULL DEFAULT 10;
                CREATE TABLE depots (
                  depot_id TEXT PRIMARY KEY, name TEXT NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL,
                  opens INTEGER NOT NULL, closes INTEGER NOT NULL);
                CREATE TABLE vehicles (
                  vehicle_id TEXT PRIMARY KEY, depot_id TEXT NOT NULL REFERENCES depots(depot_id),
                  capacity_units INTEGER NOT NULL, shift_start INTEGER NOT NULL, shift_end INTEGER NOT NULL);
                CREATE TABLE travel_matrix (
                  from_id TEXT NOT NULL, to_id TEXT NOT NULL, seconds INTEGER NOT NULL, meters INTEGER NOT NULL,
                  PRIMARY KEY (from_id, to_id)) WITHOUT ROWID;
                """
        ),
        // docs/MODELS.md `POST /api/visits`: what a driver did, idempotent by visit id; restocks go to `services`,
        // units taken out (expired or expiring) to `pulls`.
        Step(
            name: "visits",
            sql: """
                CREATE TABLE visits (
                  visit_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, at INTEGER NOT NULL, recorded_by TEXT NOT NULL,
                  recorded_at INTEGER NOT NULL, body TEXT NOT NULL);
                CREATE INDEX visits_by_device ON visits(device_id, at);
                CREATE TABLE pulls (
                  ts INTEGER NOT NULL, device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  units INTEGER NOT NULL, visit_id TEXT,
                  PRIMARY KEY (ts, device_id, cabinet_index, slot)) WITHOUT ROWID;
                """
        ),
        // docs/API.md: long work as jobs, with their outcome kept.
        Step(
            name: "jobs",
            sql: """
                CREATE TABLE jobs (
                  job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL,
                  message TEXT NOT NULL, result TEXT, error TEXT, created_by TEXT NOT NULL,
                  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                CREATE INDEX jobs_by_state ON jobs(state);
                """
        ),
        // docs/API.md: the planned routes of a day (the newest plan wins), read by drivers and the pick lists.
        Step(
            name: "route-plans",
            sql: """
                CREATE TABLE route_plans (
                  date TEXT PRIMARY KEY, job_id TEXT NOT NULL, planned_by TEXT NOT NULL, planned_at INTEGER NOT NULL,
                  body TEXT NOT NULL);
                """
        ),
        // docs/MODELS.md: experiments (the plan's `ai_experiments`), their design kept whole and their devices
        // indexed, so a device is in one running experiment at a time. The insights step's placeholder of
        // that name (one cabinet, two versions; never written by any code) gives way to it.
        Step(
            name: "experiments",
            sql: """
                DROP TABLE ai_experiments;
                CREATE TABLE ai_experiments (
                  experiment_id TEXT PRIMARY KEY, name TEXT NOT NULL, hypothesis TEXT NOT NULL, metric TEXT NOT NULL,
                  status TEXT NOT NULL, seed TEXT NOT NULL, start_day INTEGER NOT NULL, min_days INTEGER NOT NULL,
                  body TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL, stopped_at INTEGER, stop_reason TEXT);
                CREATE TABLE ai_experiment_devices (
                  experiment_id TEXT NOT NULL REFERENCES ai_experiments(experiment_id), device_id TEXT NOT NULL, arm TEXT NOT NULL,
                  PRIMARY KEY (experiment_id, device_id));
                CREATE INDEX ai_experiment_devices_by_device ON ai_experiment_devices(device_id);
                """
        ),
        // A device's sales per day, kept by the importer for the days each import touches: experiments and
        // the fleet KPIs read a few hundred devices × a few weeks without scanning the sales of the fleet.
        Step(
            name: "sales-daily",
            sql: """
                CREATE TABLE sales_daily (
                  device_id TEXT NOT NULL, day INTEGER NOT NULL, revenue REAL NOT NULL, units INTEGER NOT NULL,
                  PRIMARY KEY (device_id, day)) WITHOUT ROWID;
                INSERT INTO sales_daily(device_id, day, revenue, units)
                  SELECT device_id, ts / 86400, SUM(price), COUNT(*) FROM sales GROUP BY device_id, ts / 86400;
                """
        ),
        // A device's out-of-stock slot-days per day (Σ over its stocked slots of the share of the trading day
        // without stock), written with every fit of the models from the history they were fitted on: the
        // `stockouts` metric of experiments.
        Step(
            name: "stockouts-daily",
            sql: """
                CREATE TABLE stockouts_daily (
                  device_id TEXT NOT NULL, day INTEGER NOT NULL, slot_days_out REAL NOT NULL, slots INTEGER NOT NULL,
                  PRIMARY KEY (device_id, day)) WITHOUT ROWID;
                """
        ),
        // docs/OPERATIONS.md: which node runs a job, so a node that restarts fails only its own unfinished jobs and
        // the others can fail those of a node that is gone.
        Step(
            name: "jobs-node",
            sql: """
                ALTER TABLE jobs ADD COLUMN node TEXT NOT NULL DEFAULT '';
                """
        ),
        // Settings of the stored data itself; the first: the zone whose local dates `sales_daily` is in
        // (`SalesDaily`; without the row, UTC — the table as the migration above wrote it).
        Step(
            name: "store-settings",
            sql: """
                CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """
        ),
        // The estimated Claude spend per local date, shared by every node and kept across restarts, so the
        // daily cap holds for the deployment (`SpendLedger`, `DatabaseSpendStore`).
        Step(
            name: "ai-spend",
            sql: """
                CREATE TABLE ai_spend (day INTEGER NOT NULL, usd REAL NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (day));
                """
        ),
        // The devices a job touches (a JSON array; NULL: every device), so that reading, streaming and
        // cancelling it can be checked against a token's `devices` claim (`JobAccess`).
        Step(
            name: "jobs-devices",
            sql: """
                ALTER TABLE jobs ADD COLUMN devices TEXT;
                """
        ),
        // DEX audit reads (docs/formats/DEX.md): each read's text and counters, the interval sales between a
        // device's consecutive reads (units NULL: the counters do not say), the serial a device's reads carry,
        // and the device's selection map (selection -> slots).
        Step(
            name: "dex-reads",
            sql: """
                CREATE TABLE dex_reads (
                  read_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, fingerprint TEXT NOT NULL, machine_serial TEXT,
                  read_at INTEGER NOT NULL, read_at_basis TEXT NOT NULL, received_at INTEGER NOT NULL,
                  recorded_by TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (device_id, fingerprint));
                CREATE INDEX dex_reads_by_device ON dex_reads(device_id, read_at);
                CREATE TABLE dex_read_selections (
                  read_id TEXT NOT NULL, position INTEGER NOT NULL, selection TEXT NOT NULL, price REAL,
                  vends_total INTEGER, value_total REAL, vends_since_reset INTEGER, value_since_reset REAL,
                  PRIMARY KEY (read_id, selection));
                CREATE TABLE dex_intervals (
                  device_id TEXT NOT NULL, selection TEXT NOT NULL, from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL,
                  units INTEGER, basis TEXT NOT NULL, read_id TEXT NOT NULL, PRIMARY KEY (device_id, selection, to_ts));
                CREATE TABLE dex_serials (serial TEXT PRIMARY KEY, device_id TEXT NOT NULL);
                CREATE TABLE device_selections (
                  device_id TEXT NOT NULL, cabinet_index INTEGER NOT NULL, selection TEXT NOT NULL, slot TEXT NOT NULL,
                  PRIMARY KEY (device_id, cabinet_index, selection, slot));
                """
        ),
        // The nightly route plan: one row per night, claimed by the one process that plans it (`NightlyPlan`).
        Step(
            name: "nightly-plans",
            sql: """
                CREATE TABLE nightly_plans (
                  night TEXT PRIMARY KEY, day TEXT NOT NULL, claimed_by TEXT NOT NULL, claimed_at INTEGER NOT NULL,
                  job_id TEXT);
                """
        ),
        // docs/formats/EXPORTS.md: sales an export dates by the day only, kept as days (a local date of the
        // fleet's clock), never given an invented hour; one row per export line, keyed so an import repeated
        // writes nothing. And the operator's par level of a slot (docs/MODELS.md "Par levels").
        Step(
            name: "sales-days",
            sql: """
                CREATE TABLE sales_days (
                  device_id TEXT NOT NULL, day INTEGER NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  product_id TEXT NOT NULL, units INTEGER NOT NULL, revenue REAL NOT NULL, line_key TEXT NOT NULL,
                  PRIMARY KEY (device_id, day, line_key));
                ALTER TABLE planogram_slots ADD COLUMN par INTEGER;
                """
        ),
        // The daily totals recompute a day of day-only sales at a time (`SalesDaily.recompute`): by day, not a scan.
        Step(
            name: "sales-days-by-day",
            sql: """
                CREATE INDEX sales_days_by_day ON sales_days(day);
                """
        ),
        // Which truck a driver drives (docs/API.md "Drivers and trucks"): set by an admin, read when a driver's
        // token carries no `vehicle` claim of its own.
        Step(
            name: "driver-vehicles",
            sql: """
                CREATE TABLE driver_vehicles (
                  driver TEXT PRIMARY KEY, vehicle_id TEXT NOT NULL, assigned_by TEXT NOT NULL, assigned_at INTEGER NOT NULL);
                """
        ),
        // A version an export's sales imply differs from the one before it in a slot or two: its slots are stored
        // as the differences from that version (`base_id`, read by `PlanogramRepository`), not whole again — an
        // export of 1,000 machines implies some 20,000 versions (docs/formats/EXPORTS.md).
        Step(
            name: "planogram-deltas",
            sql: """
                ALTER TABLE planogram_versions ADD COLUMN base_id INTEGER;
                CREATE INDEX planogram_versions_by_base ON planogram_versions(base_id) WHERE base_id IS NOT NULL;
                """
        ),
        // A cabinet an export's sales sized (docs/formats/EXPORTS.md): as large as the highest tray and column sold
        // from so far, so a later export that sells from a coil beyond it grows it, where a cabinet the operator
        // described is kept and the sale outside it refused.
        // A store from before the step: a cabinet all of whose layouts were inferred was sized by an export.
        Step(
            name: "cabinets-inferred",
            sql: """
                ALTER TABLE cabinets ADD COLUMN inferred INTEGER NOT NULL DEFAULT 0;
                UPDATE cabinets SET inferred = 1
                WHERE EXISTS (SELECT 1 FROM planogram_versions v WHERE v.device_id = cabinets.device_id
                                AND v.cabinet_index = cabinets.cabinet_index AND v.source = 'inferred')
                  AND NOT EXISTS (SELECT 1 FROM planogram_versions v WHERE v.device_id = cabinets.device_id
                                AND v.cabinet_index = cabinets.cabinet_index AND v.source <> 'inferred');
                """
        ),
        // Day-only sales keyed by date first: every read of them is by date (the daily totals, the history in
        // date order, the newest date) or reads backwards from the newest date, and an export is written in date
        // order, so the key is the only index and grows at its end. The by-date index it replaces cost an export
        // of 494,000 lines about a second (docs/BENCHMARKS.md §15).
        Step(
            name: "sales-days-date-first",
            sql: """
                CREATE TABLE sales_days_date_first (
                  device_id TEXT NOT NULL, day INTEGER NOT NULL, cabinet_index INTEGER NOT NULL, slot TEXT NOT NULL,
                  product_id TEXT NOT NULL, units INTEGER NOT NULL, revenue REAL NOT NULL, line_key TEXT NOT NULL,
                  PRIMARY KEY (day, device_id, line_key));
                INSERT INTO sales_days_date_first(device_id, day, cabinet_index, slot, product_id, units, revenue, line_key)
                  SELECT device_id, day, cabinet_index, slot, product_id, units, revenue, line_key FROM sales_days
                  ORDER BY day, device_id, line_key;
                DROP TABLE sales_days;
                ALTER TABLE sales_days_date_first RENAME TO sales_days;
                """
        ),
    ]

    /// Applies the steps not yet recorded. Returns the names applied now. On PostgreSQL the steps run under
    /// an advisory lock, so nodes that start together apply each step once.
    @discardableResult
    package static func migrate(_ db: any SQLConnection) throws -> [String] {
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_lock(74201)") }
        defer { if db.dialect == .postgres { try? db.execute("SELECT pg_advisory_unlock(74201)") } }
        try db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        let done = Set(try db.query("SELECT version FROM schema_migrations") { $0.int(0) })
        var applied: [String] = []
        for (i, step) in steps.enumerated() where !done.contains(i + 1) {
            try db.transaction {
                try db.execute(sql(step, for: db.dialect))
                try db.run(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                    [.of(i + 1), .text(step.name), .int(Int64(Date().timeIntervalSince1970))]
                )
                if db.dialect == .sqlite { try db.execute("PRAGMA user_version = \(i + 1)") }
            }
            applied.append(step.name)
        }
        return applied
    }

    /// A step's SQL for an engine. The steps are written in SQLite's dialect; PostgreSQL gets 64-bit
    /// integers (SQLite's INTEGER is 64-bit), identity keys for SQLite's row ids, double precision for REAL
    /// (PostgreSQL's REAL is 32-bit), BYTEA for BLOB, and no WITHOUT ROWID.
    package static func sql(_ step: Step, for dialect: SQLDialect) -> String {
        guard dialect == .postgres else { return step.sql }
        var s = step.sql
        for (pattern, replacement) in [
            (#"\bINTEGER PRIMARY KEY\b"#, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
            (#"\bINTEGER\b"#, "BIGINT"),
            (#"\bREAL\b"#, "DOUBLE PRECISION"),
            (#"\bBLOB\b"#, "BYTEA"),
            (#"\)\s*WITHOUT ROWID"#, ")"),
        ] {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return s
    }

    package static var latestVersion: Int { steps.count }
}

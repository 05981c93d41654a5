import Foundation

/// An experiment as the store keeps it (docs/MODELS.md): its identity and status in columns, its design and
/// treatment in `body` (JSON written by the application), its devices with their arms in their own table.
package struct StoredExperiment: Sendable {
    package var id: String
    package var name: String
    package var hypothesis: String
    package var metric: String
    package var status: String
    package var seed: UInt64
    package var startDay: Int64
    package var minDays: Int
    package var body: Data
    package var createdBy: String
    package var createdAt: Int64
    package var stoppedAt: Int64?
    package var stopReason: String?
    /// device → arm
    package var arms: [String: String]

    package init(
        id: String,
        name: String,
        hypothesis: String,
        metric: String,
        status: String,
        seed: UInt64,
        startDay: Int64,
        minDays: Int,
        body: Data,
        createdBy: String,
        createdAt: Int64,
        stoppedAt: Int64? = nil,
        stopReason: String? = nil,
        arms: [String: String]
    ) {
        self.id = id
        self.name = name
        self.hypothesis = hypothesis
        self.metric = metric
        self.status = status
        self.seed = seed
        self.startDay = startDay
        self.minDays = minDays
        self.body = body
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.stoppedAt = stoppedAt
        self.stopReason = stopReason
        self.arms = arms
    }
}

extension Store {
    /// Writes a new experiment and its devices in one transaction: `check` runs first (to refuse devices
    /// already in a running experiment without a race), `then` last (the treatment's publishes), and any
    /// throw leaves nothing written.
    package func insertExperiment(
        _ e: StoredExperiment,
        check: (any SQLConnection) throws -> Void,
        then: (any SQLConnection) throws -> Void
    ) throws {
        try write { db in
            try check(db)
            try db.run(
                """
                INSERT INTO ai_experiments(experiment_id, name, hypothesis, metric, status, seed, start_day, min_days, body, created_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(e.id), .text(e.name), .text(e.hypothesis), .text(e.metric), .text(e.status),
                    .text(String(e.seed)),
                    .of(Int(e.startDay)), .of(e.minDays), .text(String(decoding: e.body, as: UTF8.self)),
                    .text(e.createdBy), .of(Int(e.createdAt)),
                ]
            )
            for (device, arm) in e.arms.sorted(by: { $0.key < $1.key }) {
                try db.run(
                    "INSERT INTO ai_experiment_devices(experiment_id, device_id, arm) VALUES (?, ?, ?)",
                    [.text(e.id), .text(device), .text(arm)]
                )
            }
            try then(db)
        }
    }

    /// The running experiments a device is in (at most one, by the insert's check).
    package static func runningExperiments(
        _ db: any SQLConnection,
        devices: [String]
    ) throws -> [(device: String, experiment: String)] {
        var out: [(String, String)] = []
        for d in devices {
            out += try db.query(
                """
                SELECT d.device_id, e.experiment_id FROM ai_experiment_devices d JOIN ai_experiments e USING (experiment_id)
                WHERE d.device_id = ? AND e.status = 'running'
                """,
                [.text(d)],
                { ($0.text(0), $0.text(1)) }
            )
        }
        return out
    }

    package func experiments() throws -> [StoredExperiment] {
        try read { db in
            let arms = try db.query("SELECT experiment_id, device_id, arm FROM ai_experiment_devices", []) {
                ($0.text(0), $0.text(1), $0.text(2))
            }
            let byExperiment = Dictionary(grouping: arms, by: \.0)
            return try db.query(
                """
                SELECT experiment_id, name, hypothesis, metric, status, seed, start_day, min_days, body, created_by, created_at, stopped_at, stop_reason
                FROM ai_experiments ORDER BY created_at DESC, experiment_id
                """,
                []
            ) { r in
                StoredExperiment(
                    id: r.text(0),
                    name: r.text(1),
                    hypothesis: r.text(2),
                    metric: r.text(3),
                    status: r.text(4),
                    seed: UInt64(r.text(5)) ?? 0,
                    startDay: Int64(r.int(6)),
                    minDays: Int(r.int(7)),
                    body: Data(r.text(8).utf8),
                    createdBy: r.text(9),
                    createdAt: Int64(r.int(10)),
                    stoppedAt: r.isNull(11) ? nil : Int64(r.int(11)),
                    stopReason: r.isNull(12) ? nil : r.text(12),
                    arms: Dictionary(uniqueKeysWithValues: (byExperiment[r.text(0)] ?? []).map { ($0.1, $0.2) })
                )
            }
        }
    }

    package func experiment(_ id: String) throws -> StoredExperiment? {
        try experiments().first { $0.id == id }
    }

    /// Stops a running experiment; its data stays. False when there is no running experiment `id`.
    package func stopExperiment(_ id: String, at: Int64, reason: String) throws -> Bool {
        try write { db in
            try db.run(
                "UPDATE ai_experiments SET status = 'stopped', stopped_at = ?, stop_reason = ? WHERE experiment_id = ? AND status = 'running'",
                [.of(Int(at)), .text(reason), .text(id)]
            ) > 0
        }
    }
}

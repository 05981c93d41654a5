import EventLoopHTTP
import Experiments
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Store

/// docs/MODELS.md: `POST /api/experiments`, `GET /api/experiments`, `GET /api/experiments/{id}`,
/// `GET /api/experiments/{id}/events`, and `POST /api/experiments/{id}/stop` (stopping keeps the data).
struct ExperimentRoutes {
    let app: AppContext
    let service: ExperimentService
    let insights: InsightsEngine
    let venues: VenueDemandCache
    /// Told of every treatment version published (open sessions of those cabinets move their base).
    let onPublished: @Sendable (CabinetKey, Planogram, String) -> Void
    static let roles: Set<Role> = [.manager, .admin]

    func install(_ router: inout Router) {
        let app = self.app
        let service = self.service
        let insights = self.insights
        let venues = self.venues
        let onPublished = self.onPublished
        router.post("/api/experiments", name: "experiments_create", admit: app.auth.admit(Self.roles)) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                let body = try JSONRequest.decode(ExperimentRequest.self, req)
                return (
                    201,
                    try Self.create(
                        app: app,
                        body,
                        by: p,
                        optimizer: {
                            let snap = try insights.snapshotOrUnavailable()
                            return (snap, venues.demand(snap))
                        },
                        onPublished: onPublished
                    )
                )
            }
        }
        router.get("/api/experiments", name: "experiments") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                // Only the experiments whose every device the token covers.
                let visible = try app.store.experiments().filter { e in
                    e.arms.keys.allSatisfy { p.mayTouch(device: $0) }
                }
                return (
                    200,
                    ExperimentListResponse(experiments: try visible.map { try service.describe($0, detail: false) })
                )
            }
        }
        router.get("/api/experiments/{id}", name: "experiment") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                let id = req.parameter("id") ?? ""
                guard let e = try app.store.experiment(id) else { throw APIError.notFound("no experiment \(id)") }
                try Self.requireCovered(app, p, e)
                return (200, try service.describe(e, detail: true))
            }
        }
        router.post("/api/experiments/{id}/stop", name: "experiment_stop") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                let id = req.parameter("id") ?? ""
                guard let e = try app.store.experiment(id) else { throw APIError.notFound("no experiment \(id)") }
                try Self.requireCovered(app, p, e)
                guard
                    try app.store.stopExperiment(
                        id,
                        at: Int64(Date().timeIntervalSince1970),
                        reason: "stopped by \(p.subject)"
                    )
                else {
                    throw APIError(409, "not_running", "experiment \(id) is already stopped")
                }
                return (200, try service.describe(try app.store.experiment(id)!, detail: false))
            }
        }
        router.get("/api/experiments/{id}/events", name: "experiment_events") { req, r in
            let p: Principal
            do { p = try app.auth.require(req, Self.roles) } catch let e as APIError {
                r.send(e)
                return
            } catch {
                r.send(APIError(500, "internal", "internal error"))
                return
            }
            let id = req.parameter("id") ?? ""
            // The experiment is read (off the loop) and its devices checked against the token before the
            // stream starts: an experiment the token does not cover answers 403, like GET /api/experiments/{id}.
            app.handleStream(
                r,
                authorize: {
                    guard let e = try app.store.experiment(id) else { throw APIError.notFound("no experiment \(id)") }
                    try Self.requireCovered(app, p, e)
                }
            ) { stream in
                // Subscribed first, then the current estimate: an import meanwhile is sent again, never missed.
                service.feed(id).subscribe(stream)
                do {
                    guard let e = try app.store.experiment(id) else {
                        stream.close(
                            final: EventFrame.encode(
                                "error",
                                APIErrorBody(code: "not_found", message: "no experiment \(id)")
                            )
                        )
                        return
                    }
                    stream.send(EventFrame.encode("estimate", try service.describe(e, detail: false)))
                } catch {
                    stream.close(
                        final: EventFrame.encode(
                            "error",
                            APIErrorBody(code: "internal", message: "the estimate could not be computed")
                        )
                    )
                }
            }
        }
    }

    struct APIErrorBody: Encodable {
        let code: String
        let message: String
    }

    /// An experiment is visible to (and stoppable by) a token only when its claim covers every device of it.
    static func requireCovered(_ app: AppContext, _ p: Principal, _ e: StoredExperiment) throws(APIError) {
        if let outside = e.arms.keys.sorted().first(where: { !p.mayTouch(device: $0) }) {
            throw .forbidden("this token does not cover device \(outside) of experiment \(e.id)")
        }
    }

    /// `optimizer` gives the models when the treatment is `"optimizer"`: every cabinet of every device gets
    /// the optimizer's layout (5 s at most a cabinet; a cabinet takes well under a second, BENCHMARKS §11).
    static func create(
        app: AppContext,
        _ body: ExperimentRequest,
        by p: Principal,
        optimizer: () throws -> (InsightsEngine.Snapshot, VenueDemand),
        onPublished: (CabinetKey, Planogram, String) -> Void = { _, _, _ in }
    ) throws -> ExperimentCreatedResponse {
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.badRequest("name must be 1 to 200 characters") }
        guard let metric = DailyMetrics.Metric(rawValue: body.metric) else {
            throw APIError.badRequest("metric must be revenue, units or stockouts")
        }
        let minDays = body.minDays ?? 14
        guard (7...120).contains(minDays) else { throw APIError.badRequest("min_days must be 7 to 120") }
        guard let start = try APIQuery.date(body.start, name: "start") else {
            throw APIError.badRequest("start is required (YYYY-MM-DD)")
        }
        let cat = app.catalog.current
        // The devices.
        let ids: [String]
        switch (body.deviceIDs, body.venueType) {
        case (let list?, nil):
            guard Set(list).count == list.count else { throw APIError.badRequest("device_ids names a device twice") }
            if let unknown = list.first(where: { cat.devices[$0] == nil }) {
                throw APIError.unprocessable("unknown_device", "no device \(unknown)", details: ["device_id": unknown])
            }
            ids = list.sorted()
        case (nil, let venue?):
            guard let v = VenueType(rawValue: venue) else {
                throw APIError.unprocessable("unknown_venue_type", "no venue type \(venue)")
            }
            ids = cat.devices.values.filter { $0.venueType == v }.map(\.id).sorted()
        default:
            throw APIError.badRequest("give device_ids or venue_type (one of them)")
        }
        // Every device the experiment would publish to must be within the token's claim: 403, nothing written.
        if let outside = ids.first(where: { !p.mayTouch(device: $0) }) {
            throw APIError.forbidden("this token does not cover device \(outside)", details: ["device_id": outside])
        }
        guard ids.count >= 4 else {
            throw APIError.unprocessable(
                "too_few_devices",
                "an experiment needs at least 4 devices (two pairs); got \(ids.count)"
            )
        }
        // The start: today (the newest data's day) or later.
        let today = app.clock.day(of: try app.asOf() - 1)
        guard start > today else {
            throw APIError.unprocessable(
                "start_in_past",
                "start must be after \(FleetClock.dateText(today)), the newest day with data"
            )
        }
        guard start <= today + 60 else {
            throw APIError.unprocessable("start_too_late", "start must be within 60 days")
        }
        // The treatment: every device's new planogram(s), checked against the hard rules.
        var treatments: [(deviceID: String, cabinet: Int, planogram: Planogram)] = []
        switch body.treatment {
        case .string("optimizer"):
            let (snap, venueDemand) = try optimizer()
            var options = LayoutProposal.Options()
            options.timeLimit = 5
            for id in ids {
                for cabinet in cat.cabinets(of: id) {
                    guard let current = try app.published.current(CabinetKey(id, cabinet.index)) else { continue }
                    let outcome = try LayoutProposal.solve(
                        current: current,
                        cabinet: cabinet,
                        models: snap,
                        venues: venueDemand,
                        options: options
                    )
                    treatments.append((id, cabinet.index, outcome.proposal))
                }
            }
        case .object(let o):
            guard case .array(let cabinets)? = o["cabinets"] else {
                throw APIError.badRequest("treatment.cabinets must be an array")
            }
            for (i, c) in cabinets.enumerated() {
                let field = "treatment.cabinets[\(i)]"
                guard case .object(let entry) = c, case .string(let device)? = entry["device_id"],
                    let planogram = entry["planogram"]
                else {
                    throw APIError.badRequest("\(field) needs device_id, cabinet_index and planogram")
                }
                var index = 0
                if case .integer(let n)? = entry["cabinet_index"] { index = Int(n) }
                guard ids.contains(device) else {
                    throw APIError.unprocessable(
                        "not_in_experiment",
                        "\(field): \(device) is not one of the experiment's devices"
                    )
                }
                guard let cabinet = cat.cabinet(device, index) else {
                    throw APIError.unprocessable("unknown_cabinet", "\(field): \(device) has no cabinet \(index)")
                }
                if treatments.contains(where: { $0.deviceID == device && $0.cabinet == index }) {
                    throw APIError.badRequest("\(field): cabinet \(index) of \(device) is given twice")
                }
                let plan = try PlanogramJSON.parse(
                    planogram,
                    cabinet: cabinet,
                    products: cat.products,
                    version: 0,
                    field: "\(field).planogram"
                )
                treatments.append((device, index, plan))
            }
        default:
            throw APIError.badRequest("treatment must be {\"cabinets\": [...]} or \"optimizer\"")
        }
        if let missing = ids.first(where: { id in !treatments.contains { $0.deviceID == id } }) {
            throw APIError.unprocessable(
                "treatment_incomplete",
                "every device needs its treatment planogram (the arms are drawn at random); \(missing) has none"
            )
        }
        // The pre-period and the design.
        let preEnd = min(start, today + 1)
        let daily = try DailyMetrics.read(
            app.store,
            metric: metric,
            devices: Set(ids),
            fromDay: preEnd - Int64(ExperimentService.preDays),
            toDay: preEnd
        )
        let pre = Dictionary(
            uniqueKeysWithValues: ids.map { ($0, (daily[$0] ?? []).reduce(0, +) / Double(ExperimentService.preDays)) }
        )
        let seed = body.seed ?? UInt64.random(in: 1...UInt64(Int64.max))
        let design = PairedDesign.draw(ids.map { ExperimentUnit(id: $0, preMetric: pre[$0] ?? 0) }, seed: seed)
        let id = "exp_" + (0..<12).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
        let now = Int64(Date().timeIntervalSince1970)
        var published: [ExperimentTreatmentCabinet] = []
        var versions: [(CabinetKey, Planogram)] = []
        // The body (which versions the treatment got) is written once the publishes inside the transaction are done.
        let stored = StoredExperiment(
            id: id,
            name: name,
            hypothesis: body.hypothesis ?? "",
            metric: metric.rawValue,
            status: "running",
            seed: seed,
            startDay: start,
            minDays: minDays,
            body: Data(),
            createdBy: p.subject,
            createdAt: now,
            arms: design.assignment.mapValues(\.rawValue)
        )
        try app.store.insertExperiment(
            stored,
            check: { db in
                let busy = try Store.runningExperiments(db, devices: ids)
                if !busy.isEmpty {
                    throw APIError.unprocessable(
                        "device_in_experiment",
                        "\(busy[0].device) is already in running experiment \(busy[0].experiment)",
                        details: ["devices": busy.map { ["device_id": $0.device, "experiment_id": $0.experiment] }]
                    )
                }
            },
            then: { db in
                // The treatment goes live on the treatment devices through the publish path: a new version each,
                // in the planogram history like any publish.
                for t in treatments {
                    var version: Int?
                    if design.assignment[t.deviceID] == .treatment {
                        let saved = try PlanogramRepository.insertPublished(
                            db,
                            t.planogram,
                            by: "experiment:\(id)",
                            at: now
                        )
                        version = saved.version
                        versions.append((CabinetKey(t.deviceID, t.cabinet), saved))
                    }
                    published.append(
                        ExperimentTreatmentCabinet(
                            deviceID: t.deviceID,
                            cabinetIndex: t.cabinet,
                            publishedVersion: version
                        )
                    )
                }
                let json = try APIJSON.encode(
                    ExperimentBody(
                        strata: design.strata,
                        pre: pre,
                        preDays: ExperimentService.preDays,
                        treatment: published
                    )
                )
                try db.run(
                    "UPDATE ai_experiments SET body = ? WHERE experiment_id = ?",
                    [.text(String(decoding: json, as: UTF8.self)), .text(id)]
                )
            }
        )
        app.published.invalidate()
        for (key, plan) in versions { onPublished(key, plan, "experiment:\(id)") }
        app.logger.info(
            "experiment created",
            metadata: ["experiment": "\(id)", "devices": "\(ids.count)", "by": "\(p.subject)", "seed": "\(seed)"]
        )
        return ExperimentCreatedResponse(
            experimentID: id,
            assignment: design.assignment.mapValues(\.rawValue),
            seed: String(seed),
            strata: design.strata,
            published: published
        )
    }
}

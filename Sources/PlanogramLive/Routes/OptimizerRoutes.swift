import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import Insights
import Jobs
import PlanogramDomain
import Sessions

/// docs/MODELS.md: `POST /api/planograms/optimize` (a job: the optimizer on a cabinet's published planogram),
/// `POST /api/sessions/{sid}/propose` (a job on the session's draft whose answer reaches every subscriber
/// as a `proposal` event) and `POST /api/sessions/{sid}/proposals/{id}/apply` (the proposal's changes as
/// ordinary ops).
struct OptimizerRoutes {
    let app: AppContext
    let insights: InsightsEngine
    let runner: JobRunner
    let registry: SessionRegistry
    let venues: VenueDemandCache
    static let roles: Set<Role> = [.merchandiser, .manager, .admin]

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        let runner = self.runner
        let registry = self.registry
        let venues = self.venues
        router.post("/api/planograms/optimize", name: "optimize", admit: app.auth.admit(Self.roles)) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.roles)
                let body = try JSONRequest.decode(OptimizeRequest.self, req)
                let device = body.deviceID
                let index = body.cabinetIndex ?? 0
                let (_, cabinet) = try app.cabinet(deviceID: device, index: index, p)
                let snap = try insights.snapshotOrUnavailable()
                let options = try LayoutProposal.options(body.options, cabinet: cabinet, products: snap.products)
                guard let current = try app.published.current(CabinetKey(device, index)) else {
                    throw APIError.notFound("device \(device) cabinet \(index) has no planogram")
                }
                try LayoutProposal.checkLocked(options, current: current)
                guard
                    let id = runner.submit(
                        kind: "optimize",
                        by: p,
                        devices: [device],
                        { ctx in
                            ctx.progress(
                                0.05,
                                "solving \(cabinet.rows * cabinet.columns) slots (\(Int(options.timeLimit)) s at most)"
                            )
                            let outcome = try LayoutProposal.solve(
                                current: current,
                                cabinet: cabinet,
                                models: snap,
                                venues: venues.demand(snap),
                                options: options
                            )
                            return try JSONValue(encoding: LayoutProposal.body(outcome))
                        }
                    )
                else {
                    throw APIError.jobQueueFull
                }
                return (202, JobAcceptedResponse(jobID: id, eventsURL: "/api/jobs/\(id)/events"))
            }
        }
        router.post(
            "/api/planograms/optimize/batch",
            name: "optimize_batch",
            admit: app.auth.admit([.manager, .admin])
        ) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, [.manager, .admin])
                let body =
                    req.body.isEmpty ? OptimizeBatchRequest() : try JSONRequest.decode(OptimizeBatchRequest.self, req)
                let cat = app.catalog.current
                var ids = cat.devices.keys.filter { p.mayTouch(device: $0) }.sorted()
                if let l = body.deviceIDs {
                    guard !l.isEmpty else {
                        throw APIError.badRequest("device_ids must be a non-empty array")
                    }
                    if let unknown = l.first(where: { cat.devices[$0] == nil }) {
                        throw APIError.unprocessable("unknown_device", "no device \(unknown)")
                    }
                    for d in l { try app.auth.requireDevice(p, d) }
                    ids = l.sorted()
                } else if let text = body.venueType {
                    guard let venue = VenueType(rawValue: text) else {
                        throw APIError.unprocessable("unknown_venue_type", "no venue type \(text)")
                    }
                    ids = ids.filter { cat.devices[$0]?.venueType == venue }
                }
                guard !ids.isEmpty else { throw APIError.unprocessable("no_devices", "no device to optimize") }
                var limit = 10.0
                if let t = body.timeLimitSeconds {
                    guard t >= 1, t <= 120 else {
                        throw APIError.badRequest("time_limit_seconds must be 1…120")
                    }
                    limit = t
                }
                let snap = try insights.snapshotOrUnavailable()
                let timeLimit = limit
                let devices = ids
                guard
                    let id = runner.submit(
                        kind: "optimize_batch",
                        by: p,
                        devices: Set(devices),
                        { ctx in
                            try OptimizeBatch.run(
                                app: app,
                                snap: snap,
                                venues: venues.demand(snap),
                                deviceIDs: devices,
                                timeLimit: timeLimit,
                                cancelled: { ctx.isCancelled },
                                progress: { ctx.progress(0.02 + 0.96 * $0, $1) }
                            )
                        }
                    )
                else {
                    throw APIError.jobQueueFull
                }
                return (202, JobAcceptedResponse(jobID: id, eventsURL: "/api/jobs/\(id)/events"))
            }
        }
        router.post(
            "/api/sessions/{sid}/propose",
            name: "session_propose",
            registry.onDemand(app) { req, r in
                let parsed: (LiveSession, Principal, LayoutProposal.Options, InsightsEngine.Snapshot)
                do {
                    let (s, p) = try SessionRoutes.editor(app, registry, req)
                    let snap = try insights.snapshotOrUnavailable()
                    let body =
                        req.body.isEmpty
                        ? LayoutOptionsRequest() : try JSONRequest.decode(LayoutOptionsRequest.self, req)
                    parsed = (s, p, try LayoutProposal.options(body, cabinet: s.cabinet, products: snap.products), snap)
                } catch let e as APIError {
                    r.send(e)
                    return
                } catch {
                    r.send(APIError(500, "internal", "internal error"))
                    return
                }
                let (s, p, options, snap) = parsed
                // The draft as it is now, read on the session queue; the job solves off it.
                s.queue.async {
                    let draft = s.state.draft
                    var draftPlan = draft.planogram
                    draftPlan.deviceID = s.cabinet.deviceID
                    draftPlan.cabinetIndex = s.cabinet.index
                    let current = draftPlan
                    do throws(APIError) { try LayoutProposal.checkLocked(options, current: current) } catch {
                        r.send(error)
                        return
                    }
                    let proposalID =
                        "prop_" + (0..<10).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
                    guard
                        let job = runner.submit(
                            kind: "propose",
                            by: p,
                            devices: [s.cabinet.deviceID],
                            { ctx in
                                ctx.progress(0.05, "solving the draft of \(s.id)")
                                let outcome = try LayoutProposal.solve(
                                    current: current,
                                    cabinet: s.cabinet,
                                    models: snap,
                                    venues: venues.demand(snap),
                                    options: options
                                )
                                let body = LayoutProposal.body(outcome, proposalID: proposalID)
                                let value = try JSONValue(encoding: body)
                                let changes = outcome.changes
                                s.queue.async {
                                    s.addProposal(
                                        SessionProposal(
                                            id: proposalID,
                                            baseVersion: draft.version,
                                            changes: changes,
                                            by: p.subject
                                        ),
                                        body: body,
                                        by: p
                                    )
                                }
                                return value
                            }
                        )
                    else {
                        r.send(
                            APIError.jobQueueFull
                        )
                        return
                    }
                    r.send(
                        202,
                        body: ProposeAcceptedResponse(
                            jobID: job,
                            proposalID: proposalID,
                            eventsURL: "/api/jobs/\(job)/events"
                        )
                    )
                }
            }
        )
        router.post(
            "/api/sessions/{sid}/proposals/{id}/apply",
            name: "session_proposal_apply",
            registry.onDemand(app) { req, r in
                let s: LiveSession
                let p: Principal
                do {
                    (s, p) = try SessionRoutes.editor(app, registry, req)
                    try app.limit(.ops, p)
                } catch let e as APIError {
                    r.send(e)
                    return
                } catch {
                    r.send(APIError(500, "internal", "internal error"))
                    return
                }
                let id = req.parameter("id") ?? ""
                s.queue.async {
                    s.applyProposal(id, user: p) { result in
                        switch result {
                        case .success(let body): r.send(200, body: body)
                        case .failure(let e): r.send(e)
                        }
                    }
                }
            }
        )
    }
}

/// `POST /api/sessions/{sid}/propose`: the job that solves, and the proposal it will announce.
struct ProposeAcceptedResponse: Encodable {
    let jobID: String
    let proposalID: String
    let eventsURL: String

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case proposalID = "proposal_id"
        case eventsURL = "events_url"
    }
}

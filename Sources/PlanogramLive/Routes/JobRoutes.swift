import EventLoopHTTP
import Forecasting
import Foundation
import HTTPAPI
import Insights
import Jobs
import PlanogramDomain
import Sessions
import Store

/// docs/API.md: `GET /api/jobs/{id}`, `GET /api/jobs/{id}/events`, `DELETE /api/jobs/{id}`, and the first long
/// work that runs as a job: `POST /api/fleet/plan` (every device's forecast, the service plan and the pick
/// lists for the whole fleet, with progress per device).
struct JobRoutes {
    let app: AppContext
    let insights: InsightsEngine
    let runner: JobRunner
    static let planners: Set<Role> = [.manager, .admin]
    /// The roles that start jobs; each may cancel the jobs `JobAccess` lets it see.
    static let cancellers: Set<Role> = [.merchandiser, .manager, .admin]

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        let runner = self.runner
        router.post("/api/fleet/plan", name: "fleet_plan", admit: app.auth.admit(Self.planners)) { req, r in
            app.handle(r) {
                let p = try app.auth.require(req, Self.planners)
                let body = req.body.isEmpty ? FleetPlanRequest() : try JSONRequest.decode(FleetPlanRequest.self, req)
                let days = body.days ?? 7
                guard (1...28).contains(days) else {
                    throw APIError.badRequest("days must be a whole number from 1 to 28")
                }
                _ = try insights.snapshotOrUnavailable()
                let fleet = app.catalog.current.devices.keys.filter { p.mayTouch(device: $0) }.count
                let budget = try APIQuery.budget(
                    perDay: body.visitsPerDay.map(String.init),
                    perWeek: body.visitsPerWeek.map(String.init),
                    devices: fleet
                )
                let horizon = days
                guard
                    let id = runner.submit(
                        kind: "fleet_plan",
                        by: p,
                        devices: p.devices,
                        { ctx in
                            try Self.fleetPlan(
                                app: app,
                                insights: insights,
                                principal: p,
                                days: horizon,
                                budget: budget,
                                ctx
                            )
                        }
                    )
                else {
                    throw APIError.jobQueueFull
                }
                return (202, JobAcceptedResponse(jobID: id, eventsURL: "/api/jobs/\(id)/events"))
            }
        }
        router.get("/api/jobs/{id}", name: "job") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = req.parameter("id") ?? ""
                _ = try JobAccess.check(runner, id, p)
                guard let o = try runner.describe(id) else { throw APIError.notFound("no job \(id)") }
                return (200, o)
            }
        }
        router.get("/api/jobs/{id}/events", name: "job_events") { req, r in
            let p: Principal
            do { p = try app.auth.require(req, .anyRole) } catch let e as APIError {
                r.send(e)
                return
            } catch {
                r.send(APIError(500, "internal", "internal error"))
                return
            }
            let id = req.parameter("id") ?? ""
            // The job's owner and devices are checked (off the loop: an older job is read from the store)
            // before the stream opens.
            // An unknown job still gets a stream that ends with `failed` (not_found), as before.
            app.handleStream(
                r,
                authorize: {
                    if let owner = try runner.owner(id), !JobAccess.allows(p, owner) {
                        _ = try JobAccess.check(runner, id, p)
                    }
                }
            ) { stream in
                if !runner.subscribe(id, stream) {
                    // Not of this run: its end is in the store — or, on a cluster, another node runs it.
                    var o = (try? runner.describe(id)) ?? nil
                    if let relay = runner.relay, let now = o, ["queued", "running"].contains(now.state) {
                        relay.watch(
                            id,
                            stream,
                            first: EventFrame.encode(
                                "progress",
                                JobEvent.Progress(jobID: id, progress: now.progress, message: now.message)
                            )
                        )
                        // It may have ended between the read and the watch: read again.
                        o = (try? runner.describe(id)) ?? nil
                        guard let ended = o, !["queued", "running"].contains(ended.state) else { return }
                        relay.frame(
                            id,
                            JobRunner.terminalFrame(
                                id,
                                state: JobRunner.State(rawValue: ended.state) ?? .failed,
                                result: ended.result,
                                error: ended.error
                            ),
                            terminal: true
                        )
                        return
                    }
                    let frame =
                        o.map {
                            JobRunner.terminalFrame(
                                id,
                                state: JobRunner.State(rawValue: $0.state) ?? .failed,
                                result: $0.result,
                                error: $0.error
                            )
                        }
                        ?? EventFrame.encode(
                            "failed",
                            JobEvent.Failed(jobID: id, error: .init(code: "not_found", message: "no job \(id)"))
                        )
                    stream.close(final: frame)
                }
            }
        }
        router.delete("/api/jobs/{id}", name: "job_cancel") { req, r in
            app.handleBlocking(r) {  // may read the store (another node's job)
                let p = try app.auth.require(req, Self.cancellers)
                let id = req.parameter("id") ?? ""
                _ = try JobAccess.check(runner, id, p)
                if runner.cancel(id) { return (202, JobCancellingResponse(jobID: id, cancelling: true)) }
                // Another node's job (cluster): pass the cancel on if the store says it runs.
                if let cluster = runner.cluster, let o = try runner.describe(id),
                    ["queued", "running"].contains(o.state)
                {
                    cluster.announcer.cancelJob(id)
                    return (202, JobCancellingResponse(jobID: id, cancelling: true))
                }
                throw APIError.notFound("no running job \(id)")
            }
        }
    }

    /// The fleet plan as a job: forecasts device by device (progress), then the plan and pick lists.
    static func fleetPlan(
        app: AppContext,
        insights: InsightsEngine,
        principal p: Principal,
        days: Int,
        budget: VisitBudget? = nil,
        _ ctx: JobContext
    ) throws -> FleetPlanResult {
        guard let snap = insights.current else { throw JobFailure(message: "the models are not fitted yet") }
        let cat = app.catalog.current
        let ids = cat.devices.keys.filter { p.mayTouch(device: $0) }.sorted()
        let now = try app.asOf()
        ctx.progress(0.02, "reading the stock of \(ids.count) devices")
        let stock = try FleetStock.load(store: app.store, catalog: cat, deviceIDs: ids, now: now)
        var atRisk = 0
        var expiring = 0
        var revenue = 0.0
        for (n, id) in ids.enumerated() {
            if ctx.isCancelled { throw JobFailure(message: "cancelled") }
            let outlook = try DeviceOutlook.outlook(
                app: app,
                snap: snap,
                deviceID: id,
                stock: stock[id],
                now: now,
                days: days
            ).slots
            atRisk += outlook.filter { ($0.stockoutProbability ?? 0) >= 0.5 }.count
            expiring += outlook.reduce(0) { $0 + $1.expiringUnits }
            revenue += outlook.reduce(0.0) { $0 + $1.expectedUnits * (cat.products[$1.productID]?.price ?? 0) }
            ctx.progress(
                0.05 + 0.75 * Double(n + 1) / Double(max(ids.count, 1)),
                "forecast \(n + 1)/\(ids.count): \(id)"
            )
        }
        if ctx.isCancelled { throw JobFailure(message: "cancelled") }
        ctx.progress(0.85, "planning visits")
        let (plan, visitCost, budgetBody) = try ServicePlanBuilder.plan(
            app: app,
            snap: snap,
            principal: p,
            now: now,
            fromDay: app.clock.day(of: now),
            days: days,
            within: budget,
            stock: stock
        )
        ctx.progress(0.99, "pick lists")
        let byDay = Dictionary(grouping: plan, by: \.day)
        return FleetPlanResult(
            asOf: FieldParse.iso8601(now),
            days: days,
            devices: ids.count,
            slotsAtRisk: atRisk,
            expiringUnits: expiring,
            expectedRevenue: Rounding.round2(revenue),
            visits: plan.count,
            visitCost: visitCost,
            budget: budgetBody,
            byDay: byDay.keys.sorted().map { d in
                let visits = byDay[d]!
                let totals = PickTotals.byProduct(visits) { cat.products[$0]?.caseSize ?? 1 }
                return FleetPlanDay(
                    date: FleetClock.dateText(d),
                    visits: visits.count,
                    unitsToLoad: visits.reduce(0) { $0 + $1.picks.reduce(0) { $0 + $1.load } },
                    cases: totals.reduce(0) { $0 + $1.cases }
                )
            }
        )
    }
}

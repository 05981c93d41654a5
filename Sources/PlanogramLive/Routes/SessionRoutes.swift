import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import PlanogramDomain
import Sessions

/// The live-session routes of docs/API.md/§6. Roles: merchandisers and admins edit; managers watch and
/// publish; drivers cannot open sessions; the token's `devices` claim applies to every session.
///
/// Nothing here waits on the loop: work on a session is a message to its queue (`queue.async`), and the
/// reply hops back to the connection's loop through the `Responder`.
struct SessionRoutes {
    let app: AppContext
    let registry: SessionRegistry
    static let viewers: Set<Role> = [.merchandiser, .manager, .admin]
    static let editors: Set<Role> = [.merchandiser, .admin]
    /// Longest product id a drag may carry (ids of the catalogue are far shorter).
    static let maxProductIDBytes = 128

    /// The session of `{sid}` for a principal with one of `roles` who may touch its device.
    static func session(
        _ app: AppContext,
        _ registry: SessionRegistry,
        _ req: HTTPRequest,
        _ roles: Set<Role>
    ) throws(APIError) -> (LiveSession, Principal) {
        let p = try app.auth.require(req, roles)
        let sid = req.parameter("sid") ?? ""
        guard let s = registry.session(sid) else { throw .notFound("no live session \(sid)") }
        try app.auth.requireDevice(p, s.cabinet.deviceID)
        return (s, p)
    }

    /// As `session`, for those who edit.
    static func editor(
        _ app: AppContext,
        _ registry: SessionRegistry,
        _ req: HTTPRequest
    ) throws(APIError) -> (LiveSession, Principal) {
        let (s, p) = try session(app, registry, req, viewers)
        guard editors.contains(p.role) else {
            throw APIError.forbidden("role \(p.role.rawValue) watches sessions read-only")
        }
        return (s, p)
    }

    /// The answer to every drag, encoded once (a drag arrives up to thirty times a second per editor).
    static let dragAccepted: [UInt8] = (try? APIJSON.encode(DragAcceptedReply())) ?? Array(#"{"accepted":true}"#.utf8)

    func install(_ router: inout Router) {
        let app = self.app
        let registry = self.registry
        @Sendable func session(_ req: HTTPRequest, _ roles: Set<Role>) throws(APIError) -> (LiveSession, Principal) {
            try Self.session(app, registry, req, roles)
        }
        @Sendable func editor(_ req: HTTPRequest) throws(APIError) -> (LiveSession, Principal) {
            try Self.editor(app, registry, req)
        }
        /// Runs a throwing route prelude, answering its error.
        @Sendable func attempt<T>(_ r: Responder, _ body: () throws(APIError) -> T) -> T? {
            do { return try body() } catch {
                r.send(error)
                return nil
            }
        }
        router.post("/api/sessions", name: "sessions_open", admit: app.auth.admit(Self.viewers)) { req, r in
            guard
                let cab = attempt(
                    r,
                    { () throws(APIError) -> Cabinet in
                        let p = try app.auth.require(req, Self.viewers)
                        let body = try JSONRequest.decode(CabinetRequest.self, req)
                        let cab = try app.cabinet(deviceID: body.deviceID, index: body.cabinetIndex, p).1
                        // In front of a cluster, nginx routes the open call by `?device_id=&cabinet_index=` (Ops/nginx-cluster.conf):
                        // when given they must name the body's cabinet, or the session would open on the wrong node.
                        if let d = req.queryValue("device_id"), d != cab.deviceID {
                            throw APIError.badRequest(
                                "query device_id \(d) differs from the body's device_id \(cab.deviceID)"
                            )
                        }
                        if let i = req.queryValue("cabinet_index"), Int(i) != cab.index {
                            throw APIError.badRequest(
                                "query cabinet_index \(i) differs from the body's cabinet_index \(cab.index)"
                            )
                        }
                        return cab
                    }
                )
            else { return }
            // The published planogram may have to be read from the store: off the loop.
            DispatchQueue.global(qos: .userInitiated).async {
                registry.open(cab) { result in
                    switch result {
                    case .failure(let e): r.send(e)
                    case .success(let (s, created)):
                        r.send(
                            created ? 201 : 200,
                            body: SessionOpenedReply(
                                summary: s.summaryBody(),
                                created: created,
                                eventsURL: "/api/sessions/\(s.id)/events"
                            )
                        )
                    }
                }
            }
        }
        router.get("/api/sessions", name: "sessions_list") { req, r in
            app.handle(r) {
                let p = try app.auth.require(req, Self.viewers)
                let list = registry.summaries().filter { p.mayTouch(device: $0.device) }
                return (200, SessionsResponse(sessions: list.map(\.summary)))
            }
        }
        let feed = DashboardFeed(registry: registry, loops: registry.env.loops)
        router.get("/api/sessions/events", name: "sessions_events") { req, r in
            guard let p = attempt(r, { () throws(APIError) in try app.auth.require(req, Self.viewers) }) else { return }
            let stream = r.startEventStream()
            feed.subscribe(stream, principal: p)
        }
        router.get(
            "/api/sessions/{sid}",
            name: "session",
            registry.onDemand(app) { req, r in
                guard let (s, _) = attempt(r, { () throws(APIError) in try session(req, Self.viewers) }) else { return }
                s.queue.async {
                    s.withDerivedState { r.send(200, body: s.snapshot()) }
                }
            }
        )
        router.get(
            "/api/sessions/{sid}/events",
            name: "session_events",
            registry.onDemand(app) { req, r in
                guard let (s, p) = attempt(r, { () throws(APIError) in try session(req, Self.viewers) }) else { return }
                let stream = r.startEventStream()
                let last = req.lastEventID
                s.queue.async { s.subscribe(stream, user: p, lastEventID: last) }
            }
        )
        router.post(
            "/api/sessions/{sid}/ops",
            name: "session_ops",
            registry.onDemand(app) { req, r in
                let received = DispatchTime.now().uptimeNanoseconds
                guard
                    let (s, p, op, client, base) = attempt(
                        r,
                        { () throws(APIError) -> (LiveSession, Principal, SessionOp, String, Int) in
                            let (s, p) = try editor(req)
                            try app.limit(.ops, p)
                            let body = try JSONRequest.decode(OpRequest.self, req)
                            let c = body.clientOpID
                            guard !c.isEmpty, c.utf8.count <= 128, !c.unicodeScalars.contains(where: \.isControl) else {
                                throw APIError.badRequest(
                                    "client_op_id is required (a string of at most 128 bytes, no control characters)"
                                )
                            }
                            return (s, p, try SessionOp.parse(body.op, cabinet: s.cabinet), c, body.baseVersion)
                        }
                    )
                else { return }
                s.queue.async {
                    s.submit(user: p, clientOpID: client, baseVersion: base, op: op, received: received) { result in
                        switch result {
                        case .success(let (seq, version)):
                            r.send(200, body: OpAcceptedReply(seq: seq, version: version))
                        case .failure(let e): r.send(e)
                        }
                    }
                }
            }
        )
        router.post(
            "/api/sessions/{sid}/drag",
            name: "session_drag",
            registry.onDemand(app) { req, r in
                guard
                    let (s, p, pid, slot, mark) = attempt(
                        r,
                        { () throws(APIError) -> (LiveSession, Principal, String, SlotCode?, String?) in
                            let (s, p) = try editor(req)
                            try app.limit(.drags, p)
                            let body = try JSONRequest.decode(DragRequest.self, req)
                            guard let pid = body.productID, !pid.isEmpty else {
                                throw APIError.badRequest("product_id is required")
                            }
                            guard pid.utf8.count <= Self.maxProductIDBytes else {
                                throw APIError.badRequest("product_id is longer than \(Self.maxProductIDBytes) bytes")
                            }
                            guard app.catalog.current.products[pid] != nil else {
                                throw APIError.unprocessable("unknown_product", "unknown product \(pid)")
                            }
                            var slot: SlotCode?
                            if let text = body.slot {
                                do { slot = try s.cabinet.slot(text) } catch {
                                    throw APIError.unprocessable("slot_outside_cabinet", "\(error)")
                                }
                            }
                            // An optional client mark echoed in the drag event (clients measure their own latency).
                            return (s, p, pid, slot, body.clientTS)
                        }
                    )
                else { return }
                s.drag(user: p, productID: pid, slot: slot, clientMark: mark)
                r.send(.json(202, Self.dragAccepted))
            }
        )
        router.post(
            "/api/sessions/{sid}/explain",
            name: "session_explain",
            registry.onDemand(app) { req, r in
                guard
                    let (s, slot) = attempt(
                        r,
                        { () throws(APIError) -> (LiveSession, SlotCode?) in
                            let (s, p) = try session(req, Self.viewers)
                            try app.limit(.explain, p)
                            let body =
                                req.body.isEmpty
                                ? ExplainRequest(slot: nil) : try JSONRequest.decode(ExplainRequest.self, req)
                            if let text = body.slot {
                                do { return (s, try s.cabinet.slot(text)) } catch {
                                    throw APIError.unprocessable("slot_outside_cabinet", "\(error)")
                                }
                            }
                            return (s, nil)
                        }
                    )
                else { return }
                let requestID = LiveSession.newRequestID()
                s.queue.async {
                    switch s.explain(slot: slot, requestID: requestID, reason: "requested") {
                    case .success:
                        r.send(202, body: ExplainAcceptedReply(requestID: requestID, slot: slot?.description))
                    case .failure(let e): r.send(e)
                    }
                }
            }
        )
        router.post(
            "/api/sessions/{sid}/publish",
            name: "session_publish",
            registry.onDemand(app) { req, r in
                guard let (s, p) = attempt(r, { () throws(APIError) in try session(req, Self.viewers) }) else { return }
                s.queue.async {
                    s.publish(by: p) { result in
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

extension SessionRegistry {
    /// Wraps a route of `/api/sessions/{sid}/…`: on a cluster's node, a session this node does not hold is
    /// loaded from the store first (off the loop), then the route runs on the connection's loop as usual.
    /// Only an authenticated request can cause a load.
    func onDemand(_ app: AppContext, _ handler: @escaping HTTPHandler) -> HTTPHandler {
        { [self] req, r in
            let sid = req.parameter("sid") ?? ""
            guard loadsOnDemand, session(sid) == nil, (try? app.auth.require(req, SessionRoutes.viewers)) != nil else {
                handler(req, r)
                return
            }
            load(sid) { [self] result in
                if case .failure(let error) = result {
                    env.logger.error("session load failed", metadata: ["session": "\(sid)", "error": "\(error)"])
                    r.send(
                        APIError(
                            503,
                            "store_unavailable",
                            "the session could not be loaded from the store; retry",
                            details: ["retry_after_seconds": 1]
                        )
                    )
                    return
                }
                r.loop.run { handler(req, r) }
            }
        }
    }
}

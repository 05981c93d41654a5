import Dispatch
import EventLoopHTTP
import Foundation
import PlanogramDomain

/// The live-session routes of SPEC §5/§6. Roles: merchandisers and admins edit; managers watch and
/// publish; drivers cannot open sessions; the token's `devices` claim applies to every session.
struct SessionRoutes {
    let app: AppContext
    let registry: SessionRegistry
    static let viewers: Set<Role> = [.merchandiser, .manager, .admin]
    static let editors: Set<Role> = [.merchandiser, .admin]

    func install(_ router: inout Router) {
        let app = self.app, registry = self.registry
        @Sendable func session(_ req: HTTPRequest, _ roles: Set<Role>) throws(APIError) -> (LiveSession, Principal) {
            let p = try app.auth.require(req, roles)
            let sid = req.parameter("sid") ?? ""
            guard let s = registry.session(sid) else { throw .notFound("no live session \(sid)") }
            try app.auth.requireDevice(p, s.cabinet.deviceID)
            return (s, p)
        }
        router.post("/api/sessions", name: "sessions_open") { req, r in
            let cab: Cabinet
            do {
                let p = try app.auth.require(req, Self.viewers)
                let body = try JSONReply.object(req)
                (_, cab) = try InsightRoutes.cabinet(app, body, p)
            } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            DispatchQueue.global().async {
                app.handle(r) {
                    let (s, created) = try registry.open(cab)
                    let summary = s.queue.sync { s.summaryJSON() }
                    var out = summary
                    out["created"] = created
                    out["events_url"] = "/api/sessions/\(s.id)/events"
                    return (created ? 201 : 200, out)
                }
            }
        }
        router.get("/api/sessions", name: "sessions_list") { req, r in
            app.handle(r) {
                let p = try app.auth.require(req, Self.viewers)
                let list = registry.all.filter { p.mayTouch(device: $0.cabinet.deviceID) }.sorted { $0.id < $1.id }
                return (200, ["sessions": list.map { s in s.queue.sync { s.summaryJSON() } }])
            }
        }
        let feed = DashboardFeed(registry: registry, serverBox: registry.env.serverBox)
        router.get("/api/sessions/events", name: "sessions_events") { req, r in
            let p: Principal
            do { p = try app.auth.require(req, Self.viewers) } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            let stream = r.startEventStream()
            feed.subscribe(stream, principal: p)
        }
        router.get("/api/sessions/{sid}", name: "session") { req, r in
            app.handle(r) {
                let (s, _) = try session(req, Self.viewers)
                return (200, s.queue.sync { s.snapshotJSON() })
            }
        }
        router.get("/api/sessions/{sid}/events", name: "session_events") { req, r in
            let s: LiveSession, p: Principal
            do { (s, p) = try session(req, Self.viewers) } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            let stream = r.startEventStream()
            let last = req.lastEventID
            s.queue.async {
                s.subscribe(stream, user: p, lastEventID: last) { after, upTo in registry.oplog(s.id, after: after, upTo: upTo) }
            }
        }
        router.post("/api/sessions/{sid}/ops", name: "session_ops") { req, r in
            let received = DispatchTime.now().uptimeNanoseconds
            let s: LiveSession, p: Principal, op: SessionOp, client: String, base: Int
            do {
                (s, p) = try session(req, Self.viewers)
                guard Self.editors.contains(p.role) else { throw APIError.forbidden("role \(p.role.rawValue) watches sessions read-only") }
                let body = try JSONReply.object(req)
                guard let c = body["client_op_id"] as? String, !c.isEmpty, c.utf8.count <= 128 else {
                    throw APIError.badRequest("client_op_id is required (a string of at most 128 bytes)")
                }
                guard let b = body["base_version"] as? Int else { throw APIError.badRequest("base_version is required (a whole number)") }
                guard let o = body["op"] as? [String: Any] else { throw APIError.badRequest("op is required (an object)") }
                op = try SessionOp.parse(o, cabinet: s.cabinet)
                client = c; base = b
            } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            s.queue.async {
                s.submit(user: p, clientOpID: client, baseVersion: base, op: op, received: received) { result in
                    switch result {
                    case .success(let (seq, version)): r.sendJSON(200, ["seq": seq, "version": version])
                    case .failure(let e): r.send(e)
                    }
                }
            }
        }
        router.post("/api/sessions/{sid}/drag", name: "session_drag") { req, r in
            do {
                let (s, p) = try session(req, Self.viewers)
                guard Self.editors.contains(p.role) else { throw APIError.forbidden("role \(p.role.rawValue) watches sessions read-only") }
                let body = try JSONReply.object(req)
                guard let pid = body["product_id"] as? String else { throw APIError.badRequest("product_id is required") }
                var slot: SlotCode?
                if let text = body["slot"] as? String {
                    do { slot = try s.cabinet.slot(text) } catch let e as PlacementError {
                        throw APIError.unprocessable("slot_outside_cabinet", e.description)
                    }
                } else if let v = body["slot"], !(v is NSNull) {
                    throw APIError.badRequest("slot must be a slot code or null")
                }
                let target = slot
                // An optional client mark echoed in the drag event (clients measure their own latency).
                let mark = (body["client_ts"] as? String).map { String($0.prefix(64)) }
                s.drag(user: p, productID: pid, slot: target, clientMark: mark)
                r.sendJSON(202, ["accepted": true])
            } catch let e as APIError { r.send(e) } catch { r.send(APIError(500, "internal", "\(error)")) }
        }
        router.post("/api/sessions/{sid}/explain", name: "session_explain") { req, r in
            let s: LiveSession, slot: SlotCode?
            do {
                (s, _) = try session(req, Self.viewers)
                let body = req.body.isEmpty ? [:] : try JSONReply.object(req)
                if let text = body["slot"] as? String {
                    do { slot = try s.cabinet.slot(text) } catch let e as PlacementError {
                        throw APIError.unprocessable("slot_outside_cabinet", e.description)
                    }
                } else if let v = body["slot"], !(v is NSNull) {
                    throw APIError.badRequest("slot must be a slot code, or null for the whole cabinet")
                } else {
                    slot = nil
                }
            } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            let requestID = LiveSession.newRequestID()
            s.queue.async {
                switch s.explain(slot: slot, requestID: requestID, reason: "requested") {
                case .success: r.sendJSON(202, ["request_id": requestID, "slot": slot?.description ?? NSNull()])
                case .failure(let e): r.send(e)
                }
            }
        }
        router.post("/api/sessions/{sid}/publish", name: "session_publish") { req, r in
            let s: LiveSession, p: Principal
            do { (s, p) = try session(req, Self.viewers) } catch let e as APIError { r.send(e); return } catch { r.send(APIError(500, "internal", "\(error)")); return }
            s.queue.async {
                s.publish(by: p) { result in
                    switch result {
                    case .success(let o): r.sendJSON(200, o)
                    case .failure(let e): r.send(e)
                    }
                }
            }
        }
    }
}

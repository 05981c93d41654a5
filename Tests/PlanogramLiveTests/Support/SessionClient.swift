import Foundation
import HTTPAPI
import HTTPTestClient
import XCTest

/// An SSE subscriber of a live session over a real socket.
final class SessionStream: @unchecked Sendable {
    let client: RawClient

    init(
        port: Int,
        sid: String,
        token: String,
        lastEventID: String? = nil,
        query: String = "",
        path: String? = nil
    ) throws {
        client = try RawClient(port: port, timeout: 10)
        var head =
            "GET \(path ?? "/api/sessions/\(sid)/events")\(query) HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(token)\r\n"
        if let lastEventID { head += "Last-Event-ID: \(lastEventID)\r\n" }
        client.send(head + "\r\n")
        let r = try client.readResponse(head: true)
        guard r.status == 200 else { throw RawClient.Failure(description: "stream status \(r.status)") }
    }

    func next() throws -> RawClient.Event { try client.readEvent() }

    /// Events until one named `name` arrives (inclusive).
    func until(_ name: String, limit: Int = 200) throws -> [RawClient.Event] {
        var out: [RawClient.Event] = []
        for _ in 0..<limit {
            let e = try next()
            out.append(e)
            if e.event == name { return out }
        }
        throw RawClient.Failure(description: "no \(name) event within \(limit) events")
    }

    func json(_ e: RawClient.Event) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(e.data.utf8))) as? [String: Any]) ?? [:]
    }
}

extension AppTestServer {
    /// Opens (or joins) the session of a cabinet; returns its id.
    func openSession(_ device: String = "VM-001", _ cabinet: Int = 0, token: String? = nil) throws -> String {
        let r = try request(
            "POST",
            "/api/sessions",
            token: token ?? self.token(.merchandiser),
            json: ["device_id": device, "cabinet_index": cabinet]
        )
        guard r.status == 200 || r.status == 201, let sid = r.json["session_id"] as? String else {
            throw RawClient.Failure(description: "open session: \(r.status) \(r.text)")
        }
        return sid
    }

    func op(_ sid: String, token: String, client: String, base: Int, _ op: [String: Any]) throws -> APIResponse {
        try request(
            "POST",
            "/api/sessions/\(sid)/ops",
            token: token,
            json: ["client_op_id": client, "base_version": base, "op": op]
        )
    }
}

/// One request on a fresh connection to a server on `port` (a child process or an in-process server).
func requestOnce(_ port: Int, _ method: String, _ path: String, token: String, json: Any? = nil) throws -> APIResponse {
    let c = try RawClient(port: port, timeout: 15)
    let body = json.map { Array(try! JSONSerialization.data(withJSONObject: $0)) } ?? []
    c.send(
        Array(
            "\(method) \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                .utf8
        ) + body
    )
    let r = try c.readResponse()
    return APIResponse(status: r.status, headers: r.headers, body: r.body)
}

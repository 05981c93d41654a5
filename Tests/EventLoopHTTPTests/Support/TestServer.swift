import Dispatch
import EventLoopHTTP
import Foundation
import HTTPTestClient

/// Starts an engine on an ephemeral loopback port with the routes the engine tests use.
final class TestServer: @unchecked Sendable {
    let server: HTTPServer
    let port: Int
    let broadcaster: Broadcaster
    private let lock = NSLock()
    private var _lastEventIDs: [String?] = []
    var lastEventIDs: [String?] {
        lock.lock()
        defer { lock.unlock() }
        return _lastEventIDs
    }

    init(
        configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        webRoot: String? = nil,
        extraRoutes: (inout Router) -> Void = { _ in }
    ) throws {
        var config = HTTPServerConfiguration()
        config.port = 0
        configure(&config)
        var router = Router()
        let box = BroadcasterBox()
        let idSink = IDSink()
        router.get("/hello") { _, r in r.send(.text(200, "hello")) }
        router.post("/echo") { req, r in
            var resp = HTTPResponse(status: 200, body: req.body)
            resp.headers.set("Content-Type", "application/octet-stream")
            r.send(resp)
        }
        router.get("/slow/{ms}") { req, r in
            let ms = Int(req.parameters["ms"]!) ?? 100
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) { r.send(.text(200, "slow \(ms)")) }
        }
        router.get("/items/{id}/parts/{part}") { req, r in
            let q = req.query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            r.send(.text(200, "id=\(req.parameters["id"]!) part=\(req.parameters["part"]!) q=\(q) path=\(req.path)"))
        }
        router.get("/files/{rest...}") { req, r in r.send(.text(200, "rest=\(req.parameters["rest"]!)")) }
        router.get("/events") { req, r in
            idSink.append(req.lastEventID)
            let stream = r.startEventStream()
            stream.send(SSEFrame(retry: 1500))
            stream.send(SSEFrame(id: "1", event: "hello", data: "line one\nline two"))
            box.broadcaster?.subscribe(stream)
        }
        extraRoutes(&router)
        if let webRoot, let files = StaticFiles(root: webRoot) { router.fallback = files.handler }
        server = HTTPServer(configuration: config, router: router)
        port = try server.start()
        broadcaster = Broadcaster(server: server)
        box.broadcaster = broadcaster
        idSink.owner = self
    }

    fileprivate func record(_ id: String?) {
        lock.lock()
        _lastEventIDs.append(id)
        lock.unlock()
    }

    func client(timeout: Double = 5, receiveBuffer: Int32? = nil) throws -> RawClient {
        try RawClient(port: port, timeout: timeout, receiveBuffer: receiveBuffer)
    }

    func stop() {
        let done = DispatchSemaphore(value: 0)
        server.finishShutdown { _ in done.signal() }
        done.wait()
    }
}

private final class BroadcasterBox: @unchecked Sendable { var broadcaster: Broadcaster? }
private final class IDSink: @unchecked Sendable {
    weak var owner: TestServer?
    func append(_ id: String?) { owner?.record(id) }
}

// Bench-only server: the bare engine with nchan's shape of publish/subscribe routes, so the shared
// ssebench harness can measure the engine's fan-out against nchan in the same run.
//
//   GET  /sub/{channel}        text/event-stream subscriber
//   POST /pub?id={channel}     body becomes one event's data, sent to every subscriber (201)
//
// Usage: sse-fanout-server [port] [loops]
import Dispatch
import EventLoopHTTP
import Foundation

final class Channels: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [String: (Broadcaster, Int)] = [:]
    let server: () -> HTTPServer
    init(server: @escaping () -> HTTPServer) { self.server = server }

    func broadcaster(_ id: String) -> Broadcaster {
        lock.lock()
        defer { lock.unlock() }
        if let c = channels[id] { return c.0 }
        let b = Broadcaster(server: server())
        channels[id] = (b, 0)
        return b
    }

    func nextSeq(_ id: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let seq = (channels[id]?.1 ?? 0) + 1
        if let b = channels[id]?.0 { channels[id] = (b, seq) }
        return seq
    }
}

let args = CommandLine.arguments
var config = HTTPServerConfiguration()
config.port = args.count > 1 ? Int(args[1]) ?? 18081 : 18081
config.loopCount = args.count > 2 ? Int(args[2]) ?? System.coreCount : System.coreCount
config.maxSubscriberBufferBytes = 4 << 20
config.idleTimeout = 300
nonisolated(unsafe) var serverRef: HTTPServer!
let channels = Channels { serverRef }
var router = Router()
router.get("/sub/{channel}") { req, responder in
    let stream = responder.startEventStream()
    channels.broadcaster(req.parameters["channel"]!).subscribe(stream)
}
router.post("/pub") { req, responder in
    guard let id = req.queryValue("id") else { return responder.sendError(400, "missing id") }
    let seq = channels.nextSeq(id)
    let frame = SSEFrame(id: String(seq), event: "message", data: String(decoding: req.body, as: UTF8.self))
    channels.broadcaster(id).publish(frame)
    responder.send(.text(201, "queued\n"))
}
router.get("/health") { _, r in r.send(.text(200, "ok\n")) }
serverRef = HTTPServer(configuration: config, router: router)
let port = try serverRef.start()
print("sse-fanout-server listening on \(port) with \(serverRef.loops.count) loops")
signal(SIGTERM, SIG_IGN)
let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .main)
term.setEventHandler { exit(0) }
term.resume()
dispatchMain()

import FleetGenerator
import Foundation
import HTTPAPI
import HTTPTestClient
import PlanogramLive
import StoreTestSupport
import XCTest

/// A small generated fleet shared by the tests of one process (3 devices, 8 weeks), written once.
enum TestFleet {
    static let directory: String = {
        let dir = NSTemporaryDirectory() + "planogram-test-fleet-\(getpid())"
        var model = FleetModel()
        model.seed = 7
        model.devices = 3
        model.days = 56
        model.changeEveryDays = 20...30
        _ = try! FleetGenerator(model: model).write(to: dir)
        return dir
    }()

    /// A new temporary directory holding only a metro fleet's recipe (`fleet.json`), which a server started
    /// on it generates and imports on its first start. The caller removes it.
    static func metroRecipe(seed: UInt64, devices: Int, days: Int) throws -> String {
        let dir = NSTemporaryDirectory() + "recipe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var model = FleetModel()
        model.seed = seed
        model.devices = devices
        model.days = days
        model.metro = "Berlin"
        try JSONEncoder().encode(model).write(to: URL(fileURLWithPath: dir + "/fleet.json"))
        return dir
    }

    static func file(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }
}

/// The real server on an ephemeral port with a temporary SQLite file (or, while `onPostgres` is set, a
/// new schema of the test PostgreSQL server), loaded from the test fleet.
final class AppTestServer: @unchecked Sendable {
    /// Set by the `Postgres…` subclasses of route tests for the duration of each test.
    nonisolated(unsafe) static var onPostgres = false

    /// Runs `body` with every server it makes on a new schema of the test PostgreSQL server.
    static func onPostgres(_ body: () -> Void) {
        onPostgres = true
        defer { onPostgres = false }
        body()
    }
    static let secret = "test-secret-0123456789"
    let server: PlanogramServer
    let port: Int
    let directory: String

    init(fixtures: String? = TestFleet.directory, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        directory = NSTemporaryDirectory() + "planogram-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var c = AppConfiguration()
        c.port = 0
        c.databasePath = directory + "/test.db"
        if Self.onPostgres { c.databaseURL = try TestPostgres.freshSchemaURL("app") }
        c.fixturesDirectory = fixtures ?? directory + "/none"
        c.webRoot = directory
        c.secret = Self.secret
        c.loops = 2
        c.aiSettleMilliseconds = 0  // tests of the settle debounce turn it on
        c.nightlyPlanAt = nil  // the nightly plan's own tests turn it on
        c.reasoning.replayDeltaPause = 0
        configure(&c)
        server = try PlanogramServer(configuration: c)
        port = try server.start()
    }

    /// Stopped servers are kept (never freed) so late callbacks of their loops cannot touch freed memory.
    nonisolated(unsafe) static var stopped: [PlanogramServer] = []
    static let stoppedLock = NSLock()

    func stop() {
        Self.stoppedLock.lock()
        Self.stopped.append(server)
        Self.stoppedLock.unlock()
        let done = DispatchSemaphore(value: 0)
        server.shutdown { _ in done.signal() }
        _ = done.wait(timeout: .now() + 10)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func token(_ role: Role, sub: String = "u1", devices: [String]? = nil, ttl: Int = 600) -> String {
        TokenAuthority(secret: Self.secret).mint(
            subject: sub,
            name: "User \(sub)",
            role: role,
            ttlSeconds: ttl,
            devices: devices
        )
    }

    /// One request on a fresh connection; the body is decoded as JSON when it is JSON.
    func request(
        _ method: String,
        _ path: String,
        token: String? = nil,
        json: Any? = nil,
        body: String? = nil,
        contentType: String? = nil
    ) throws -> APIResponse {
        let c = try RawClient(port: port, timeout: 20)
        var payload: [UInt8] = []
        var type = contentType
        if let json {
            payload = Array(try JSONSerialization.data(withJSONObject: json))
            type = type ?? "application/json"
        } else if let body {
            payload = Array(body.utf8)
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let type { head += "Content-Type: \(type)\r\n" }
        if method == "POST" || !payload.isEmpty { head += "Content-Length: \(payload.count)\r\n" }
        c.send(Array((head + "\r\n").utf8) + payload)
        let r = try c.readResponse()
        return APIResponse(status: r.status, headers: r.headers, body: r.body)
    }
}

struct APIResponse {
    let status: Int
    let headers: [(String, String)]
    let body: [UInt8]
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

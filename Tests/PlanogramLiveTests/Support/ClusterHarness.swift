import Foundation
import HTTPTestClient
import StoreTestSupport
import XCTest

/// Three `planogram-live serve` processes on one PostgreSQL schema and one Redis, behind nginx with
/// `Ops/nginx-cluster.conf` (ports filled in) — the deployment of docs/OPERATIONS.md on loopback.
final class ClusterHarness: @unchecked Sendable {
    let directory: String
    let databaseURL: String
    let redisURL: String
    private(set) var nodes: [ChildServer] = []
    let nodeIDs = ["n1", "n2", "n3"]
    private(set) var nginxPort = 0
    private var nginx: Process?

    init() throws {
        databaseURL = try TestPostgres.freshSchemaURL("cluster")
        guard let redis = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_REDIS_URL"], !redis.isEmpty else {
            if ProcessInfo.processInfo.environment["PLANOGRAM_REQUIRE_SERVICES"] == "1" {
                XCTFail("PLANOGRAM_TEST_REDIS_URL is not set although Ops/test requires the Redis server")
            }
            throw XCTSkip("no Redis server (run Ops/test, which starts one, or set PLANOGRAM_TEST_REDIS_URL)")
        }
        redisURL = redis
        directory = NSTemporaryDirectory() + "cluster-\(UUID().uuidString.prefix(8))"
        for sub in ["logs", "tmp"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
    }

    func environment(_ node: String) -> [String: String] {
        // A visit cost at which the test fleet's planned visits pay for their trip (see RouteRoutesTests).
        [
            "PLANOGRAM_DATABASE_URL": databaseURL, "PLANOGRAM_REDIS_URL": redisURL, "PLANOGRAM_NODE_ID": node,
            "PLANOGRAM_VISIT_COST": "60",
        ]
    }

    /// Starts the nodes one after another (the first imports the test fleet into the empty database and
    /// fits the models; the others find both), then nginx.
    func start() throws {
        for id in nodeIDs {
            nodes.append(try ChildServer.serve(db: directory + "/unused-\(id).db", environment: environment(id)))
        }
        try startNginx()
    }

    private func startNginx() throws {
        nginxPort = try Self.freePort()
        let conf = try String(contentsOfFile: Self.repositoryRoot + "/Ops/nginx-cluster.conf", encoding: .utf8)
            .replacingOccurrences(of: "@NODE1@", with: "127.0.0.1:\(nodes[0].port)")
            .replacingOccurrences(of: "@NODE2@", with: "127.0.0.1:\(nodes[1].port)")
            .replacingOccurrences(of: "@NODE3@", with: "127.0.0.1:\(nodes[2].port)")
            .replacingOccurrences(of: "@LISTEN@", with: "127.0.0.1:\(nginxPort)")
        // As root, nginx's workers would run as `nobody` and could not write the temporary files here.
        let user = getuid() == 0 ? "user root;\n" : ""
        try (user + conf).write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        p.arguments = ["-p", directory, "-c", directory + "/nginx.conf", "-g", "daemon off;"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        nginx = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? RawClient(port: nginxPort, timeout: 1)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw RawClient.Failure(
            description:
                "nginx did not listen: \((try? String(contentsOfFile: directory + "/logs/error.log", encoding: .utf8)) ?? "")"
        )
    }

    func node(_ id: String) -> ChildServer { nodes[nodeIDs.firstIndex(of: id)!] }

    /// Kills node `index` with SIGKILL and starts it again under the same node id (nginx keeps its port
    /// only in the conf: the tests that restart talk to the nodes directly).
    func restart(_ index: Int) throws {
        nodes[index].kill()
        nodes[index] = try ChildServer.serve(
            db: directory + "/unused-\(nodeIDs[index]).db",
            environment: environment(nodeIDs[index])
        )
    }

    func stop() {
        nginx?.terminate()
        nginx?.waitUntilExit()
        for n in nodes { n.kill() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url.deleteLastPathComponent()
        }
        return url.path
    }

    static func freePort() throws -> Int { try freeLoopbackPort() }
}

import Foundation
import HTTPTestClient

/// The real `planogram-live` executable as a child process, with its stderr drained on a background thread
/// (so a chatty server never blocks on a full pipe) and every wait bounded: a hung child fails the test
/// and is killed instead of hanging the whole run.
final class ChildServer: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var buffer = Data()
    private var eof = false
    private(set) var port = 0

    static var binary: String {
        let dir =
            Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent().path
            ?? ".build/debug"
        return dir + "/planogram-live"
    }

    /// Runs `planogram-live` with `arguments`; does not wait for anything. With `mergingOutput`, what it prints
    /// on stdout is read into `output` too (commands that print their report there).
    init(arguments: [String], environment: [String: String] = [:], mergingOutput: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = mergingOutput ? err : FileHandle.nullDevice
        try process.run()
        let handle = err.fileHandleForReading
        let reader = Thread { [self] in
            while true {
                let chunk = handle.availableData
                lock.lock()
                if chunk.isEmpty { eof = true } else { buffer.append(chunk) }
                lock.unlock()
                if chunk.isEmpty { return }
            }
        }
        reader.start()
    }

    /// Starts `planogram-live serve` on a free port and waits (bounded) for the "listening" log line.
    /// With `waitReady`, it then polls `/readyz` (bounded) until the models are loaded or fitted.
    static func serve(
        db: String,
        extra: [String] = [],
        environment: [String: String] = [:],
        waitReady: Bool = true
    ) throws -> ChildServer {
        let child = try ChildServer(
            arguments: [
                "serve", "--port", "0", "--db", db, "--fixtures", TestFleet.directory, "--web", NSTemporaryDirectory(),
            ] + extra,
            environment: [
                "PLANOGRAM_SECRET": AppTestServer.secret, "PLANOGRAM_SHUTDOWN_GRACE_SECONDS": "3",
                "PLANOGRAM_NIGHTLY_PLAN_AT": "off",
            ].merging(
                environment
            ) { $1 }
        )
        var found: Int?
        _ = child.waitForOutput(timeout: 60) { text in
            for line in text.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let port = Int(obj["port"] as? String ?? "")
                {
                    found = port
                    return true
                }
            }
            return false
        }
        guard let port = found else {
            child.kill()
            throw RawClient.Failure(description: "server did not report a port: \(child.output)")
        }
        child.port = port
        if waitReady {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let c = try? RawClient(port: port, timeout: 2) {
                    c.send("GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    if (try? c.readResponse())?.status == 200 { return child }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            child.kill()
            throw RawClient.Failure(description: "server never became ready: \(child.output)")
        }
        return child
    }

    /// Everything the child wrote to stderr so far.
    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Polls the output until `condition` holds, the child closes stderr, or `timeout` passes.
    @discardableResult
    func waitForOutput(timeout: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(output) { return true }
            lock.lock()
            let ended = eof
            lock.unlock()
            if ended { return condition(output) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits up to `timeout` seconds for the child to exit; SIGKILLs it and returns false if it does not.
    @discardableResult
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill()
            return false
        }
        process.waitUntilExit()
        return true
    }

    func signal(_ sig: Int32) { Foundation.kill(process.processIdentifier, sig) }

    /// SIGKILL and reap.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if the child has not exited within `timeout`.
    func stop(timeout: Double = 10) {
        guard process.isRunning else { return }
        signal(SIGTERM)
        waitForExit(timeout: timeout)
    }
}

import Foundation

/// What the solver returned, in the problem's own units.
public struct RouteSolution: Sendable {
    public let feasible: Bool
    /// Stop numbers (1…n) in visiting order, one list per vehicle used.
    public let routes: [[Int]]
    public let distance: Double
    public let seconds: Double
}

/// Why solving failed (the solver is missing, died, overran, or answered nonsense).
public struct RouteSolverError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Runs the route solver as a subprocess with JSON in and out (SPEC §12): by default PyVRP through
/// `Ops/solver/pyvrp_solve.py` in the project's Python environment (`.build-venv`, installed by `Ops/run`
/// and `Ops/test`). The child is killed if it overruns its time limit by `grace` seconds; a missing or
/// failing solver is an error with the reason, never a hang.
public struct RouteSolver: Sendable {
    public var command: [String]
    public var grace = 20.0

    public init(command: [String]) { self.command = command }

    /// The default command for a project checkout at `root`.
    public static func pyvrp(root: String) -> RouteSolver {
        RouteSolver(command: [root + "/.build-venv/bin/python", root + "/Ops/solver/pyvrp_solve.py"])
    }

    /// The solver to use: `PLANOGRAM_VRP_SOLVER` (a command line) when set; otherwise the project's PyVRP
    /// adapter, found from the working directory or from the executable's place in a checkout
    /// (`.build/<config>/planogram-live`).
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> RouteSolver {
        if let c = environment["PLANOGRAM_VRP_SOLVER"], !c.isEmpty { return RouteSolver(command: c.split(separator: " ").map(String.init)) }
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 { candidates.append(dir.path); dir = dir.deletingLastPathComponent() }
        let root = candidates.first { FileManager.default.fileExists(atPath: $0 + "/Ops/solver/pyvrp_solve.py") } ?? candidates[0]
        return pyvrp(root: root)
    }

    public func solve(_ problem: VRPTW, timeLimit: Double, seed: Int = 1) throws -> RouteSolution {
        guard let exe = command.first, FileManager.default.isExecutableFile(atPath: exe) else {
            throw RouteSolverError(description: "the route solver is not installed (\(command.first ?? "no command")); run Ops/run or Ops/test to install it")
        }
        let input = try JSONSerialization.data(withJSONObject: problem.solverInput(timeLimit: timeLimit, seed: seed))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = Array(command.dropFirst())
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let started = Date()
        do { try process.run() } catch { throw RouteSolverError(description: "the route solver could not start: \(error)") }
        // Read both pipes on their own threads: a child blocked writing would never exit.
        final class Sink: @unchecked Sendable { var out = Data(); var err = Data() }
        let sink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { sink.out = stdout.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { sink.err = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        // A solver that dies before reading its input must not take this process with it (SIGPIPE).
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        if group.wait(timeout: .now() + timeLimit + grace) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            throw RouteSolverError(description: "the route solver did not finish within \(Int(timeLimit + grace)) s and was stopped")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: sink.err.suffix(600), as: UTF8.self)
            throw RouteSolverError(description: "the route solver failed (exit \(process.terminationStatus)): \(tail)")
        }
        guard let o = try? JSONSerialization.jsonObject(with: sink.out) as? [String: Any], let raw = o["routes"] as? [[Int]] else {
            throw RouteSolverError(description: "the route solver answered something that is not a solution")
        }
        let routes = raw.filter { !$0.isEmpty }
        guard routes.allSatisfy({ $0.allSatisfy { (1...problem.stops.count).contains($0) } }) else {
            throw RouteSolverError(description: "the route solver named a stop that does not exist")
        }
        return RouteSolution(feasible: o["feasible"] as? Bool ?? false, routes: routes, distance: problem.distance(of: routes),
                             seconds: Date().timeIntervalSince(started))
    }
}

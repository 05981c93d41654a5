import Foundation

/// What the solver returned, in the problem's own units.
package struct RouteSolution: Sendable {
    package let feasible: Bool
    /// Stop numbers (1…n) in visiting order, one list per vehicle used.
    package let routes: [[Int]]
    package let distance: Double
    package let seconds: Double
}

/// A day's routes as the solver planned them: each used vehicle (index into the problem's vehicles) with
/// its visits (indices into the problem's visits) in order.
package struct RoutingSolution: @unchecked Sendable {
    package let feasible: Bool
    package let routes: [(vehicle: Int, visits: [Int])]
    package let seconds: Double
}

/// Why solving failed (the solver is missing, died, overran, answered nonsense, or was cancelled).
package struct RouteSolverError: Error, CustomStringConvertible, Sendable, Equatable {
    package let description: String
    package init(description: String) { self.description = description }
    package static let cancelled = RouteSolverError(description: "cancelled")
}

/// Runs the route solver as a subprocess with JSON in and out (docs/API.md): by default PyVRP through
/// `Ops/solver/pyvrp_solve.py` in the project's Python environment (`.build-venv`, installed by `Ops/run`
/// and `Ops/test`). The child is killed if it overruns its time limit by `grace` seconds; a missing or
/// failing solver is an error with the reason, never a hang.
package struct RouteSolver: Sendable {
    package var command: [String]
    package var grace = 20.0

    package init(command: [String]) { self.command = command }

    /// The default command for a project checkout at `root`.
    package static func pyvrp(root: String) -> RouteSolver {
        RouteSolver(command: [root + "/.build-venv/bin/python", root + "/Ops/solver/pyvrp_solve.py"])
    }

    /// The solver to use: `PLANOGRAM_VRP_SOLVER` (a command line) when set; otherwise the project's PyVRP
    /// adapter, found from the working directory or from the executable's place in a checkout
    /// (`.build/<config>/planogram-live`).
    package static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> RouteSolver {
        if let c = environment["PLANOGRAM_VRP_SOLVER"], !c.isEmpty {
            return RouteSolver(command: c.split(separator: " ").map(String.init))
        }
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        let root =
            candidates.first { FileManager.default.fileExists(atPath: $0 + "/Ops/solver/pyvrp_solve.py") }
            ?? candidates[0]
        return pyvrp(root: root)
    }

    package func solve(_ problem: VRPTW, timeLimit: Double, seed: Int = 1) throws -> RouteSolution {
        let started = Date()
        let o = try run(problem.solverInput(timeLimit: timeLimit, seed: seed), timeLimit: timeLimit)
        guard let raw = o.routes else {
            throw RouteSolverError(description: "the route solver answered something that is not a solution")
        }
        let routes = raw.filter { !$0.isEmpty }
        guard routes.allSatisfy({ $0.allSatisfy { (1...problem.stops.count).contains($0) } }) else {
            throw RouteSolverError(description: "the route solver named a stop that does not exist")
        }
        return RouteSolution(
            feasible: o.feasible ?? false,
            routes: routes,
            distance: problem.distance(of: routes),
            seconds: Date().timeIntervalSince(started)
        )
    }

    /// Plans a day (docs/API.md). `progress` gets the fraction of the time limit used and the best cost so
    /// far (thousandths of the currency, penalised while infeasible); `cancelled` is polled, and a
    /// cancelled solve kills the child and throws `RouteSolverError.cancelled`. Visits in `exclude`
    /// (known to be impossible) are not handed to the solver.
    package func solve(
        _ problem: RoutingProblem,
        timeLimit: Double,
        seed: Int = 1,
        exclude: Set<Int> = [],
        progress: (@Sendable (Double, Int) -> Void)? = nil,
        cancelled: (@Sendable () -> Bool)? = nil
    ) throws -> RoutingSolution {
        let started = Date()
        let (input, included) = problem.solverInput(timeLimit: timeLimit, seed: seed, exclude: exclude)
        guard !included.isEmpty, !problem.vehicles.isEmpty else {
            return RoutingSolution(feasible: true, routes: [], seconds: 0)
        }
        let o = try run(input, timeLimit: timeLimit, progress: progress, cancelled: cancelled)
        guard let raw = o.routes, let kinds = o.vehicles, kinds.count == raw.count else {
            throw RouteSolverError(description: "the route solver answered something that is not a solution")
        }
        var routes: [(vehicle: Int, visits: [Int])] = []
        for (r, k) in zip(raw, kinds) where !r.isEmpty {
            guard problem.vehicles.indices.contains(k), r.allSatisfy({ (1...included.count).contains($0) }) else {
                throw RouteSolverError(description: "the route solver named a stop or vehicle that does not exist")
            }
            routes.append((k, r.map { included[$0 - 1] }))
        }
        return RoutingSolution(
            feasible: o.feasible ?? false,
            routes: routes,
            seconds: Date().timeIntervalSince(started)
        )
    }

    /// Runs the child with `input` on stdin; its stdout is the answer, its stderr progress lines and errors.
    func run(
        _ input: SolverInput,
        timeLimit: Double,
        progress: (@Sendable (Double, Int) -> Void)? = nil,
        cancelled: (@Sendable () -> Bool)? = nil
    ) throws -> SolverOutput {
        guard let exe = command.first, FileManager.default.isExecutableFile(atPath: exe) else {
            throw RouteSolverError(
                description:
                    "the route solver is not installed (\(command.first ?? "no command")); run Ops/run or Ops/test to install it"
            )
        }
        let data = try JSONEncoder().encode(input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = Array(command.dropFirst())
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch {
            throw RouteSolverError(description: "the route solver could not start: \(error)")
        }
        // Read both pipes on threads of their own: a child blocked writing would never exit. (Not on
        // Dispatch's global queues: on Linux their width is the core count and these reads last as long
        // as the solve, so two of them would stall every other piece of global work.) Progress lines
        // are passed on as they come; other stderr text is kept for the error message.
        final class Sink: @unchecked Sendable {
            var out = Data()
            var err = Data()
        }
        let sink = Sink()
        let group = DispatchGroup()
        group.enter()
        Thread {
            sink.out = stdout.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }.start()
        group.enter()
        Thread {
            let h = stderr.fileHandleForReading
            var pending = Data()
            while true {
                let chunk = h.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<nl]
                    pending.removeSubrange(pending.startIndex...nl)
                    if let p = try? JSONDecoder().decode(SolverProgress.self, from: Data(line)) {
                        progress?(p.progress, p.bestCost ?? 0)
                    } else {
                        sink.err.append(line)
                        sink.err.append(UInt8(ascii: "\n"))
                        if sink.err.count > 8192 { sink.err.removeFirst(sink.err.count - 8192) }
                    }
                }
            }
            sink.err.append(pending)
            group.leave()
        }.start()
        // A solver that dies before reading its input must not take this process with it (SIGPIPE).
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: data)
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeLimit + grace)
        while group.wait(timeout: .now() + 0.1) == .timedOut {
            if cancelled?() == true {
                kill(process.processIdentifier, SIGKILL)
                throw RouteSolverError.cancelled
            }
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw RouteSolverError(
                    description: "the route solver did not finish within \(Int(timeLimit + grace)) s and was stopped"
                )
            }
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: sink.err.suffix(600), as: UTF8.self)
            throw RouteSolverError(description: "the route solver failed (exit \(process.terminationStatus)): \(tail)")
        }
        guard let o = try? JSONDecoder().decode(SolverOutput.self, from: sink.out) else {
            throw RouteSolverError(description: "the route solver answered something that is not a solution")
        }
        return o
    }
}

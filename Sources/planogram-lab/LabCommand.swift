import ArgumentParser

/// `planogram-lab`: the research tools beside the server's command line (docs/CONFIGURATION.md) — the
/// backtests, the experiments' calibration, the solver and optimizer checks. Each command is a file of its own.
@main
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planogram-lab",
        abstract: "Planogram Live's research tools: backtests, calibration, solver and optimizer checks.",
        subcommands: [
            Backtest.self, CalibrateExperiments.self, SolveVRPTW.self, CompareRoutes.self, OptimizeBench.self,
            OptimizeFleet.self,
        ]
    )
}

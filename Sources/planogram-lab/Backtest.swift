import ArgumentParser

/// `planogram-lab backtest revenue|demand|plan|venue`: the models measured on history they did not see
/// (docs/MODELS.md, the figures of docs/BENCHMARKS.md). Each mode is a command of its own file; what they share —
/// where the history comes from and whose clock reads it — is `HistorySource`.
struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the models on history they did not see.",
        subcommands: [BacktestRevenue.self, BacktestDemand.self, BacktestPlan.self, BacktestVenue.self],
        defaultSubcommand: BacktestRevenue.self
    )
}

import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

@main
struct PlanogramLiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planogram-live",
        abstract: "Realtime collaboration server for vending-machine planograms.",
        discussion:
            "What an operator runs. The research tools (backtests, calibration, solver checks) are planogram-lab.",
        subcommands: [
            Serve.self, Import.self, ImportDEX.self, ImportTransactions.self, ImportCVD.self, Token.self, OpenAPI.self,
            Fixtures.self,
            PlanFleet.self,
        ]
    )
}

import ArgumentParser
import Forecasting
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

/// `backtest venue`: a device's demand predicted from the other devices of its venue type (`VenueBacktest`).
struct BacktestVenue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue",
        abstract:
            "Leave one device out: venue-level demand against the fleet's best-seller list (recall of the ten top sellers, WAPE)."
    )

    @OptionGroup var source: HistorySource

    func run() throws {
        let (history, _) = try source.load(label: "backtest")
        let r = VenueBacktest.run(history)
        print(
            String(
                format:
                    "leave-one-device-out over %d devices: recall of the top 10 sellers %.1f %% (fleet best-seller list %.1f %%), WAPE of units per product %.1f %% (fleet best-seller list %.1f %%)",
                r.devices,
                r.recallAt10 * 100,
                r.baselineRecallAt10 * 100,
                r.wape * 100,
                r.baselineWAPE * 100
            )
        )
    }
}

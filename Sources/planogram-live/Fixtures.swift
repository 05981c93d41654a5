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

struct Fixtures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a generated fleet in the CSV formats of docs/API.md (deterministic for a seed).",
        discussion: "The generating model is documented in Fixtures/README.md; model.json records its parameters."
    )

    @Option(help: "Output directory.") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Number of devices.") var devices: Int = 12
    @Option(help: "Days of history.") var days: Int = 365
    @Option(help: "Eye-level row as a share of the height (0 top … 1 bottom).") var eyeLevel: Double = 0.3
    @Option(help: "Strength of the row effect.") var rowStrength: Double = 1.6
    @Option(help: "Strength of the column effect.") var columnStrength: Double = 0.6
    @Option(help: "Overall demand scale.") var demandScale: Double = 1.0
    @Option(help: "Probability of a companion purchase.") var basketRate: Double = 0.12
    @Option(
        help:
            "A metro fleet around this city (Berlin, Hamburg, Munich, Cologne, Leipzig): two depots, daily to weekly service, 3–7-day perishables."
    ) var metro: String?
    @Option(help: "Restock every device every N days (default: by venue type).") var serviceEvery: Int?
    @Option(help: "Multiply every slot's capacity (below 1: slots sell out between visits).") var capacityScale: Double?
    @Option(
        help:
            "The fleet's time zone (IANA name): days, sales hours and visit times are local (default: UTC). Serve it with the same PLANOGRAM_TIMEZONE."
    ) var timeZone: String?

    func run() throws {
        guard devices >= 1, devices <= 5000 else { throw ValidationError("--devices must be 1…5000") }
        guard days >= 1, days <= 3650 else { throw ValidationError("--days must be 1…3650") }
        guard (0...1).contains(eyeLevel), rowStrength >= 0, columnStrength >= 0, demandScale > 0,
            (0...1).contains(basketRate)
        else {
            throw ValidationError("model parameters out of range")
        }
        if let serviceEvery, !(1...28).contains(serviceEvery) { throw ValidationError("--service-every must be 1…28") }
        if let capacityScale, !(capacityScale > 0 && capacityScale <= 10) {
            throw ValidationError("--capacity-scale must be in (0, 10]")
        }
        var model = FleetModel()
        model.seed = seed
        model.devices = devices
        model.days = days
        model.eyeLevel = eyeLevel
        model.rowStrength = rowStrength
        model.columnStrength = columnStrength
        model.demandScale = demandScale
        model.basketRate = basketRate
        model.metro = metro
        model.serviceEveryDays = serviceEvery
        model.capacityScale = capacityScale
        if let timeZone, FleetClock(identifier: timeZone) == nil {
            throw ValidationError("--time-zone: no zone named \(timeZone)")
        }
        model.timeZone = timeZone
        let gen = FleetGenerator(model: model) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let s = try gen.write(to: out)
        print(
            "wrote \(out): \(s.products) products, \(s.devices) devices, \(s.cabinets) cabinets, \(s.planogramVersions) planogram versions, \(s.sales) sales, \(s.services) services (\(s.bytes / 1024) KiB)"
        )
    }
}

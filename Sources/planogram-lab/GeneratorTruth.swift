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

/// The database a command reads: `--db`, or `--fixtures` imported into a temporary one (with progress on
/// stderr) that `cleanup` removes.
/// A generated fleet's true demand (`backtest demand --generator-truth`): the fleet drawn again from its
/// `model.json` into a temporary directory with `FleetGenerator.trueDemand` listening, checked to give the
/// same sales and services as the directory's (else the rates would belong to another history).
enum GeneratorTruth {
    static func rates(fixtures: String?) throws -> [SlotKey: [Int32: (productID: String, unitsPerDay: Double)]] {
        guard let fixtures else {
            throw ValidationError("--generator-truth needs --fixtures (a generated fleet's directory)")
        }
        let recipe = (fixtures as NSString).appendingPathComponent("model.json")
        guard let data = FileManager.default.contents(atPath: recipe) else {
            throw ValidationError(
                "--generator-truth: \(recipe) not found (only a generated fleet knows its true demand)"
            )
        }
        let model = try JSONDecoder().decode(FleetModel.self, from: data)
        let dir = NSTemporaryDirectory() + "generator-truth-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rates: [SlotKey: [Int32: (productID: String, unitsPerDay: Double)]] = [:]
        var gen = FleetGenerator(model: model) { FileHandle.standardError.write(Data("generator truth: \($0)\n".utf8)) }
        gen.trueDemand = { t in
            rates[SlotKey(CabinetKey(t.deviceID, t.cabinetIndex), t.slot), default: [:]][Int32(t.day)] = (
                t.productID, t.unitsPerDay
            )
        }
        _ = try gen.write(to: dir)
        for name in ["sales.csv", "services.csv", "planograms.csv"] {
            let a = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(name))
            guard a != nil,
                a == FileManager.default.contents(atPath: (fixtures as NSString).appendingPathComponent(name))
            else {
                throw ValidationError(
                    "--generator-truth: \(name) drawn again from model.json differs from \(fixtures)'s: not this recipe's output"
                )
            }
        }
        return rates
    }
}

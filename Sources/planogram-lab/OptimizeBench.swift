import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import HTTPAPI
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct OptimizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize-bench",
        abstract: "Solve one generated cabinet layout with the optimizer (CBC) and print the proven gap and the time.",
        discussion:
            "A cabinet of --rows × --columns slots (ambient, one low row) and --products candidates: prices, temperatures, heights and widths drawn from a seeded stream, demand per day log-normal, each slot's value = price × demand × the demand model's prior position shape × availability of 8 units over a 3-day service interval. Prints one JSON object."
    )

    @Option(help: "Rows of the cabinet.") var rows: Int = 6
    @Option(help: "Columns of the cabinet.") var columns: Int = 10
    @Option(help: "Candidate products.") var products: Int = 200
    @Option(help: "Solver time limit in seconds.") var seconds: Double = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        guard (1...20).contains(rows), (1...20).contains(columns), (1...5_000).contains(products), seconds > 0 else {
            throw ValidationError("--rows and --columns 1…20, --products 1…5000, --seconds > 0")
        }
        var rng = SeededRandom(seed: seed)
        let heights = (0..<rows).map { $0 == rows - 1 ? 140 : 200 }
        let cabinet = Cabinet(
            deviceID: "BENCH",
            index: 0,
            temperature: .ambient,
            rows: rows,
            columns: columns,
            rowHeightsMM: heights
        )
        let candidates = (0..<products).map { i in
            Product(
                id: String(format: "P%04d", i),
                name: "Product \(i)",
                category: ["chips", "candy", "soda", "water", "snack"][i % 5],
                price: 1 + Double(rng.int(0...30)) / 10,
                unitCost: 0.5,
                temperature: rng.chance(0.1) ? .chilled : .ambient,
                heightMM: rng.chance(0.2) ? 180 : 120,
                widthColumns: rng.chance(0.1) ? 2 : 1,
                shelfLifeDays: 90,
                caseSize: 12
            )
        }
        let demand = candidates.map { _ in exp(-0.5 + 0.9 * rng.normal()) }
        let value = candidates.enumerated().map { i, p in
            (0..<(rows * columns)).map { k -> Double in
                let lambda =
                    demand[i]
                    * DemandModel.priorShape(row: k / columns, column: k % columns, rows: rows, columns: columns)
                return p.price * lambda * availability(lambdaPerDay: lambda, capacity: 8, intervalDays: 3)
            }
        }
        let problem = LayoutProblem(cabinet: cabinet, products: candidates, value: value, capacity: 8)
        let s = try LayoutOptimizer.solve(problem, seconds: seconds)
        let out = Report(
            slots: rows * columns,
            products: products,
            objective: (s.objective * 1000).rounded() / 1000,
            bound: (s.bound * 1000).rounded() / 1000,
            gapPercentage: (s.gap * 1e4).rounded() / 100,
            provenOptimal: s.provenOptimal,
            seconds: (s.seconds * 100).rounded() / 100,
            greedyObjective: (s.greedyObjective * 1000).rounded() / 1000,
            placed: s.facings.count
        )
        print(String(decoding: try APIJSON.encode(out), as: UTF8.self))
    }

    /// One line of JSON per cabinet size (read by Ops/bench.d/optimizer.sh).
    struct Report: Encodable {
        let slots: Int
        let products: Int
        let objective: Double
        let bound: Double
        let gapPercentage: Double
        let provenOptimal: Bool
        let seconds: Double
        let greedyObjective: Double
        let placed: Int

        enum CodingKeys: String, CodingKey {
            case slots, products, objective, bound
            case gapPercentage = "gap_percentage"
            case provenOptimal = "proven_optimal"
            case seconds
            case greedyObjective = "greedy_objective"
            case placed
        }
    }
}

import Foundation

/// What the route solver reads on stdin (Ops/solver/pyvrp_solve.py): depots, vehicle types, clients, the
/// distance and duration matrices in whole units, the time limit and the seed.
struct SolverInput: Encodable {
    struct Depot: Encodable {
        let tw: [Int]
        let service: Int
    }

    struct VehicleType: Encodable {
        let count: Int
        let capacity: Int
        let tw: [Int]
        let depot: Int
        /// Costs per unit of distance and duration (absent: the solver's defaults).
        var unitDistanceCost: Int?
        var unitDurationCost: Int?

        enum CodingKeys: String, CodingKey {
            case count, capacity, tw, depot
            case unitDistanceCost = "unit_distance_cost"
            case unitDurationCost = "unit_duration_cost"
        }
    }

    struct Client: Encodable {
        let demand: Int
        let service: Int
        let tw: [Int]
        let required: Bool
        let prize: Int
    }

    let depots: [Depot]
    let vehicles: [VehicleType]
    let clients: [Client]
    let distance: [[Int]]
    let duration: [[Int]]
    let timeLimit: Double
    let seed: Int

    enum CodingKeys: String, CodingKey {
        case depots, vehicles, clients, distance, duration
        case timeLimit = "time_limit"
        case seed
    }
}

/// What the solver answers on stdout: each route's clients (1-based, after the depots), the vehicle type of
/// each route, and whether the best solution is feasible.
struct SolverOutput: Decodable {
    let routes: [[Int]]?
    let vehicles: [Int]?
    let feasible: Bool?
}

/// A progress line the solver writes on stderr: the share of the time limit used and the best cost so far.
struct SolverProgress: Decodable {
    let progress: Double
    let bestCost: Int?

    enum CodingKeys: String, CodingKey {
        case progress
        case bestCost = "best_cost"
    }
}

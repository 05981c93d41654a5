import Foundation
import PlanogramDomain

/// Which arm a device is in.
package enum Arm: String, Codable, Sendable {
    case control, treatment
}

/// A device in an experiment's design, with what it did before the start (the matching variable).
package struct ExperimentUnit: Sendable {
    package var id: String
    package var preMetric: Double
    package init(id: String, preMetric: Double) {
        self.id = id
        self.preMetric = preMetric
    }
}

/// Device-level randomization in pairs matched on the pre-period (docs/MODELS.md): devices sorted by their
/// pre-period metric, neighbours paired, a fair coin per pair decides which one gets the treatment; an odd
/// device out is its own stratum with its own coin. The seed is recorded, so the design can be redrawn.
package struct PairedDesign: Codable, Sendable, Equatable {
    /// Strata of device ids: pairs, and at most one singleton.
    package let strata: [[String]]
    package let assignment: [String: Arm]
    package let seed: UInt64

    package init(strata: [[String]], assignment: [String: Arm], seed: UInt64) {
        self.strata = strata
        self.assignment = assignment
        self.seed = seed
    }

    package static func draw(_ units: [ExperimentUnit], seed: UInt64) -> PairedDesign {
        var rng = SeededRandom(seed: seed)
        let sorted = units.sorted { ($0.preMetric, $0.id) > ($1.preMetric, $1.id) }
        var strata: [[String]] = []
        var assignment: [String: Arm] = [:]
        var i = 0
        while i < sorted.count {
            let group = Array(sorted[i..<min(i + 2, sorted.count)]).map(\.id)
            strata.append(group)
            let first: Arm = rng.chance(0.5) ? .treatment : .control
            assignment[group[0]] = first
            if group.count == 2 { assignment[group[1]] = first == .treatment ? .control : .treatment }
            i += 2
        }
        return PairedDesign(strata: strata, assignment: assignment, seed: seed)
    }
}

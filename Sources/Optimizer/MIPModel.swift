import CCbc
import Foundation

/// A mixed-integer linear program solved by COIN-OR CBC through its C interface: columns with bounds,
/// objective coefficients and integrality, rows as sparse sums with bounds, a time limit, an optional
/// warm start. Maximises. One model, one solve; not shared between threads.
package final class MIPModel {
    package struct Result: Sendable {
        package let values: [Double]
        package let objective: Double
        /// The solver's proven bound on the best objective (≥ objective when maximising).
        package let bound: Double
        package let provenOptimal: Bool
        package let feasible: Bool
        package let seconds: Double
        /// (bound − objective) / max(|objective|, 1e-9), never negative.
        package var gap: Double { max(0, bound - objective) / max(abs(objective), 1e-9) }
    }

    private let model: UnsafeMutableRawPointer
    package private(set) var columns = 0

    package init() {
        model = Cbc_newModel()
        Cbc_setObjSense(model, -1)  // maximise
        Cbc_setLogLevel(model, 0)
    }

    deinit { Cbc_deleteModel(model) }

    /// Adds a column; returns its index.
    @discardableResult
    package func addColumn(lower: Double, upper: Double, objective: Double, integer: Bool) -> Int {
        Cbc_addCol(model, "", lower, upper, objective, integer ? 1 : 0, 0, nil, nil)
        columns += 1
        return columns - 1
    }

    /// Adds `lower ≤ Σ coefficient·column ≤ upper`.
    package func addRow(
        _ terms: [(column: Int, coefficient: Double)],
        lower: Double = -.infinity,
        upper: Double = .infinity
    ) {
        guard !terms.isEmpty else { return }
        var idx = terms.map { Int32($0.column) }
        var coef = terms.map(\.coefficient)
        let sense: CChar
        let rhs: Double
        switch (lower.isFinite, upper.isFinite) {
        case (true, true) where lower == upper:
            sense = CChar(UInt8(ascii: "E"))
            rhs = lower
        case (true, true):
            addRow(terms, lower: lower)
            addRow(terms, upper: upper)
            return
        case (true, false):
            sense = CChar(UInt8(ascii: "G"))
            rhs = lower
        case (false, true):
            sense = CChar(UInt8(ascii: "L"))
            rhs = upper
        default: return
        }
        Cbc_addRow(model, "", Int32(terms.count), &idx, &coef, sense, rhs)
    }

    /// A known feasible solution to start from (CBC checks it).
    package func setStart(_ values: [Double]) {
        var idx = (0..<Int32(values.count)).map { $0 }
        var v = values
        Cbc_setMIPStartI(model, Int32(values.count), &idx, &v)
    }

    package func solve(seconds: Double, relativeGap: Double = 1e-4) -> Result {
        Cbc_setMaximumSeconds(model, seconds)
        Cbc_setAllowableFractionGap(model, relativeGap)
        let started = Date()
        _ = Cbc_solve(model)
        let n = Int(Cbc_getNumCols(model))
        let feasible = Cbc_bestSolution(model) != nil && !(Cbc_isProvenInfeasible(model) != 0)
        var values = [Double](repeating: 0, count: n)
        if let p = Cbc_getColSolution(model) { for i in 0..<n { values[i] = p[i] } }
        let objective = Cbc_getObjValue(model)
        var bound = Cbc_getBestPossibleObjValue(model)
        if Cbc_isProvenOptimal(model) != 0 { bound = objective }
        return Result(
            values: values,
            objective: objective,
            bound: max(bound, objective),
            provenOptimal: Cbc_isProvenOptimal(model) != 0,
            feasible: feasible,
            seconds: Date().timeIntervalSince(started)
        )
    }
}

import Forecasting
import Foundation
import XCTest

/// `atLeast` sums the pmf's recurrence as it goes instead of building the array; the count model's
/// calibration and its stored figures depend on it giving the very same doubles as before, when it built
/// the array and summed it (`arraySummed` below: that code as it was).
final class CountDistributionAtLeastTests: XCTestCase {
    private func arraySummed(mean m: Double, size k: Double, atLeast n: Int) -> Double {
        let d = CountDistribution(mean: m, size: k)
        guard n > 0 else { return 1 }
        if d.mean <= 1e-12 { return 0 }
        var out = [Double](repeating: 0, count: n)
        var p = d.size.isInfinite ? exp(-d.mean) : exp(d.size * log(d.size / (d.size + d.mean)))
        out[0] = p
        let q = d.size.isInfinite ? 0 : d.mean / (d.size + d.mean)
        for x in 0..<(n - 1) {
            if d.size.isInfinite { p *= d.mean / Double(x + 1) } else { p *= (Double(x) + d.size) / Double(x + 1) * q }
            out[x + 1] = p
        }
        return min(1, max(0, 1 - out.reduce(0, +)))
    }

    func testAtLeastIsBitForBitThePmfArraySummed() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let mean =
                [0, 1e-13, 0.01, 0.3, 2, 7.5, 40, 300][Int.random(in: 0..<8, using: &rng)]
                * Double.random(in: 0.5...1.5, using: &rng)
            let size = [Double.infinity, 0.5, 2, 3, 16, 128, 1_000][Int.random(in: 0..<7, using: &rng)]
            let k = Int.random(in: 0...400, using: &rng)
            XCTAssertEqual(
                CountDistribution(mean: mean, size: size).atLeast(k).bitPattern,
                arraySummed(mean: mean, size: size, atLeast: k).bitPattern,
                "mean \(mean) size \(size) k \(k)"
            )
        }
        XCTAssertEqual(CountDistribution(mean: 2).atLeast(3), 1 - exp(-2) * 5, accuracy: 1e-12)
    }
}

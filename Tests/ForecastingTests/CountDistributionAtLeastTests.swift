@testable import Forecasting
import Foundation
import XCTest

/// `atLeast` sums the pmf's recurrence as it goes instead of building the array; the count model's
/// calibration and its stored figures depend on it giving the very same doubles as the array summed.
final class CountDistributionAtLeastTests: XCTestCase {
    func testAtLeastIsBitForBitThePmfSummed() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            let mean = [0, 1e-13, 0.01, 0.3, 2, 7.5, 40, 300][Int.random(in: 0..<8, using: &rng)] * Double.random(in: 0.5...1.5, using: &rng)
            let size = [Double.infinity, 0.5, 2, 3, 16, 128, 1_000][Int.random(in: 0..<7, using: &rng)]
            let k = Int.random(in: 0...400, using: &rng)
            let d = CountDistribution(mean: mean, size: size)
            let reference: Double = k <= 0 ? 1 : d.mean <= 1e-12 ? 0 : min(1, max(0, 1 - d.pmf(upTo: k - 1).reduce(0, +)))
            XCTAssertEqual(d.atLeast(k).bitPattern, reference.bitPattern, "mean \(mean) size \(size) k \(k)")
            checked += 1
        }
        XCTAssertEqual(checked, 20_000)
        XCTAssertEqual(CountDistribution(mean: 2).atLeast(3), 1 - exp(-2) * 5, accuracy: 1e-12)
    }
}

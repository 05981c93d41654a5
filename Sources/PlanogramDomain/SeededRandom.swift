import Foundation

/// SplitMix64: a small, fast, deterministic generator; the same seed gives the same fleet (or the same
/// simulated demand) on every machine and Swift version (the standard library's generator is not seedable).
package struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    package init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    package mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    package mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    package mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// Standard normal (Box–Muller).
    package mutating func normal() -> Double {
        let u = max(unit(), 1e-12)
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    /// Poisson with mean `lambda` (Knuth for small means, a normal approximation above 30).
    package mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded())) }
        let l = exp(-lambda)
        var k = 0
        var p = 1.0
        repeat {
            k += 1
            p *= unit()
        } while p > l
        return k - 1
    }
    package mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
}

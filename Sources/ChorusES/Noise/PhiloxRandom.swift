#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seedable random number generator on Philox4x32-10, for everything in a run that must
/// be random yet reproducible (environment start states, episode seeds).
///
/// Output `n` (a `UInt64`) is `(y1 << 32) | y0` of block `(n mod 2³², n / 2³², s0, s1)` under key
/// `(seed & 0xFFFF_FFFF, seed >> 32)`, where `(s0, s1)` are the low and high halves of `stream`
/// (the block's `y2`, `y3` are not used). Independent streams come from different `stream` values.
public struct PhiloxRandom: RandomNumberGenerator, Sendable {
    private let key: SIMD2<UInt32>
    private let stream: SIMD2<UInt32>
    private var position: UInt64 = 0

    public init(seed: UInt64, stream: UInt64) {
        key = SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        self.stream = SIMD2(UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
    }

    public mutating func next() -> UInt64 {
        let counter = SIMD4(
            UInt32(truncatingIfNeeded: position), UInt32(truncatingIfNeeded: position >> 32),
            stream[0], stream[1]
        )
        position &+= 1
        let y = Philox4x32.block(counter: counter, key: key)
        return UInt64(y[1]) << 32 | UInt64(y[0])
    }

    /// A uniform value in `[lower, upper)`: `lower + (upper − lower) · (next() >> 11) · 2⁻⁵³`.
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * (Double(next() >> 11) * 0x1p-53)
    }

    /// A standard normal value (Box–Muller on two uniform values; the second of the pair is
    /// not kept, so every call takes two outputs).
    public mutating func normal() -> Double {
        let radius = (-2 * log(1 - uniform(0, 1))).squareRoot()
        return radius * cos(2 * Double.pi * uniform(0, 1))
    }
}

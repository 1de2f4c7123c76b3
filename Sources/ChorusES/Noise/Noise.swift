#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reproducible Gaussian noise for evolution strategies: the noise of any parameter of any
/// population member in any epoch is a pure function of `(seed, parameter, epoch, member)`, so
/// a worker rebuilds a member's perturbation from four integers and nothing travels but rewards.
///
/// The exact definition, so another language can reproduce it bit for bit:
///
/// - **Block function**: Philox4x32-10 (``Philox4x32/block(counter:key:)``).
/// - **Key**: `(k0, k1) = (seed & 0xFFFF_FFFF, seed >> 32)`.
/// - **Counter** of element `j` of the stream of parameter `p`, epoch `e`, member `i`:
///   `(c0, c1, c2, c3) = (j / 4, p, e / reuse, i / 2)` (integer division). Members `2k` and
///   `2k + 1` (an antithetic pair) read the same stream; epochs share a stream `reuse` at a time.
///   Each of `j / 4`, `p`, `e / reuse`, `i / 2` must be below 2³².
/// - **Normal transform** (Box–Muller in binary64, then rounded to the nearest binary32): for the
///   block's outputs `(x0, x1, x2, x3)`, with `u = (x0 + 1) · 2⁻³²` in (0, 1], `v = x1 · 2⁻³²`
///   in [0, 1), `r = sqrt(−2 · ln u)`, `θ = 2π · v` (2π the binary64 nearest),
///   lanes 0 and 1 are `r · cos θ` and `r · sin θ`; lanes 2 and 3 the same from `(x2, x3)`.
///   Element `j` is lane `j % 4` of block `j / 4`.
///
/// `Tests/Interop/test_noise_reference.py` rebuilds the stream in plain Python from this text.
public struct Noise: Sendable, Hashable, Codable {
    /// The run's seed.
    public var seed: UInt64
    /// How many consecutive epochs share one draw (`1`: fresh noise every epoch).
    public var reuse: Int

    public init(seed: UInt64, reuse: Int = 1) {
        precondition(reuse >= 1, "noise reuse must be at least 1")
        self.seed = seed
        self.reuse = reuse
    }

    /// The stream of parameter `parameter` for population member `member` in epoch `epoch`.
    public func stream(parameter: Int, epoch: Int, member: Int) -> NoiseStream {
        NoiseStream(
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)),
            parameter: Self.word(parameter, "parameter"),
            generation: Self.word(epoch / reuse, "epoch / reuse"),
            pair: Self.word(member / 2, "member / 2")
        )
    }

    private static func word(_ value: Int, _ name: String) -> UInt32 {
        precondition(value >= 0 && value <= Int(UInt32.max), "noise \(name) out of range: \(value)")
        return UInt32(value)
    }
}

/// One stream of standard normals (see ``Noise`` for the definition).
public struct NoiseStream: Sendable {
    let key: SIMD2<UInt32>
    let parameter: UInt32
    let generation: UInt32
    let pair: UInt32

    /// Writes elements `offset ..< offset + buffer.count` of the stream into `buffer`.
    public func fill(_ buffer: UnsafeMutableBufferPointer<Float>, from offset: Int = 0) {
        precondition(offset >= 0 && (offset + buffer.count) / 4 <= Int(UInt32.max), "noise offset out of range")
        var written = 0
        var element = offset
        while written < buffer.count {
            let block = normals(ofBlock: UInt32(element / 4))
            var lane = element % 4
            while lane < 4 && written < buffer.count {
                buffer[written] = block[lane]
                written += 1
                lane += 1
            }
            element += lane - element % 4
        }
    }

    /// Elements `offset ..< offset + count` of the stream.
    public func normals(count: Int, from offset: Int = 0) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, from: offset)
            initialized = count
        }
    }

    @inline(__always)
    private func normals(ofBlock block: UInt32) -> SIMD4<Float> {
        let x = Philox4x32.block(counter: SIMD4(block, parameter, generation, pair), key: key)
        let (z0, z1) = Self.boxMuller(x[0], x[1])
        let (z2, z3) = Self.boxMuller(x[2], x[3])
        return SIMD4(z0, z1, z2, z3)
    }

    @inline(__always)
    private static func boxMuller(_ a: UInt32, _ b: UInt32) -> (Float, Float) {
        let scale = 0x1p-32
        let u = (Double(a) + 1) * scale
        let theta = 2 * Double.pi * (Double(b) * scale)
        let r = (-2 * log(u)).squareRoot()
        return (Float(r * cos(theta)), Float(r * sin(theta)))
    }
}

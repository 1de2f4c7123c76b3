/// The random numbers behind a table's `uniform` and `prioritized` picks: xoshiro256** seeded
/// through SplitMix64. Small, fast, and with a state a checkpoint can store, so a restored table
/// draws what the original would have drawn.
struct ReplayRandom: RandomNumberGenerator, Sendable, Equatable {
    private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var mix = seed
        func splitMix() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        self.state = state
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A double uniform in `0..<1` (53 random bits).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    static func == (lhs: ReplayRandom, rhs: ReplayRandom) -> Bool {
        lhs.state == rhs.state
    }
}

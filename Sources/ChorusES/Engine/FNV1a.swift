/// FNV-1a, 64 bits: a fast checksum for checkpoints and a digest that says two states are
/// bit-identical (not a cryptographic hash).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { mix(byte) }
    }

    /// Combines `value`'s bytes, least significant first (its little-endian encoding).
    mutating func combine<T: FixedWidthInteger>(_ value: T) {
        for index in 0..<MemoryLayout<T>.size { mix(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    mutating func combine(_ floats: [Float]) {
        for float in floats { combine(float.bitPattern) }
    }

    private mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hasher = FNV1a()
        hasher.combine(bytes)
        return hasher.value
    }
}

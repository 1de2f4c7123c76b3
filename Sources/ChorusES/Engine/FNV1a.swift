/// FNV-1a, 64 bits: a fast checksum for checkpoints and a digest that says two states are
/// bit-identical (not a cryptographic hash).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }

    mutating func combine(_ floats: [Float]) {
        for float in floats { combine(withUnsafeBytes(of: float.bitPattern.littleEndian) { Array($0) }) }
    }

    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hasher = FNV1a()
        hasher.combine(bytes)
        return hasher.value
    }
}

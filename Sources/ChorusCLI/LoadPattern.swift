import Chorus

/// The bytes `chorus load` sends, so a receiver can check every sample.
///
/// In a packed sample, bytes 0–7 (or fewer, for a smaller sample) hold the little-endian
/// `connection << 40 | sequence`; every other byte `j` holds `(31 · j + 7) mod 256`, or its
/// lowest bit in a `bool` leaf (so bool views stay valid).
struct LoadPattern {
    let schema: Schema
    /// Samples per block: one send call.
    let blockSize: Int
    private(set) var block: [UInt8]

    init(schema: Schema, blockSize: Int) {
        self.schema = schema
        self.blockSize = blockSize
        var sample = (0..<schema.sampleSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for leaf in schema.leaves where leaf.dtype == .bool {
            for offset in leaf.offset..<leaf.offset + leaf.byteCount { sample[offset] &= 1 }
        }
        block = Array((0..<blockSize).map { _ in sample }.joined())
    }

    /// Writes the ids of `blockSize` samples starting at `sequence` into the block.
    mutating func number(connection: Int, from sequence: UInt64) {
        let idBytes = min(8, schema.sampleSize)
        for index in 0..<blockSize {
            let id = UInt64(connection) << 40 | (sequence + UInt64(index))
            for byte in 0..<idBytes {
                block[index * schema.sampleSize + byte] = UInt8(truncatingIfNeeded: id >> (8 * byte))
            }
        }
    }
}

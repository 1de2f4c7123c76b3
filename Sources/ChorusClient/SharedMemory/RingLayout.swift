import ChorusCore

/// Where each leaf of each ring slot lives in the ring's memory (one mapping): per leaf, one
/// region holding that leaf for every slot, batch after batch, each batch padded to 64 bytes so
/// that a batch of a leaf is one aligned C-order array of shape `(batchSize, *leaf.shape)`.
///
/// The server's ring and same-host producers compute it alike from the schema, the batch size
/// and the buffer count, so a producer finds the slots it was granted without being told more.
package struct RingLayout: Hashable, Sendable {
    package static let batchAlignment = 64
    package let batchSize: Int
    package let numBuffers: Int
    /// Slots in the ring: `numBuffers × batchSize`.
    package let capacity: Int
    /// Bytes of each leaf in one sample.
    package let leafByteCounts: [Int]
    /// Bytes of one packed sample (its leaves one after the other, in flatten order).
    package let sampleSize: Int
    /// Bytes from one batch of a leaf to the next.
    package let batchStrides: [Int]
    /// Where each leaf's region starts in the mapping (64-byte aligned).
    package let leafOffsets: [Int]
    /// The mapping's size.
    package let byteCount: Int

    /// - Precondition: the sizes do not overflow (``Server`` checks them).
    package init(schema: Schema, batchSize: Int, numBuffers: Int) {
        let alignment = Self.batchAlignment
        self.batchSize = batchSize
        self.numBuffers = numBuffers
        capacity = batchSize * numBuffers
        leafByteCounts = schema.leaves.map(\.byteCount)
        sampleSize = schema.sampleSize
        batchStrides = leafByteCounts.map { (batchSize * $0 + alignment - 1) / alignment * alignment }
        var offsets: [Int] = []
        var end = 0
        for stride in batchStrides {
            offsets.append(end)
            end += numBuffers * stride
        }
        leafOffsets = offsets
        byteCount = max(end, alignment)
    }

    /// The offset of leaf `leaf` of slot `slot` (0..<capacity) in the mapping.
    package func offset(leaf: Int, slot: Int) -> Int {
        leafOffsets[leaf] + (slot / batchSize) * batchStrides[leaf] + (slot % batchSize) * leafByteCounts[leaf]
    }

    /// Copies packed samples into consecutive slots from `firstSlot` of the ring mapped at
    /// `base`, leaf by leaf.
    ///
    /// - Precondition: `packed` holds whole samples whose slots lie in one batch and belong to
    ///   the caller (a reservation or a grant); `base` maps `byteCount` bytes.
    package func scatter(_ packed: UnsafeRawBufferPointer, into base: UnsafeMutableRawPointer, firstSlot: Int) {
        let count = packed.count / sampleSize
        precondition(packed.count == count * sampleSize, "scatter of a partial sample")
        precondition(isWithinOneBatch(firstSlot: firstSlot, count: count), "scatter outside one batch of the ring")
        guard let source = packed.baseAddress, count > 0 else { return }
        var leafOffset = 0
        for (leaf, leafBytes) in leafByteCounts.enumerated() {
            var destination = base + offset(leaf: leaf, slot: firstSlot)
            var from = source + leafOffset
            for _ in 0..<count {
                destination.copyMemory(from: from, byteCount: leafBytes)
                destination += leafBytes
                from += sampleSize
            }
            leafOffset += leafBytes
        }
    }

    /// Whether slots `firstSlot..<firstSlot + count` lie in one batch of the ring.
    package func isWithinOneBatch(firstSlot: Int, count: Int) -> Bool {
        firstSlot >= 0 && count >= 0 && firstSlot + count <= capacity
            && (count == 0 || firstSlot / batchSize == (firstSlot + count - 1) / batchSize)
    }
}

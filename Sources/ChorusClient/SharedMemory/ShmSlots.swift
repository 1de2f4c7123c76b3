import ChorusCore

/// Consecutive slots of a same-host learner's ring, lent to a ``ShmClient/reserve(_:_:)``
/// closure to fill: `count` samples, the `offset`-th onward of the reservation. Each leaf of
/// these samples is one contiguous C-order array in the ring (`count × leaf bytes`). The
/// memory is valid only inside the closure; every byte must be written before it returns.
public struct ShmSlots {
    /// Samples in this piece.
    public let count: Int
    /// Index of this piece's first sample within the whole reservation.
    public let offset: Int
    private let layout: RingLayout
    private let base: UnsafeMutableRawPointer
    private let firstSlot: Int

    init(layout: RingLayout, base: UnsafeMutableRawPointer, firstSlot: Int, count: Int, offset: Int) {
        precondition(layout.isWithinOneBatch(firstSlot: firstSlot, count: count))
        self.layout = layout
        self.base = base
        self.firstSlot = firstSlot
        self.count = count
        self.offset = offset
    }

    /// Leaf `index` (flatten order) of these samples: `count × leaf bytes`, C order.
    public func leaf(_ index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(layout.leafByteCounts.indices.contains(index), "leaf \(index) is outside the schema")
        return UnsafeMutableRawBufferPointer(start: base + layout.offset(leaf: index, slot: firstSlot),
                                             count: count * layout.leafByteCounts[index])
    }

    /// Copies `count` packed samples (each leaf after the other in flatten order) in.
    public func copy(packed: UnsafeRawBufferPointer) {
        precondition(packed.count == count * layout.sampleSize,
                     "copy of \(packed.count) bytes into \(count) samples of \(layout.sampleSize)")
        layout.scatter(packed, into: base, firstSlot: firstSlot)
    }
}

import ChorusCore

/// The ring's sample memory: for each leaf, one 64-byte-aligned allocation holding that leaf for
/// every slot (`capacity` of them), so a batch of a leaf is one contiguous C-order array of
/// shape `(batchSize, *leaf.shape)`. Each batch of a leaf starts on a 64-byte boundary (its
/// bytes are padded up to one), so consumers that want aligned buffers, such as XLA taking a
/// batch through DLPack, can use the memory in place.
///
/// Lives as long as any ``Batch`` or the ``Ring`` refers to it, so a view never dangles; its
/// contents are only meaningful while the consumer holds the batch.
final class RingStorage: @unchecked Sendable {
    let schema: Schema
    let batchSize: Int
    /// Slots in the ring: `numBuffers × batchSize`.
    let capacity: Int
    static let batchAlignment = 64

    // Invariant: `bases[i]` is an allocation of `numBuffers × batchStrides[i]` bytes, zero-filled
    // in `init`, freed in `deinit`, never reallocated. Slot `s` of leaf `i` is the `byteCount`
    // bytes at `address(leaf: i, slot: s)`: batch `s / batchSize` starts `batchStrides[i]` bytes
    // after the one before, and its slots follow each other. Writers (producers) touch only
    // slots they reserved, which never cross a batch; readers (the consumer) only slots of the
    // batch they hold (see `Ring`).
    private let bases: [UnsafeMutableRawPointer]
    private let batchStrides: [Int]

    /// Allocates and zero-fills the ring; the caller has checked that sizes do not overflow.
    init(schema: Schema, batchSize: Int, numBuffers: Int) {
        self.schema = schema
        self.batchSize = batchSize
        capacity = batchSize * numBuffers
        let alignment = Self.batchAlignment
        batchStrides = schema.leaves.map { leaf in
            (batchSize * leaf.byteCount + alignment - 1) / alignment * alignment
        }
        bases = batchStrides.map { stride in
            let byteCount = numBuffers * stride
            let base = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            return base
        }
    }

    private func address(leaf index: Int, slot: Int) -> UnsafeMutableRawPointer {
        bases[index] + (slot / batchSize) * batchStrides[index] + (slot % batchSize) * schema.leaves[index].byteCount
    }

    /// Checks that slots `firstSlot..<firstSlot + count` lie in one batch of the ring.
    private func checkWithinBatch(_ firstSlot: Int, _ count: Int, _ what: @autoclosure () -> String) {
        precondition(firstSlot >= 0 && count >= 0 && firstSlot + count <= capacity
                     && (count == 0 || firstSlot / batchSize == (firstSlot + count - 1) / batchSize), what())
    }

    deinit {
        for base in bases { base.deallocate() }
    }

    /// Copies packed samples (each `schema.sampleSize` bytes, leaves in flatten order) into
    /// consecutive slots starting at `firstSlot`.
    ///
    /// - Precondition: `packed.count` is a multiple of the sample size and the slots
    ///   `firstSlot..<firstSlot + count` lie inside the ring and are reserved by the caller.
    func scatter(_ packed: UnsafeRawBufferPointer, toSlotsFrom firstSlot: Int) {
        let sampleSize = schema.sampleSize
        let count = packed.count / sampleSize
        precondition(packed.count == count * sampleSize, "scatter of a partial sample")
        checkWithinBatch(firstSlot, count, "scatter outside the reserved slots")
        guard let source = packed.baseAddress, count > 0 else { return }
        for leaf in schema.leaves {
            let leafBytes = leaf.byteCount
            var destination = address(leaf: leaf.index, slot: firstSlot)
            var from = source + leaf.offset
            for _ in 0..<count {
                destination.copyMemory(from: from, byteCount: leafBytes)
                destination += leafBytes
                from += sampleSize
            }
        }
    }

    /// The memory of slots `firstSlot..<firstSlot + count`, sample by sample and within each
    /// sample leaf by leaf (flatten order): the layout of packed samples, for a producer that
    /// fills the slots in place.
    ///
    /// - Precondition: the slots lie in one batch and the caller holds their reservation.
    func slotBuffers(firstSlot: Int, count: Int) -> [UnsafeMutableRawBufferPointer] {
        checkWithinBatch(firstSlot, count, "slots outside one batch of the ring")
        var buffers: [UnsafeMutableRawBufferPointer] = []
        buffers.reserveCapacity(count * bases.count)
        for slot in firstSlot..<firstSlot + count {
            for leaf in schema.leaves {
                buffers.append(UnsafeMutableRawBufferPointer(start: address(leaf: leaf.index, slot: slot), count: leaf.byteCount))
            }
        }
        return buffers
    }

    /// The raw bytes of one leaf across the slots `firstSlot..<firstSlot + count` of one batch;
    /// valid while the consumer holds that batch.
    func bytes(leaf index: Int, firstSlot: Int, count: Int) -> UnsafeRawBufferPointer {
        checkWithinBatch(firstSlot, count, "bytes outside one batch of the ring")
        return UnsafeRawBufferPointer(start: address(leaf: index, slot: firstSlot), count: count * schema.leaves[index].byteCount)
    }

    /// A typed view of one leaf across the slots `firstSlot..<firstSlot + count`.
    ///
    /// - Precondition: the element type matches the leaf's dtype (checked by `Batch`); the view
    ///   is valid while the consumer holds that batch.
    func view<T: LeafElement>(leaf index: Int, firstSlot: Int, count: Int, as _: T.Type)
        -> UnsafeBufferPointer<T>
    {
        let leaf = schema.leaves[index]
        precondition(T.dtype == leaf.dtype && MemoryLayout<T>.stride == leaf.dtype.itemSize)
        let raw = bytes(leaf: index, firstSlot: firstSlot, count: count)
        // Alignment holds: each batch starts 64-byte aligned and every slot offset is a multiple
        // of the item size. Binding is sound: the bytes are plain data of the leaf's dtype, and
        // each leaf's memory is only ever bound to that dtype's one element type.
        return raw.bindMemory(to: T.self)
    }
}

extension RingStorage {
    /// The position of the first byte of a `bool` leaf in the given slots that is neither 0 nor 1,
    /// if any. Swift's `Bool` may only hold those two bit patterns, so a bool view is handed out
    /// only after this check (samples from the wire could carry any byte).
    func firstInvalidBool(leaf index: Int, firstSlot: Int, count: Int) -> Int? {
        precondition(schema.leaves[index].dtype == .bool)
        return bytes(leaf: index, firstSlot: firstSlot, count: count).firstIndex(where: { $0 > 1 })
    }
}

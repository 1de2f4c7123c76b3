import ChorusClient
import ChorusCore

/// The ring's sample memory: one mapping holding, for each leaf, a 64-byte-aligned region with
/// that leaf for every slot (`capacity` of them), so a batch of a leaf is one contiguous C-order
/// array of shape `(batchSize, *leaf.shape)` (``RingLayout``). Each batch of a leaf starts on a
/// 64-byte boundary (its bytes are padded up to one), so consumers that want aligned buffers,
/// such as XLA taking a batch through DLPack, can use the memory in place.
///
/// Lives as long as any ``Batch`` or the ``Ring`` refers to it, so a view never dangles; its
/// contents are only meaningful while the consumer holds the batch.
final class RingStorage: @unchecked Sendable {
    let schema: Schema
    let batchSize: Int
    /// Slots in the ring: `numBuffers × batchSize`.
    let capacity: Int
    /// Where each leaf of each slot lives in `memory` (same-host producers compute it alike).
    let layout: RingLayout

    // Invariant: `memory` is one zero-filled mapping of `layout.byteCount` bytes, alive as long
    // as this object, never remapped; slot `s` of leaf `i` is the `byteCount` bytes at
    // `layout.offset(leaf: i, slot: s)`. It is a memory file when the system has them, so the
    // shared-memory transport can hand it to producers in other processes. Writers (producers)
    // touch only slots they reserved (or were granted), which never cross a batch; readers
    // (the consumer) only slots of the batch they hold (see `Ring`).
    let memory: SharedMapping

    /// Maps the ring, zero-filled; the caller has checked that sizes do not overflow.
    init(schema: Schema, batchSize: Int, numBuffers: Int) {
        self.schema = schema
        self.batchSize = batchSize
        layout = RingLayout(schema: schema, batchSize: batchSize, numBuffers: numBuffers)
        capacity = layout.capacity
        guard let memory = SharedMapping.create(name: "chorus-ring", byteCount: layout.byteCount) else {
            fatalError("chorus: cannot map \(layout.byteCount) bytes for the ring")
        }
        self.memory = memory
    }

    private func address(leaf index: Int, slot: Int) -> UnsafeMutableRawPointer {
        memory.base + layout.offset(leaf: index, slot: slot)
    }

    /// Checks that slots `firstSlot..<firstSlot + count` lie in one batch of the ring.
    private func checkWithinBatch(_ firstSlot: Int, _ count: Int, _ what: @autoclosure () -> String) {
        precondition(layout.isWithinOneBatch(firstSlot: firstSlot, count: count), what())
    }

    /// Copies packed samples (each `schema.sampleSize` bytes, leaves in flatten order) into
    /// consecutive slots starting at `firstSlot`.
    ///
    /// - Precondition: `packed.count` is a multiple of the sample size and the slots
    ///   `firstSlot..<firstSlot + count` lie inside the ring and are reserved by the caller.
    func scatter(_ packed: UnsafeRawBufferPointer, toSlotsFrom firstSlot: Int) {
        layout.scatter(packed, into: memory.base, firstSlot: firstSlot)
    }

    /// Zeroes every leaf of slots `firstSlot..<firstSlot + count` (one batch, reserved by the
    /// caller).
    func zeroFill(firstSlot: Int, count: Int) {
        checkWithinBatch(firstSlot, count, "zero-fill outside one batch of the ring")
        for leaf in schema.leaves {
            address(leaf: leaf.index, slot: firstSlot).initializeMemory(as: UInt8.self, repeating: 0, count: count * leaf.byteCount)
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
        buffers.reserveCapacity(count * schema.leaves.count)
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

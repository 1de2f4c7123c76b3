import ChorusClient
import ChorusCore

/// Samples as a foreign caller hands them over: one leaf-major buffer per leaf (leaf `i` of
/// every sample back to back, as NumPy stacks them). The wire and the ring take packed samples
/// (each sample's leaves together), so ``forEachPackedChunk(into:_:)`` transposes a chunk at a
/// time, except for a one-leaf schema, where the two layouts are the same bytes.
struct LeafMajorSamples {
    let schema: Schema
    let count: Int
    // Invariant (the caller's, stated in chorus.h): `leaves[i]` points to `count ×
    // schema.leaves[i].byteCount` readable bytes that stay put for the duration of the call.
    private let leaves: [UnsafeRawPointer]

    /// Nil when a leaf pointer is null (for `count > 0`).
    init?(schema: Schema, leaves: UnsafePointer<UnsafeRawPointer?>?, count: Int) {
        guard count > 0, let leaves else { return nil }
        var pointers: [UnsafeRawPointer] = []
        for index in schema.leaves.indices {
            guard let pointer = leaves[index] else { return nil }
            pointers.append(pointer)
        }
        self.schema = schema
        self.count = count
        self.leaves = pointers
    }

    /// Copies the samples `slots.offset..<slots.offset + slots.count` into a piece of a
    /// shared-memory reservation: one copy per leaf, since the ring is leaf-major too.
    func copy(_ slots: ShmSlots) {
        for (leaf, source) in zip(schema.leaves, leaves) {
            slots.leaf(leaf.index).copyMemory(from: UnsafeRawBufferPointer(
                start: source + slots.offset * leaf.byteCount, count: slots.count * leaf.byteCount))
        }
    }

    /// Calls `body` with the samples packed, in order, in chunks of at most `staging`'s size, and
    /// the index of each chunk's first sample.
    func forEachPackedChunk<E: Error>(
        into staging: PackingBuffer, _ body: (UnsafeRawBufferPointer, Int) throws(E) -> Void
    ) throws(E) {
        let sampleSize = schema.sampleSize
        if leaves.count == 1 {
            return try body(UnsafeRawBufferPointer(start: leaves[0], count: count * sampleSize), 0)
        }
        let chunkSamples = staging.capacity / sampleSize
        var first = 0
        while first < count {
            let chunk = min(chunkSamples, count - first)
            for (leaf, source) in zip(schema.leaves, leaves) {
                var from = source + first * leaf.byteCount
                var to = staging.base + leaf.offset
                for _ in 0..<chunk {
                    to.copyMemory(from: from, byteCount: leaf.byteCount)
                    from += leaf.byteCount
                    to += sampleSize
                }
            }
            try body(UnsafeRawBufferPointer(start: staging.base, count: chunk * sampleSize), first)
            first += chunk
        }
    }
}

/// A reusable buffer for packing samples: at least one sample, about 1 MiB.
final class PackingBuffer {
    // Invariant: `capacity` bytes allocated in `init`, freed in `deinit`; used by one call at a
    // time (its owner's lock).
    let base: UnsafeMutableRawPointer
    let capacity: Int

    init(sampleSize: Int) {
        capacity = max(1, (1 << 20) / sampleSize) * sampleSize
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        base.deallocate()
    }
}

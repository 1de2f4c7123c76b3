import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// A table's item memory: for each leaf, one mapping holding that leaf for every slot, so an
/// item is `schema.leaves.count` small copies in and out. Reserved up front for the table's
/// capacity and committed by the kernel page by page as slots are first used.
final class ReplayStorage: @unchecked Sendable {
    let schema: Schema
    let capacity: Int

    // Invariant: `bases[i]` is an anonymous private mapping of `capacity × leaves[i].byteCount`
    // bytes (at least one page), zero until written, unmapped in `deinit`, never moved. Slot `s`
    // of leaf `i` is the `byteCount` bytes at `bases[i] + s × byteCount`. The table touches
    // slots only under its lock, so writers and readers of a slot never overlap.
    private let bases: [UnsafeMutableRawPointer]
    private let lengths: [Int]
    /// What `gather` read ahead, kept so that the reads are not optimized away.
    private var readAhead: UInt8 = 0

    /// Maps the memory; nil if the kernel refuses (the caller reports the size).
    init?(schema: Schema, capacity: Int) {
        self.schema = schema
        self.capacity = capacity
        var bases: [UnsafeMutableRawPointer] = []
        var lengths: [Int] = []
        for leaf in schema.leaves {
            let length = max(capacity * leaf.byteCount, 1)
            let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            guard let base, base != MAP_FAILED else {
                zip(bases, lengths).forEach { _ = munmap($0, $1) }
                return nil
            }
            // Huge pages where the kernel offers them: a 512th of the page faults while a table
            // fills, and fewer TLB misses when samples read rows at random. Advice only.
            _ = madvise(base, length, MADV_HUGEPAGE)
            bases.append(base)
            lengths.append(length)
        }
        self.bases = bases
        self.lengths = lengths
    }

    deinit {
        zip(bases, lengths).forEach { _ = munmap($0, $1) }
    }

    /// Copies one packed sample (leaves in flatten order) into `slot`.
    ///
    /// - Precondition: `sample.count == schema.sampleSize` and `slot` is free, below `capacity`.
    func write(_ sample: UnsafeRawBufferPointer, to slot: Int) {
        precondition(sample.count == schema.sampleSize && slot >= 0 && slot < capacity, "write outside the table")
        guard let source = sample.baseAddress else { return }
        for leaf in schema.leaves {
            (bases[leaf.index] + slot * leaf.byteCount).copyMemory(from: source + leaf.offset, byteCount: leaf.byteCount)
        }
    }

    /// Copies the items in `slots`, in order, to the rows of each leaf's batch buffer in `batch`
    /// (a leaf at a time, so the reads of different items overlap).
    ///
    /// - Precondition: `batch[i]` holds at least `slots.count` items of leaf `i`; the slots are
    ///   occupied.
    func gather(_ slots: UnsafeBufferPointer<Int32>, into batch: [UnsafeMutableRawPointer]) {
        precondition(batch.count == bases.count, "one batch buffer per leaf")
        // Small rows: read one byte of each first, in a loop whose reads do not depend on each
        // other, so their cache misses overlap; the copies below then mostly hit the cache.
        // (Large rows are many lines each, which the copy itself streams.)
        var ahead: UInt8 = 0
        for (index, leaf) in schema.leaves.enumerated() where leaf.byteCount <= 64 {
            for slot in slots where slot >= 0 && Int(slot) < capacity {
                ahead |= bases[index].load(fromByteOffset: Int(slot) * leaf.byteCount, as: UInt8.self)
            }
        }
        readAhead = ahead
        for (index, leaf) in schema.leaves.enumerated() {
            let bytes = leaf.byteCount
            let base = bases[index]
            var destination = batch[index]
            for slot in slots {
                precondition(slot >= 0 && Int(slot) < capacity, "gather outside the table")
                destination.copyMemory(from: base + Int(slot) * bytes, byteCount: bytes)
                destination += bytes
            }
        }
    }

    /// Leaf `index` of slots `0..<count`, for checkpoints (written and read whole).
    func region(leaf index: Int, slots count: Int) -> UnsafeMutableRawBufferPointer {
        precondition(count >= 0 && count <= capacity, "region outside the table")
        return UnsafeMutableRawBufferPointer(start: bases[index], count: count * schema.leaves[index].byteCount)
    }
}

import Synchronization

/// Atomic counters, each alone on its own 64-byte cache line so that producers and the consumer
/// updating different counters do not slow each other down (false sharing).
final class PaddedCounters: @unchecked Sendable {
    private static let lineSize = 64

    // Invariant: one allocation of `count` cache lines at 64-byte alignment; the first 8 bytes of
    // each line are bound to and initialized as an `Atomic<UInt64>` in `init`, deinitialized in
    // `deinit`; the rest of each line is padding nobody touches. `subscript` checks the index.
    private let base: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(byteCount: Self.lineSize * count, alignment: Self.lineSize)
        for index in 0..<count {
            (base + Self.lineSize * index).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
                .initialize(to: Atomic(0))
        }
    }

    deinit {
        for index in 0..<count { counter(index).deinitialize(count: 1) }
        base.deallocate()
    }

    subscript(index: Int) -> Atomic<UInt64> {
        unsafeAddress {
            precondition(index >= 0 && index < count, "counter index out of range")
            return UnsafePointer(counter(index))
        }
    }

    private func counter(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (base + Self.lineSize * index).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
}

import Synchronization

/// Which ring slots hold no sample: slots whose producer died (or broke its protocol) after
/// reserving them, which the server completes as invalid so the ring never wedges, and the
/// rest of the last batch at shutdown, so its samples are delivered. A byte per
/// slot (1: invalid) and a count per buffer, so a learner checks one number for the common
/// case of a batch with every sample valid.
///
/// Written only by whoever completes the slots, before the commit that publishes them, and
/// read by the consumer after the acquiring load that saw its batch complete; cleared by the
/// consumer when it releases the batch, before producers may reserve those slots again. Several
/// threads may complete slots of one batch at once (two connections, or one and shutdown), so
/// the per-buffer counts are atomic.
final class SlotValidity: @unchecked Sendable {
    // Invariant: `invalid` has `capacity` bytes, each 0 or 1; `invalidInBuffer[b]` counts the
    // ones in buffer `b`. The ring's commit/release protocol orders every access (see above);
    // completers write disjoint slots.
    private let invalid: UnsafeMutableBufferPointer<UInt8>
    private let invalidInBuffer: PaddedCounters
    private let batchSize: Int

    init(batchSize: Int, numBuffers: Int) {
        self.batchSize = batchSize
        invalid = .allocate(capacity: batchSize * numBuffers)
        invalid.initialize(repeating: 0)
        invalidInBuffer = PaddedCounters(count: numBuffers)
    }

    deinit {
        invalid.deallocate()
    }

    /// Marks slots `firstSlot..<firstSlot + count` (one batch) invalid.
    func markInvalid(firstSlot: Int, count: Int) {
        invalid[firstSlot..<firstSlot + count].update(repeating: 1)
        invalidInBuffer[firstSlot / batchSize].add(UInt64(count), ordering: .relaxed)
    }

    /// Invalid slots in `buffer`.
    func invalidCount(buffer: Int) -> Int { Int(invalidInBuffer[buffer].load(ordering: .relaxed)) }

    /// Whether slot `slot` holds a sample.
    func isValid(slot: Int) -> Bool { invalid[slot] == 0 }

    /// Makes every slot of `buffer` valid again (its batch was released).
    func reset(buffer: Int) {
        guard invalidCount(buffer: buffer) > 0 else { return }
        invalid[buffer * batchSize..<(buffer + 1) * batchSize].update(repeating: 0)
        invalidInBuffer[buffer].store(0, ordering: .relaxed)
    }
}

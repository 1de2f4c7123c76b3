import ChorusCore

/// A v2 client's copies of the samples the server has not acked yet, so they can be sent again
/// after a reconnect. Sequence number `s` lives in slot `s % capacity`; the window guarantees
/// no more than `capacity` are ever retained, so nothing unacked is overwritten.
struct RetainedSamples {
    let capacity: Int
    let sampleSize: Int
    private var storage: [UInt8]

    init(capacity: Int, sampleSize: Int) {
        self.capacity = capacity
        self.sampleSize = sampleSize
        storage = [UInt8](repeating: 0, count: capacity * sampleSize)
    }

    /// Stores packed samples as sequence numbers `first`, `first + 1`, …
    mutating func store(_ packed: UnsafeRawBufferPointer, first: UInt64) {
        let pieces = pieces(first, packed.count / sampleSize)
        storage.withUnsafeMutableBytes { storage in
            for (start, length, offset) in pieces {
                let destination = UnsafeMutableRawBufferPointer(rebasing: storage[start..<start + length])
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: packed[offset..<offset + length]))
            }
        }
    }

    /// Lends the samples `first..<first + count` as one or two contiguous pieces.
    func withSamples<R, E>(first: UInt64, count: Int, _ body: ([UnsafeRawBufferPointer]) throws(E) -> R) throws(E) -> R {
        try storage.withBytes { (storage) throws(E) -> R in
            try body(pieces(first, count).map { start, length, _ in
                UnsafeRawBufferPointer(rebasing: storage[start..<start + length])
            })
        }
    }

    /// Byte ranges (start in storage, length, offset in the input) of `count` samples from `first`.
    private func pieces(_ first: UInt64, _ count: Int) -> [(Int, Int, Int)] {
        precondition(count <= capacity)
        let slot = Int(first % UInt64(capacity))
        let head = min(count, capacity - slot)
        var result = [(slot * sampleSize, head * sampleSize, 0)]
        if count > head { result.append((0, (count - head) * sampleSize, head * sampleSize)) }
        return result
    }
}

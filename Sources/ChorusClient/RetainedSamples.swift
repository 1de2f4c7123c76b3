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

    /// Stores the packed samples in `samples` as records of a table client (each after its
    /// priority, a little-endian `Float64`: v2's layout), as sequence numbers `first`, `first + 1`,
    /// …, writing each record in place.
    ///
    /// - Precondition: `sampleSize` (the record size here) is 8 bytes more than each sample.
    mutating func store(samples: UnsafeRawBufferPointer, priority: (Int) -> Double, first: UInt64) {
        let bytes = sampleSize - 8
        let count = samples.count / bytes
        precondition(count <= capacity && count * bytes == samples.count, "records must fit the window")
        storage.withUnsafeMutableBytes { storage in
            for index in 0..<count {
                let record = Int((first + UInt64(index)) % UInt64(capacity)) * sampleSize
                storage.storeBytes(of: priority(index).bitPattern.littleEndian, toByteOffset: record, as: UInt64.self)
                UnsafeMutableRawBufferPointer(rebasing: storage[record + 8..<record + sampleSize])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: samples[index * bytes..<(index + 1) * bytes]))
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

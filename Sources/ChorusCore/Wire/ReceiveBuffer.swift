/// A connection's receive buffer, and the framing of its byte stream into whole samples: bytes
/// arrive in pieces of any size, whole samples leave from the front, a partial one waits.
///
/// Kept free of sockets and rings so the framing can be tested and fuzzed on its own
/// (`Tests/Fuzz/FramerFuzzer/FramerFuzzer.swift`).
package struct ReceiveBuffer: ~Copyable {
    // Pointer invariant: `storage` is allocated in `init` and freed in `deinit`; the owner lets
    // the buffer die only when no receive is in flight. Bytes `start..<filled` are received and
    // not yet consumed; a receive in flight writes only into `filled..<capacity` (`freeSpace`).
    @usableFromInline let storage: UnsafeMutableRawBufferPointer
    @usableFromInline var start = 0
    @usableFromInline var filled = 0

    package init(capacity: Int) {
        precondition(capacity > 0)
        storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    package var capacity: Int { storage.count }

    /// Bytes received and not yet consumed.
    @inlinable
    package var unconsumed: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[start..<filled]) }
    @inlinable
    package var isEmpty: Bool { start == filled }
    @inlinable
    package var isFull: Bool { filled == storage.count }

    /// Whole samples of `sampleSize` bytes at the front.
    @inlinable
    package func wholeSamples(of sampleSize: Int) -> Int { (filled - start) / sampleSize }

    /// Where the next receive may write. With `sampleSize`, only up to the end of the sample in
    /// progress, so whole samples behind it can be read elsewhere (straight into the ring).
    @inlinable
    package func freeSpace(endingAtSampleOf sampleSize: Int? = nil) -> UnsafeMutableRawBufferPointer {
        var end = storage.count
        if let sampleSize { end = min(end, filled + sampleSize - (filled - start) % sampleSize) }
        return UnsafeMutableRawBufferPointer(rebasing: storage[filled..<end])
    }

    /// `count` bytes were written at the front of `freeSpace`.
    @inlinable
    package mutating func didReceive(_ count: Int) {
        precondition(count >= 0 && count <= storage.count - filled, "received beyond the free space")
        filled += count
    }

    /// The first `count` unconsumed bytes were used.
    @inlinable
    package mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= filled - start, "consumed more than was received")
        start += count
    }

    /// Drops everything received.
    @inlinable
    package mutating func removeAll() {
        start = 0
        filled = 0
    }

    /// Moves the unconsumed bytes to the front, so the next receive has the most room. After it,
    /// a buffer of at least one sample's capacity that holds no whole sample has free space.
    @inlinable
    package mutating func compact() {
        guard start > 0 else { return }
        let count = filled - start
        if count > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count) }
        start = 0
        filled = count
    }
}

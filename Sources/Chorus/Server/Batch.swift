import ChorusCore

/// A full batch the consumer holds: every leaf as a zero-copy typed view.
///
/// ```swift
/// while let batch = server.next() {
///     let obs = try batch["obs", as: Float.self]   // shape (batchSize, 4)
///     try obs.withUnsafeBufferPointer { train($0) }
/// }
/// ```
///
/// Views lend the ring's memory until the next batch is taken; reading one later throws
/// ``BatchError/released(batch:)``.
public struct Batch: Sendable {
    let ring: Ring
    /// The batch's sequence number: 0 for the first batch delivered, then 1, 2, …
    public let sequenceNumber: UInt64

    public var schema: Schema { ring.schema }
    public var batchSize: Int { ring.batchSize }

    /// Samples of this batch that hold nothing: slots a same-host producer had reserved when it
    /// died, completed zero-filled so the ring goes on, and the empty rest of the last batch
    /// after ``Server/shutdown()``. 0 for almost every batch; when not, ``isValid(_:)`` says
    /// which.
    public var invalidCount: Int {
        get throws(BatchError) {
            try checkHeld()
            return ring.validity.invalidCount(buffer: buffer)
        }
    }

    /// Whether sample `index` (0..<batchSize) holds a sample (see ``invalidCount``).
    public func isValid(_ index: Int) throws(BatchError) -> Bool {
        precondition(index >= 0 && index < batchSize, "sample \(index) is outside the batch of \(batchSize)")
        try checkHeld()
        return ring.validity.isValid(slot: firstSlot + index)
    }

    /// Writes 1 for each sample that holds data and 0 for each that does not into `valid`
    /// (`batchSize` bytes), checking once that the batch is held: for the C ABI's mask.
    package func writeValidity(into valid: UnsafeMutableBufferPointer<UInt8>) throws(BatchError) {
        precondition(valid.count == batchSize, "a validity mask of \(valid.count) bytes for a batch of \(batchSize)")
        try checkHeld()
        for index in valid.indices { valid[index] = ring.validity.isValid(slot: firstSlot + index) ? 1 : 0 }
    }

    /// The leaf at `path` as elements of type `T`.
    public subscript<T: LeafElement>(path: String, as type: T.Type) -> LeafBatch<T> {
        get throws(BatchError) {
            guard let leaf = schema.leaf(at: path) else {
                throw .unknownLeaf(path, known: schema.leaves.map(\.path))
            }
            return try view(of: leaf, as: type)
        }
    }

    /// The leaf at position `index` of flatten order as elements of type `T`.
    ///
    /// - Precondition: `index` is a position in `schema.leaves`.
    public subscript<T: LeafElement>(leaf index: Int, as type: T.Type) -> LeafBatch<T> {
        get throws(BatchError) {
            precondition(schema.leaves.indices.contains(index), "leaf \(index) is outside the schema's \(schema.leaves.count)")
            return try view(of: schema.leaves[index], as: type)
        }
    }

    /// Lends the raw bytes of the leaf at position `index` of flatten order across the batch
    /// (`batchSize × leaf bytes`, C order) for the duration of `body`, for copying it whole: to a
    /// file, a socket, a device. The pointer must not escape `body`.
    public func withUnsafeBytes<R>(leaf index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(try unscopedBytes(leaf: index))
    }

    /// The bytes of leaf `index` across the batch, without a scope: for the C ABI, whose callers
    /// (NumPy views) outlive any closure. The memory never moves and lives as long as the server;
    /// it holds this batch's samples only while the consumer holds the batch (checked here, and
    /// the caller's to respect afterwards).
    package func unscopedBytes(leaf index: Int) throws(BatchError) -> UnsafeRawBufferPointer {
        precondition(schema.leaves.indices.contains(index), "leaf \(index) is outside the schema's \(schema.leaves.count)")
        try checkHeld()
        return ring.storage.bytes(leaf: index, firstSlot: firstSlot, count: batchSize)
    }

    /// Throws unless the consumer still holds this batch.
    func checkHeld() throws(BatchError) {
        guard ring.isHeld(sequenceNumber) else { throw .released(batch: sequenceNumber) }
    }

    private var buffer: Int { Int(sequenceNumber % UInt64(ring.numBuffers)) }
    private var firstSlot: Int { buffer * batchSize }

    private func view<T: LeafElement>(of leaf: FlatLeaf, as _: T.Type) throws(BatchError) -> LeafBatch<T> {
        guard leaf.dtype == T.dtype else {
            throw .elementTypeMismatch(path: leaf.path, leaf: leaf.dtype, requested: T.dtype)
        }
        try checkHeld()
        if T.self == Bool.self,
           let offset = ring.storage.firstInvalidBool(leaf: leaf.index, firstSlot: firstSlot, count: batchSize) {
            throw .invalidBool(path: leaf.path, byteOffset: offset)
        }
        return LeafBatch(
            path: leaf.path,
            shape: [batchSize] + leaf.shape,
            batch: self,
            elements: ring.storage.view(leaf: leaf.index, firstSlot: firstSlot, count: batchSize, as: T.self))
    }
}

/// A full batch the consumer holds: every leaf as a zero-copy typed view.
///
/// ```swift
/// while let batch = server.next() {
///     let obs = try batch["obs", as: Float.self]   // shape (batchSize, 4)
///     train(obs.buffer)
/// }
/// ```
///
/// Views are valid until the next batch is taken; asking for a view later throws
/// ``BatchError/released(batch:)``.
public struct Batch: Sendable {
    let ring: Ring
    /// The batch's sequence number: 0 for the first batch delivered, then 1, 2, …
    public let sequenceNumber: UInt64

    public var schema: Schema { ring.schema }
    public var batchSize: Int { ring.batchSize }

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
    public subscript<T: LeafElement>(leaf index: Int, as type: T.Type) -> LeafBatch<T> {
        get throws(BatchError) {
            try view(of: schema.leaves[index], as: type)
        }
    }

    /// The raw bytes of the leaf at position `index` of flatten order across the batch
    /// (`batchSize × leaf bytes`, C order), for copying it whole: to a file, a socket, a device.
    public func bytes(leaf index: Int) throws(BatchError) -> UnsafeRawBufferPointer {
        guard ring.isHeld(sequenceNumber) else { throw .released(batch: sequenceNumber) }
        return ring.storage.bytes(leaf: index, firstSlot: firstSlot, count: batchSize)
    }

    private var firstSlot: Int { Int(sequenceNumber % UInt64(ring.numBuffers)) * batchSize }

    private func view<T: LeafElement>(of leaf: FlatLeaf, as _: T.Type) throws(BatchError) -> LeafBatch<T> {
        guard leaf.dtype == T.dtype else {
            throw .elementTypeMismatch(path: leaf.path, leaf: leaf.dtype, requested: T.dtype)
        }
        guard ring.isHeld(sequenceNumber) else { throw .released(batch: sequenceNumber) }
        if T.self == Bool.self,
           let offset = ring.storage.firstInvalidBool(leaf: leaf.index, firstSlot: firstSlot, count: batchSize) {
            throw .invalidBool(path: leaf.path, byteOffset: offset)
        }
        return LeafBatch(
            path: leaf.path,
            shape: [batchSize] + leaf.shape,
            buffer: ring.storage.view(leaf: leaf.index, firstSlot: firstSlot, count: batchSize, as: T.self))
    }
}

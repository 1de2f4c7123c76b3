import ChorusCore

/// A batch sampled from a ``ReplayTable``: each leaf gathered into its own C-order array of
/// shape `(batchSize, *leaf.shape)` (one copy, as Reverb makes), with what each item was drawn
/// with, for importance weights.
///
/// ```swift
/// let sample = try table.sample(batchSize: 256)
/// let weights = zip(sample.probabilities, sample.tableSizes).map { 1 / (Double($1) * $0) }
/// try sample.withLeaf("obs", as: Float.self) { obs in train(obs, weights) }   // (256, 4)
/// try table.updatePriorities(Dictionary(uniqueKeysWithValues: zip(sample.keys, newPriorities)))
/// ```
///
/// The sample owns its memory: it stays valid however the table changes afterwards.
public final class ReplaySample: @unchecked Sendable {
    public let schema: Schema
    public let batchSize: Int
    /// Each item's key, for ``ReplayTable/updatePriorities(_:)`` and ``ReplayTable/delete(_:)``.
    public let keys: [UInt64]
    /// The probability each item was drawn with (1 for the deterministic selectors).
    public let probabilities: [Double]
    /// Each item's priority when it was drawn.
    public let priorities: [Double]
    /// How many times each item has been sampled, this draw included.
    public let timesSampled: [Int]
    /// The table's size as each item was drawn.
    public let tableSizes: [Int]

    // Invariant: `leaves[i]` is a 64-byte-aligned allocation of `batchSize × leaf i's bytes`,
    // filled by the table before `init` and never written again; freed in `deinit`.
    private let leaves: [UnsafeMutableRawPointer]

    /// Allocates the batch memory (uninitialized until `fill` writes every row), lets `fill`
    /// write it, and keeps what `fill` reports.
    init(schema: Schema, batchSize: Int,
         fill: ([UnsafeMutableRawPointer]) throws(ReplayError) -> ReplayDraws) throws(ReplayError) {
        let leaves = schema.leaves.map {
            UnsafeMutableRawPointer.allocate(byteCount: max(batchSize * $0.byteCount, 1), alignment: 64)
        }
        let draws: ReplayDraws
        do {
            draws = try fill(leaves)
        } catch {
            leaves.forEach { $0.deallocate() }
            throw error
        }
        self.schema = schema
        self.batchSize = batchSize
        self.leaves = leaves
        keys = draws.keys
        probabilities = draws.probabilities
        priorities = draws.priorities
        timesSampled = draws.timesSampled
        tableSizes = draws.tableSizes
    }

    deinit {
        leaves.forEach { $0.deallocate() }
    }

    /// `(batchSize, *leaf.shape)` of the leaf at `path`.
    public func shape(of path: String) throws(BatchError) -> [Int] {
        [batchSize] + (try leaf(at: path)).shape
    }

    /// Lends the leaf at `path` as elements of `T` for the duration of `body` (the pointer must
    /// not escape it).
    public func withLeaf<T: LeafElement, R>(_ path: String, as _: T.Type,
                                            _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        try body(try elements(of: try leaf(at: path), as: T.self))
    }

    /// Lends the leaf at `path` as a `Span` of `T` for the duration of `body`.
    public func withSpan<T: LeafElement, R>(_ path: String, as _: T.Type, _ body: (Span<T>) throws -> R) throws -> R {
        try body(try elements(of: try leaf(at: path), as: T.self).span)
    }

    /// A copy of the leaf at `path`, in C order.
    public func leaf<T: LeafElement>(_ path: String, as _: T.Type) throws(BatchError) -> [T] {
        Array(try elements(of: try leaf(at: path), as: T.self))
    }

    /// The raw bytes of leaf `index` (`batchSize × leaf bytes`), without a scope: for the C ABI,
    /// whose callers keep this object alive as long as they use the bytes.
    package func unscopedBytes(leaf index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: leaves[index], count: batchSize * schema.leaves[index].byteCount)
    }

    private func leaf(at path: String) throws(BatchError) -> FlatLeaf {
        guard let leaf = schema.leaf(at: path) else { throw .unknownLeaf(path, known: schema.leaves.map(\.path)) }
        return leaf
    }

    private func elements<T: LeafElement>(of leaf: FlatLeaf, as _: T.Type) throws(BatchError) -> UnsafeBufferPointer<T> {
        guard leaf.dtype == T.dtype, MemoryLayout<T>.stride == leaf.dtype.itemSize else {
            throw .elementTypeMismatch(path: leaf.path, leaf: leaf.dtype, requested: T.dtype)
        }
        let bytes = unscopedBytes(leaf: leaf.index)
        if T.self == Bool.self, let offset = bytes.firstIndex(where: { $0 > 1 }) {
            throw .invalidBool(path: leaf.path, byteOffset: offset)
        }
        // Aligned (64-byte allocation, rows a multiple of the item size) and bound only ever to
        // this leaf's one element type.
        return bytes.bindMemory(to: T.self)
    }
}

/// What a table reports about the items it drew into a batch, row by row.
package struct ReplayDraws: Sendable {
    package var keys: [UInt64] = []
    package var probabilities: [Double] = []
    package var priorities: [Double] = []
    package var timesSampled: [Int] = []
    package var tableSizes: [Int] = []

    /// Room for `capacity` draws.
    init(capacity: Int) {
        keys.reserveCapacity(capacity)
        priorities.reserveCapacity(capacity)
        timesSampled.reserveCapacity(capacity)
        tableSizes.reserveCapacity(capacity)
    }
}

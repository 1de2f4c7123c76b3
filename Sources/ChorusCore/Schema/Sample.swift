/// One sample packed in its schema's layout: the leaves' bytes concatenated in flatten order,
/// exactly as both wire protocols carry it.
///
/// Every write is checked against the schema (path, dtype, element count), so a packed
/// `Sample` always has the right size and each leaf the right type. Reuse one `Sample` across
/// submissions to avoid allocating per sample.
///
/// ```swift
/// var sample = Sample(schema: schema)
/// try sample.set("obs", to: [0.1, 0.2, 0.3, 0.4] as [Float])
/// try sample.set("reward", to: Float(1))
/// try server.submit(sample)
/// ```
public struct Sample: Hashable, Sendable {
    public let schema: Schema
    /// The packed bytes, `schema.sampleSize` of them.
    public private(set) var bytes: [UInt8]

    /// A sample with every byte zero.
    public init(schema: Schema) {
        self.schema = schema
        self.bytes = [UInt8](repeating: 0, count: schema.sampleSize)
    }

    /// Writes all elements of the leaf at `path`, in C order.
    @inlinable
    public mutating func set<T: LeafElement>(
        _ path: String, to values: some Collection<T>
    ) throws(SampleError) {
        // Inlinable so callers specialize it for their collection type; the checks and the copy
        // live in the non-generic `write(_:dtype:elementCount:bytes:)`.
        let failure = values.withContiguousStorageIfAvailable {
            write(path, dtype: T.dtype, elementCount: $0.count, bytes: UnsafeRawBufferPointer($0))
        } ?? Array(values).withUnsafeBytes {
            write(path, dtype: T.dtype, elementCount: values.count, bytes: $0)
        }
        if let failure { throw failure }
    }

    /// Checks `path`, `dtype` and `elementCount` against the schema, then copies `source` into
    /// the leaf; returns the error instead when a check fails.
    @usableFromInline
    mutating func write(
        _ path: String, dtype: DType, elementCount: Int, bytes source: UnsafeRawBufferPointer
    ) -> SampleError? {
        let leaf: FlatLeaf
        do {
            leaf = try checkedLeaf(path, dtype)
        } catch {
            return error
        }
        guard elementCount == leaf.elementCount else {
            return .wrongElementCount(path: path, expected: leaf.elementCount, given: elementCount)
        }
        // `source` holds `elementCount` elements of the leaf's dtype: exactly `byteCount` bytes.
        replaceBytes(at: leaf.offset, with: source)
        return nil
    }

    /// Copies `source` over the packed bytes starting at `offset`.
    package mutating func replaceBytes(at offset: Int, with source: UnsafeRawBufferPointer) {
        precondition(offset >= 0 && offset + source.count <= bytes.count, "write outside the sample")
        bytes.withUnsafeMutableBytes { sample in
            UnsafeMutableRawBufferPointer(rebasing: sample[offset..<offset + source.count]).copyMemory(from: source)
        }
    }

    /// Writes a one-element leaf (a scalar, or a shape of all ones).
    @inlinable
    public mutating func set<T: LeafElement>(_ path: String, to value: T) throws(SampleError) {
        let failure = Swift.withUnsafeBytes(of: value) { write(path, dtype: T.dtype, elementCount: 1, bytes: $0) }
        if let failure { throw failure }
    }

    /// The elements of the leaf at `path`, in C order.
    public func values<T: LeafElement>(_ path: String, as type: T.Type) throws(SampleError) -> [T] {
        let leaf = try checkedLeaf(path, T.dtype)
        return bytes.withUnsafeBytes { sample in
            (0..<leaf.elementCount).map {
                sample.loadUnaligned(fromByteOffset: leaf.offset + $0 * MemoryLayout<T>.stride, as: T.self)
            }
        }
    }

    /// Lends the packed bytes.
    public func withUnsafeBytes<R, E>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try bytes.withBytes(body)
    }

    private func checkedLeaf(_ path: String, _ dtype: DType) throws(SampleError) -> FlatLeaf {
        guard let leaf = schema.leaf(at: path) else { throw .unknownLeaf(path) }
        guard leaf.dtype == dtype else {
            throw .dtypeMismatch(path: path, leaf: leaf.dtype, given: dtype)
        }
        return leaf
    }
}

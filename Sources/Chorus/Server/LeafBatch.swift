/// One leaf across a whole batch: a zero-copy, typed, C-order view into the ring.
///
/// Valid until the consumer takes the next batch (or its `withNextBatch` closure returns);
/// copy what must live longer.
public struct LeafBatch<Element: LeafElement> {
    /// The leaf's dotted path.
    public let path: String
    /// `(batchSize, *leaf.shape)`.
    public let shape: [Int]
    /// `shape.reduce(1, *)` elements.
    public let buffer: UnsafeBufferPointer<Element>

    /// The elements of sample `index` of the batch.
    public subscript(sample index: Int) -> Slice<UnsafeBufferPointer<Element>> {
        let stride = buffer.count / shape[0]
        return buffer[index * stride..<(index + 1) * stride]
    }
}

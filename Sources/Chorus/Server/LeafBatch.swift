import ChorusCore

/// One leaf across a whole batch: a zero-copy, typed, C-order view into the ring, shaped
/// `(batchSize, *leaf.shape)`.
///
/// The memory is lent, never handed out: read it inside ``withSpan(_:)`` or
/// ``withUnsafeBufferPointer(_:)``, or copy it with ``toArray()`` or ``subscript(sample:)``.
/// Each of these checks that the consumer still holds the batch and throws
/// ``BatchError/released(batch:)`` once it has moved on (the slots may already hold newer
/// samples). Do not take the next batch inside the closure.
///
/// ```swift
/// let obs = try batch["obs", as: Float.self]         // shape [32, 4]
/// let total = try obs.withSpan { span in
///     (0..<span.count).reduce(0) { $0 + span[$1] }
/// }
/// ```
public struct LeafBatch<Element: LeafElement> {
    /// The leaf's dotted path.
    public let path: String
    /// `(batchSize, *leaf.shape)`.
    public let shape: [Int]
    let batch: Batch
    // Invariant: points into the ring's storage for this leaf and batch (`RingStorage.view`),
    // which lives as long as `batch` refers to it; read only after `batch.checkHeld()`.
    private let elements: UnsafeBufferPointer<Element>

    init(path: String, shape: [Int], batch: Batch, elements: UnsafeBufferPointer<Element>) {
        self.path = path
        self.shape = shape
        self.batch = batch
        self.elements = elements
    }

    /// `shape.reduce(1, *)`: the elements of every sample of the batch.
    public var count: Int { elements.count }

    /// Lends the elements as a `Span` for the duration of `body`.
    public func withSpan<R>(_ body: (Span<Element>) throws -> R) throws -> R {
        try batch.checkHeld()
        return try body(elements.span)
    }

    /// Lends the elements as an `UnsafeBufferPointer` for the duration of `body`: for C APIs,
    /// BLAS, or a copy to a device. The pointer must not escape `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) throws -> R {
        try batch.checkHeld()
        return try body(elements)
    }

    /// A copy of every element, in C order.
    public func toArray() throws(BatchError) -> [Element] {
        try batch.checkHeld()
        return Array(elements)
    }

    /// A copy of the elements of sample `index` of the batch.
    ///
    /// - Precondition: `0 <= index < shape[0]` (checked in every build configuration).
    public subscript(sample index: Int) -> [Element] {
        get throws(BatchError) {
            precondition(index >= 0 && index < shape[0], "sample \(index) is outside the batch of \(shape[0])")
            try batch.checkHeld()
            let stride = elements.count / shape[0]
            return Array(elements[index * stride..<(index + 1) * stride])
        }
    }
}

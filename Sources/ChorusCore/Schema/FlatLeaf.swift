/// A validated leaf placed in a sample: where it sits in flatten order and in the sample's bytes.
public struct FlatLeaf: Hashable, Sendable {
    /// The dotted path, e.g. `obs`, `info.done`, `frames.0`; empty when the whole schema is one leaf.
    public let path: String
    public let leaf: Leaf
    /// Position in flatten order.
    public let index: Int
    /// Byte offset of this leaf within a packed sample.
    public let offset: Int
    /// Elements in one sample's copy of the leaf (1 for a scalar).
    public let elementCount: Int
    /// Bytes in one sample's copy of the leaf.
    public let byteCount: Int

    public var dtype: DType { leaf.dtype }
    public var shape: [Int] { leaf.shape }
}

import ChorusCore

/// Why a leaf view could not be lent from a ``Batch``.
public enum BatchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The schema has no leaf at this path.
    case unknownLeaf(String, known: [String])
    /// The requested element type is not the leaf's dtype.
    case elementTypeMismatch(path: String, leaf: DType, requested: DType)
    /// A `bool` leaf holds a byte other than 0 or 1, which Swift's `Bool` cannot represent.
    case invalidBool(path: String, byteOffset: Int)
    /// The consumer has moved on: this batch's memory may already hold newer samples.
    case released(batch: UInt64)

    public var description: String {
        switch self {
        case .unknownLeaf(let path, let known):
            "no leaf \"\(path)\"; the schema has \(known.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .elementTypeMismatch(let path, let leaf, let requested):
            "leaf \"\(path)\" is \(leaf), requested as \(requested)"
        case .invalidBool(let path, let offset):
            "bool leaf \"\(path)\" holds a byte other than 0 or 1 at offset \(offset) of the batch"
        case .released(let batch):
            "batch \(batch) was released; views are valid only until the next batch is taken"
        }
    }
}

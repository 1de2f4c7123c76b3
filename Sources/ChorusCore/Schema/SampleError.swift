/// Why values could not be written into a ``Sample``.
public enum SampleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The schema has no leaf at this path.
    case unknownLeaf(String)
    /// The values' element type is not the leaf's dtype.
    case dtypeMismatch(path: String, leaf: DType, given: DType)
    /// The number of values is not the leaf's element count.
    case wrongElementCount(path: String, expected: Int, given: Int)

    public var description: String {
        switch self {
        case .unknownLeaf(let path):
            "no leaf \"\(path)\" in the schema"
        case .dtypeMismatch(let path, let leaf, let given):
            "leaf \"\(path)\" is \(leaf), given \(given) values"
        case .wrongElementCount(let path, let expected, let given):
            "leaf \"\(path)\" holds \(expected) elements, given \(given)"
        }
    }
}

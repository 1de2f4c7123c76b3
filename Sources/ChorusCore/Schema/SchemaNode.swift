/// A node of a sample's pytree: a typed array, a dict of named children, or a list of children.
///
/// Build one with literals and validate it with ``Schema/init(_:)``:
///
/// ```swift
/// let schema = try Schema([
///     "obs": .leaf(.float32, 4),
///     "reward": .leaf(.float32),
///     "frames": [.leaf(.uint8, 84, 84), .leaf(.uint8, 84, 84)],
/// ])
/// ```
public indirect enum SchemaNode: Hashable, Sendable {
    case leaf(Leaf)
    case dict([String: SchemaNode])
    case list([SchemaNode])

    /// A leaf of `dtype` with the given dimensions (none for a scalar).
    public static func leaf(_ dtype: DType, _ shape: Int...) -> SchemaNode {
        .leaf(Leaf(dtype, shape))
    }
}

extension SchemaNode: ExpressibleByDictionaryLiteral {
    /// A dict node. Like `Dictionary`, a literal with a key written twice traps.
    public init(dictionaryLiteral elements: (String, SchemaNode)...) {
        self = .dict(Dictionary(uniqueKeysWithValues: elements))
    }
}

extension SchemaNode: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: SchemaNode...) {
        self = .list(elements)
    }
}

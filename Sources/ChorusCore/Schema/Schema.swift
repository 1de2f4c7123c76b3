/// The validated layout of one sample: a pytree of typed arrays, flattened in optree's order.
///
/// Flatten order is optree's, so a Python `example` pytree and a `Schema` agree leaf by leaf:
/// depth first, dict keys sorted (by their UTF-8 bytes, which is code point order), lists in
/// order. A packed sample is the leaves' bytes concatenated in that order, the layout of both
/// wire protocols.
///
/// Two schemas are equal when their canonical texts (``canonicalJSON``) are equal.
public struct Schema: Hashable, Sendable, CustomStringConvertible {
    /// Dicts and lists may nest at most this deep.
    public static let maximumDepth = 64

    private let storage: Storage

    /// Validates `root` and lays out its leaves.
    public init(_ root: SchemaNode) throws(SchemaError) {
        var leaves: [FlatLeaf] = []
        var offset = 0
        try Self.flatten(root, path: "", depth: 0, into: &leaves, offset: &offset)
        storage = Storage(root: root, leaves: leaves, sampleSize: offset)
    }

    /// The tree this schema was built from.
    public var root: SchemaNode { storage.root }
    /// Every leaf in flatten order.
    public var leaves: [FlatLeaf] { storage.leaves }
    /// Bytes in one packed sample (always at least 1).
    public var sampleSize: Int { storage.sampleSize }
    /// The canonical text of the wire protocol: keys sorted, no whitespace.
    public var canonicalJSON: String { storage.canonicalJSON }

    /// The leaf at a dotted path, or `nil` when there is none.
    public func leaf(at path: String) -> FlatLeaf? {
        storage.indexByPath[path].map { storage.leaves[$0] }
    }

    public var description: String { canonicalJSON }

    public static func == (lhs: Schema, rhs: Schema) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.canonicalJSON == rhs.storage.canonicalJSON
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.canonicalJSON)
    }
}

extension Schema {
    /// Immutable and shared by every copy, so comparing two copies of one schema is a pointer check.
    private final class Storage: Sendable {
        let root: SchemaNode
        let leaves: [FlatLeaf]
        let sampleSize: Int
        let canonicalJSON: String
        let indexByPath: [String: Int]

        init(root: SchemaNode, leaves: [FlatLeaf], sampleSize: Int) {
            self.root = root
            self.leaves = leaves
            self.sampleSize = sampleSize
            self.canonicalJSON = SchemaJSONWriter.canonical(root)
            self.indexByPath = Dictionary(uniqueKeysWithValues: leaves.map { ($0.path, $0.index) })
        }
    }

    /// Dict keys in optree's order: sorted by UTF-8 bytes.
    package static func sortedKeys<Value>(_ dict: [String: Value]) -> [String] {
        dict.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func childPath(_ parent: String, _ component: String) -> String {
        parent.isEmpty ? component : parent + "." + component
    }

    private static func flatten(
        _ node: SchemaNode, path: String, depth: Int, into leaves: inout [FlatLeaf], offset: inout Int
    ) throws(SchemaError) {
        guard depth <= maximumDepth else { throw SchemaError(path: path, problem: .tooDeep) }
        switch node {
        case .leaf(let leaf):
            let (elements, bytes) = try layout(of: leaf, at: path)
            let (end, overflow) = offset.addingReportingOverflow(bytes)
            guard !overflow else { throw SchemaError(path: path, problem: .sizeOverflow) }
            leaves.append(FlatLeaf(
                path: path, leaf: leaf, index: leaves.count, offset: offset,
                elementCount: elements, byteCount: bytes))
            offset = end
        case .dict(let children):
            guard !children.isEmpty else { throw emptyContainerError(path: path, depth: depth) }
            for key in sortedKeys(children) {
                guard !key.isEmpty, !key.contains(".") else {
                    throw SchemaError(path: path, problem: .invalidKey(key))
                }
                try flatten(children[key]!, path: childPath(path, key), depth: depth + 1,
                            into: &leaves, offset: &offset)
            }
        case .list(let children):
            guard !children.isEmpty else { throw emptyContainerError(path: path, depth: depth) }
            for (position, child) in children.enumerated() {
                try flatten(child, path: childPath(path, String(position)), depth: depth + 1,
                            into: &leaves, offset: &offset)
            }
        }
    }

    /// Every container holds at least one leaf, so the schema is empty only when its root is.
    private static func emptyContainerError(path: String, depth: Int) -> SchemaError {
        SchemaError(path: path, problem: depth == 0 ? .emptySchema : .emptyContainer)
    }

    /// Element and byte count of one leaf, refusing negative or zero dimensions and overflow.
    private static func layout(of leaf: Leaf, at path: String) throws(SchemaError) -> (Int, Int) {
        var elements = 1
        for dim in leaf.shape {
            guard dim >= 0 else { throw SchemaError(path: path, problem: .negativeDimension(dim)) }
            guard dim > 0 else { throw SchemaError(path: path, problem: .zeroSizeLeaf(leaf)) }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SchemaError(path: path, problem: .sizeOverflow) }
            elements = product
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: leaf.dtype.itemSize)
        guard !overflow else { throw SchemaError(path: path, problem: .sizeOverflow) }
        return (elements, bytes)
    }
}

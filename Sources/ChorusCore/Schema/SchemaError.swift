/// Why a schema was refused, and where: every message names the path of the offending node.
public struct SchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Error, Hashable, Sendable {
        /// A leaf names a dtype that does not exist.
        case unknownDType(String)
        /// A leaf string is not of the form `dtype[d0,d1,…]`.
        case malformedLeaf(String)
        /// A dimension is below zero.
        case negativeDimension(Int)
        /// A dimension is zero, so the leaf holds no bytes (id-echo fabricates phantom samples
        /// from such payloads, so they are refused up front).
        case zeroSizeLeaf(Leaf)
        /// The schema has no leaf at all.
        case emptySchema
        /// A dict or list without children.
        case emptyContainer
        /// A dict key that is empty or contains `.`, the path separator.
        case invalidKey(String)
        /// The same key twice in one dict.
        case duplicateKey(String)
        /// A leaf or the whole sample is larger than `Int.max` bytes.
        case sizeOverflow
        /// Dicts and lists nested deeper than ``Schema/maximumDepth``.
        case tooDeep
        /// The schema text is not valid JSON of the schema file format.
        case syntax(String, line: Int, column: Int)
    }

    /// The dotted path of the node at fault (`info.done`, `frames.0`); empty for the root.
    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        let place = path.isEmpty ? "schema root" : "schema \"\(path)\""
        switch problem {
        case .unknownDType(let name):
            let known = DType.allCases.map(\.rawValue).joined(separator: " ")
            return "\(place): unknown dtype \"\(name)\" (known: \(known))"
        case .malformedLeaf(let text):
            return "\(place): malformed leaf \"\(text)\", expected dtype[d0,d1,…] such as \"float32[4]\" or \"bool[]\""
        case .negativeDimension(let dim):
            return "\(place): negative dimension \(dim)"
        case .zeroSizeLeaf(let leaf):
            return "\(place): leaf \(leaf) has a zero dimension and so zero bytes; every leaf must hold at least one element"
        case .emptySchema:
            return "\(place): the schema has no leaves (a sample would be zero bytes)"
        case .emptyContainer:
            return "\(place): empty dict or list; every container needs at least one leaf below it"
        case .invalidKey(let key):
            return "\(place): invalid key \"\(key)\": keys must be non-empty and must not contain \".\""
        case .duplicateKey(let key):
            return "\(place): duplicate key \"\(key)\""
        case .sizeOverflow:
            return "\(place): size overflows (more than \(Int.max) bytes)"
        case .tooDeep:
            return "\(place): nested deeper than \(Schema.maximumDepth) levels"
        case .syntax(let message, let line, let column):
            return "\(place): \(message) at line \(line), column \(column)"
        }
    }
}

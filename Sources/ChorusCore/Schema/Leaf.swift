/// One typed array of a sample: an element type and a shape (`[]` for a scalar).
///
/// A `Leaf` is a description only; ``Schema`` validates it (no negative or zero dimension, no
/// overflow) and places it in the sample as a ``FlatLeaf``.
public struct Leaf: Hashable, Sendable, CustomStringConvertible {
    public let dtype: DType
    public let shape: [Int]

    public init(_ dtype: DType, _ shape: [Int] = []) {
        self.dtype = dtype
        self.shape = shape
    }

    /// The schema file spelling, `dtype[d0,d1,…]`, e.g. `float32[84,84]` or `bool[]`.
    public var description: String {
        "\(dtype)[\(shape.map(String.init).joined(separator: ","))]"
    }
}

extension Leaf {
    /// Parses the schema file spelling `dtype[d0,d1,…]`; spaces around dimensions are allowed.
    init(parsing text: String) throws(SchemaError.Problem) {
        guard let open = text.firstIndex(of: "["), text.last == "]" else {
            throw .malformedLeaf(text)
        }
        let name = String(text[..<open])
        guard let dtype = DType(rawValue: name) else { throw .unknownDType(name) }
        let inner = trimmed(text[text.index(after: open)..<text.index(before: text.endIndex)])
        var shape: [Int] = []
        if !inner.isEmpty {
            for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                let token = trimmed(part)
                let digits = token.first == "-" ? token.dropFirst() : token
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw .malformedLeaf(text)
                }
                guard let dim = Int(token) else { throw .sizeOverflow }
                shape.append(dim)
            }
        }
        self.init(dtype, shape)
    }
}

private func trimmed(_ text: Substring) -> Substring {
    var text = text
    while text.first?.isWhitespace == true { text.removeFirst() }
    while text.last?.isWhitespace == true { text.removeLast() }
    return text
}

/// Where a model's named matrices and vectors live in one flat `[Float]` buffer.
///
/// A parameter's position in the layout is its *parameter id* in the noise key (see ``Noise``),
/// so two processes with the same layout perturb the same numbers the same way.
public struct ParameterLayout: Sendable, Hashable, Codable {
    /// One named parameter: a `rows × columns` matrix (row-major; `y = W·x` maps `columns`
    /// inputs to `rows` outputs) or a vector (`columns == nil`).
    public struct Entry: Sendable, Hashable, Codable {
        public let name: String
        public let rows: Int
        public let columns: Int?
        /// First element in the flat buffer.
        public let offset: Int

        public var isMatrix: Bool { columns != nil }
        public var count: Int { rows * (columns ?? 1) }
        public var range: Range<Int> { offset ..< offset + count }
    }

    public private(set) var entries: [Entry] = []
    /// Total number of floats.
    public private(set) var count = 0

    public init() {}

    /// Appends a `rows × columns` matrix named `name`; returns its parameter id.
    @discardableResult
    public mutating func addMatrix(_ name: String, rows: Int, columns: Int) -> Int {
        precondition(columns > 0, "a matrix needs at least one column")
        return add(name, rows: rows, columns: columns)
    }

    /// Appends a vector of `count` floats named `name`; returns its parameter id.
    @discardableResult
    public mutating func addVector(_ name: String, count: Int) -> Int {
        add(name, rows: count, columns: nil)
    }

    /// The id of the parameter named `name`.
    public func id(of name: String) -> Int? {
        entries.firstIndex { $0.name == name }
    }

    private mutating func add(_ name: String, rows: Int, columns: Int?) -> Int {
        precondition(rows > 0, "a parameter needs at least one element")
        precondition(id(of: name) == nil, "duplicate parameter name \(name)")
        entries.append(Entry(name: name, rows: rows, columns: columns, offset: count))
        count += entries[entries.count - 1].count
        return entries.count - 1
    }
}

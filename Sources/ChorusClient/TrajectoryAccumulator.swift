import ChorusCore

/// Fills one multi-step sample (a trajectory) item by item, then hands it over whole — the
/// semantics of id-echo's `TrajectoryAccumulator`.
///
/// The schema is a dict of timescales. A timescale is **buffered** when its leaves share a
/// leading dimension `N > 1`: it holds `N` items, each one slot along that dimension. It is
/// **single-item** when a leaf is 0-d or every leaf's leading dimension is 1: one item replaces
/// the whole timescale (e.g. an episode's return, a bootstrap value).
///
/// ```swift
/// var trajectory = try TrajectoryAccumulator(schema: try Schema(json: #"""
///     {"step": {"obs": "float32[16,4]", "reward": "float32[16]"}, "episode": {"return": "float32[]"}}
///     """#))
/// var step = Sample(schema: try trajectory.itemSchema(of: "step"))   // {"obs": float32[4], "reward": float32[]}
/// for t in 0..<16 {
///     try step.set("obs", to: observation(t))
///     try step.set("reward", to: reward(t))
///     try trajectory.add("step", step)
/// }
/// try trajectory.withBuilt { try client.send($0) }
/// ```
public struct TrajectoryAccumulator: Sendable {
    private struct Timescale: Sendable {
        /// The timescale's leaves in the trajectory schema, in flatten order.
        let leaves: [FlatLeaf]
        let itemSchema: Schema
        let capacity: Int
    }

    public let schema: Schema
    private var sample: Sample
    private var timescales: [Timescale] = []
    private var indexByName: [String: Int] = [:]
    /// Items added to each timescale since the last build or reset.
    private var filled: [Int] = []

    public init(schema: Schema) throws(AccumulatorError) {
        guard case .dict(let children) = schema.root else { throw .rootNotADict }
        self.schema = schema
        sample = Sample(schema: schema)
        for (name, subtree) in children {
            let leaves = schema.leaves.filter { $0.path == name || $0.path.hasPrefix(name + ".") }
            let shapes = leaves.map(\.shape)
            let singleItem = shapes.contains { $0.isEmpty } || shapes.allSatisfy { $0.first == 1 }
            let capacity: Int
            let itemRoot: SchemaNode
            if singleItem {
                capacity = 1
                itemRoot = shapes.contains { $0.isEmpty } ? subtree : subtree.droppingLeadingDimension()
            } else {
                let leading = shapes.map { $0[0] }
                guard Set(leading).count == 1 else {
                    throw .mismatchedLeadingDimensions(timescale: name, dimensions: leading)
                }
                capacity = leading[0]
                itemRoot = subtree.droppingLeadingDimension()
            }
            // The item tree is the timescale's tree with smaller shapes: still a valid schema.
            let itemSchema = try! Schema(itemRoot)
            indexByName[name] = timescales.count
            timescales.append(Timescale(leaves: leaves, itemSchema: itemSchema, capacity: capacity))
        }
        filled = Array(repeating: 0, count: timescales.count)
    }

    /// The schema of one item of `timescale`: a buffered timescale's leaves without their
    /// leading dimension.
    public func itemSchema(of timescale: String) throws(AccumulatorError) -> Schema {
        try timescales[index(of: timescale)].itemSchema
    }

    /// How many items `timescale` holds.
    public func capacity(of timescale: String) throws(AccumulatorError) -> Int {
        try timescales[index(of: timescale)].capacity
    }

    /// Writes `item` into the next slot of `timescale`.
    public mutating func add(_ timescale: String, _ item: Sample) throws(AccumulatorError) {
        let index = try index(of: timescale)
        let current = timescales[index]
        let slot = filled[index]
        guard slot < current.capacity else { throw .full(timescale: timescale, capacity: current.capacity) }
        guard item.schema == current.itemSchema else {
            throw .itemSchemaMismatch(timescale: timescale, expected: current.itemSchema, given: item.schema)
        }
        item.withUnsafeBytes { bytes in
            for (leaf, itemLeaf) in zip(current.leaves, current.itemSchema.leaves) {
                sample.replaceBytes(
                    at: leaf.offset + slot * itemLeaf.byteCount,
                    with: UnsafeRawBufferPointer(rebasing: bytes[itemLeaf.offset..<itemLeaf.offset + itemLeaf.byteCount]))
            }
        }
        filled[index] += 1
    }

    /// The filled trajectory; the slot counters start again from zero. Slots not filled since
    /// keep what they held (as id-echo's do). The next `add` copies the sample once, as the
    /// caller may still hold it; ``withBuilt(_:)`` avoids that copy.
    public mutating func build() -> Sample {
        reset()
        return sample
    }

    /// Lends the filled trajectory to `body` (to send it, say) without copying it, then starts
    /// the slot counters from zero. Do not keep the sample beyond `body`.
    public mutating func withBuilt<R, E>(_ body: (Sample) throws(E) -> R) throws(E) -> R {
        defer { reset() }
        return try body(sample)
    }

    /// Starts every timescale from its first slot again without sending (an aborted episode).
    public mutating func reset() {
        for index in filled.indices { filled[index] = 0 }
    }

    private func index(of name: String) throws(AccumulatorError) -> Int {
        guard let index = indexByName[name] else {
            throw .unknownTimescale(name, known: Schema.sortedKeys(indexByName))
        }
        return index
    }
}

extension SchemaNode {
    /// The same tree with every leaf's first dimension removed.
    fileprivate func droppingLeadingDimension() -> SchemaNode {
        switch self {
        case .leaf(let leaf): .leaf(Leaf(leaf.dtype, Array(leaf.shape.dropFirst())))
        case .dict(let children): .dict(children.mapValues { $0.droppingLeadingDimension() })
        case .list(let children): .list(children.map { $0.droppingLeadingDimension() })
        }
    }
}

/// One population member's parameters: the shared center plus this member's perturbation,
/// applied on the fly, so a low-rank member never materialises its matrices.
public struct PerturbedParameters: Sendable {
    /// How one parameter is perturbed.
    enum Delta: Sendable {
        case none
        /// `+ scale · noise`, `noise` the parameter's full shape.
        case dense(scale: Float, noise: [Float])
        /// `+ scale · A·Bᵀ` with `A` (`rows × rank`, row-major) and `Bᵀ` (`rank × columns`, row-major).
        case lowRank(scale: Float, rank: Int, a: [Float], bTransposed: [Float])
    }

    public let layout: ParameterLayout
    public let center: [Float]
    let deltas: [Delta]

    init(layout: ParameterLayout, center: [Float], deltas: [Delta]) {
        self.layout = layout
        self.center = center
        self.deltas = deltas
    }

    /// `center` itself, unperturbed: for evaluating the trained parameters.
    public init(layout: ParameterLayout, center: [Float]) {
        precondition(center.count == layout.count, "center has \(center.count) values, layout \(layout.count)")
        self.init(layout: layout, center: center, deltas: Array(repeating: .none, count: layout.entries.count))
    }

    /// `center + perturbation`, each parameter's part of `perturbation` added on the fly: the
    /// member a strategy of one's own makes from its own perturbation.
    public init(layout: ParameterLayout, center: [Float], perturbation: [Float]) {
        precondition(center.count == layout.count && perturbation.count == layout.count,
                     "center has \(center.count) values, perturbation \(perturbation.count), layout \(layout.count)")
        self.init(layout: layout, center: center,
                  deltas: layout.entries.map { .dense(scale: 1, noise: Array(perturbation[$0.range])) })
    }

    /// `W'·x` for matrix parameter `id`, with `W'` this member's perturbed matrix.
    public func apply(_ id: Int, to input: [Float]) -> [Float] {
        let entry = layout.entries[id]
        precondition(entry.isMatrix, "\(entry.name) is not a matrix")
        precondition(input.count == entry.columns, "\(entry.name) takes \(entry.columns!) inputs, got \(input.count)")
        var output = [Float](repeating: 0, count: entry.rows)
        center.withUnsafeBufferPointer { center in
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    let w = UnsafeBufferPointer(rebasing: center[entry.range])
                    Kernels.accumulateMatrixVector(w, rows: entry.rows, x, into: y)
                    accumulateDelta(id, rows: entry.rows, x, into: y)
                }
            }
        }
        return output
    }

    /// `W'ᵢ·xᵢ` for matrix parameter `id` and every member `i` of `members` at once (`inputs`
    /// holds their inputs, `members.count × columns`, row-major; the result is
    /// `members.count × rows`). The members share one center, so the product with it runs as
    /// one matrix product for the whole population; each member then adds its own term, which
    /// for a low-rank member costs `(rows + columns)·rank`: EGGROLL's inference at nearly the
    /// speed of unperturbed batched inference.
    public static func apply(_ id: Int, of members: [PerturbedParameters], to inputs: [Float]) -> [Float] {
        guard let first = members.first else { return [] }
        let entry = first.layout.entries[id]
        precondition(entry.isMatrix, "\(entry.name) is not a matrix")
        precondition(inputs.count == members.count * entry.columns!,
                     "\(members.count) members of \(entry.name) take \(members.count * entry.columns!) inputs, got \(inputs.count)")
        precondition(members.allSatisfy { $0.layout == first.layout && $0.center == first.center },
                     "the members do not share one center")
        let (rows, columns) = (entry.rows, entry.columns!)
        var outputs = [Float](repeating: 0, count: members.count * rows)
        first.center.withUnsafeBufferPointer { center in
            inputs.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { y in
                    Kernels.accumulateMatrixProduct(UnsafeBufferPointer(rebasing: center[entry.range]), rows: rows,
                                                    x, batch: members.count, into: y)
                    for (index, member) in members.enumerated() {
                        member.accumulateDelta(id, rows: rows, UnsafeBufferPointer(rebasing: x[index * columns ..< (index + 1) * columns]),
                                               into: UnsafeMutableBufferPointer(rebasing: y[index * rows ..< (index + 1) * rows]))
                    }
                }
            }
        }
        return outputs
    }

    private func accumulateDelta(
        _ id: Int, rows: Int, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>
    ) {
        switch deltas[id] {
        case .none:
            break
        case .dense(let scale, let noise):
            noise.withUnsafeBufferPointer { noise in
                Kernels.accumulateMatrixVector(noise, rows: rows, x, into: y, scale: scale)
            }
        case .lowRank(let scale, let rank, let a, let bTransposed):
            // (x·B) first: `rank` numbers; then `A` maps them to the outputs (for rank 1, one
            // scaled column: `scale · (a[i]·t)`, rounded as the general product rounds it).
            withUnsafeTemporaryAllocation(of: Float.self, capacity: rank) { projected in
                projected.initialize(repeating: 0)
                bTransposed.withUnsafeBufferPointer { bT in
                    Kernels.accumulateMatrixVector(bT, rows: rank, x, into: projected)
                }
                a.withUnsafeBufferPointer { a in
                    if rank == 1 {
                        let t = projected[0]
                        for row in 0..<rows { y[row] += scale * (a[row] * t) }
                    } else {
                        Kernels.accumulateMatrixVector(a, rows: rows, UnsafeBufferPointer(projected), into: y, scale: scale)
                    }
                }
            }
        }
    }

    /// This member's values of vector parameter `id` (vectors always get dense noise).
    public func vector(_ id: Int) -> [Float] {
        let entry = layout.entries[id]
        precondition(!entry.isMatrix, "\(entry.name) is a matrix; use apply(_:to:)")
        switch deltas[id] {
        case .none:
            return Array(center[entry.range])
        case .dense(let scale, let noise):
            return zip(center[entry.range], noise).map { $0 + scale * $1 }
        case .lowRank:
            preconditionFailure("vector \(entry.name) has a low-rank perturbation")
        }
    }

    /// Every parameter with its perturbation added, in layout order. Costs a full copy and,
    /// for low-rank matrices, the product `A·Bᵀ`: for tests and small models.
    public func materialized() -> [Float] {
        var values = center
        for (id, entry) in layout.entries.enumerated() {
            switch deltas[id] {
            case .none:
                break
            case .dense(let scale, let noise):
                for (k, index) in entry.range.enumerated() { values[index] += scale * noise[k] }
            case .lowRank(let scale, let rank, let a, let bTransposed):
                let columns = entry.columns!
                for row in 0..<entry.rows {
                    for column in 0..<columns {
                        var sum: Float = 0
                        for q in 0..<rank { sum += a[row * rank + q] * bTransposed[q * columns + column] }
                        values[entry.offset + row * columns + column] += scale * sum
                    }
                }
            }
        }
        return values
    }
}

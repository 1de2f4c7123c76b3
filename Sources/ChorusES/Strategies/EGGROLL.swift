/// EGGROLL (evolution-guided general optimization via low-rank learning): each matrix parameter
/// `W ∈ ℝ^{m×n}` is perturbed by `σ·sᵢ·A·Bᵀ/√r` with `A ∈ ℝ^{m×r}`, `B ∈ ℝ^{n×r}` Gaussian, so a
/// member costs `(m + n)·r` normals instead of `m·n`, and `x·W'ᵀ = x·Wᵀ + (σs/√r)(x·B)·Aᵀ` never
/// forms the matrix. Vector parameters get full-rank noise as in ``OpenAIES``.
///
/// Noise layout per matrix: stream elements `0 ..< m·r` are `A` (row-major), the next `n·r`
/// are `B` (row-major).
public struct EGGROLL: Strategy {
    public let layout: ParameterLayout
    public let noise: Noise
    public let sigma: Float
    /// The rank `r` of each matrix perturbation.
    public let rank: Int

    public init(layout: ParameterLayout, noise: Noise, sigma: Float, rank: Int = 1) {
        precondition(sigma > 0, "sigma must be positive")
        precondition(rank >= 1, "rank must be at least 1")
        self.layout = layout
        self.noise = noise
        self.sigma = sigma
        self.rank = rank
    }

    public func member(_ member: Int, epoch: Int, center: [Float]) -> PerturbedParameters {
        precondition(center.count == layout.count, "center has \(center.count) values, layout \(layout.count)")
        let sign = Self.sign(of: member)
        let deltas = layout.entries.enumerated().map { id, entry -> PerturbedParameters.Delta in
            guard entry.isMatrix else {
                return .dense(scale: sigma * sign, noise: denseNoise(id, epoch: epoch, member: member))
            }
            let (a, bTransposed) = factors(id, epoch: epoch, member: member)
            return .lowRank(scale: sigma * sign / Float(rank).squareRoot(), rank: rank, a: a, bTransposed: bTransposed)
        }
        return PerturbedParameters(layout: layout, center: center, deltas: deltas)
    }

    public func gradient(epoch: Int, fitness: [Float]) -> [Float] {
        let weights = pairWeights(fitness)
        var gradient = [Float](repeating: 0, count: layout.count)
        for (id, entry) in layout.entries.enumerated() {
            if entry.isMatrix {
                accumulateLowRankGradient(id, epoch: epoch, pairWeights: weights, into: &gradient)
            } else {
                accumulateDenseGradient(id, epoch: epoch, pairWeights: weights, into: &gradient)
            }
        }
        return gradient
    }

    /// `A` (`m × r`) and `Bᵀ` (`r × n`) of matrix `id` for `member`'s pair.
    func factors(_ id: Int, epoch: Int, member: Int) -> (a: [Float], bTransposed: [Float]) {
        let entry = layout.entries[id]
        let columns = entry.columns!
        let stream = noise.stream(parameter: id, epoch: epoch, member: member)
        let a = stream.normals(count: entry.rows * rank)
        let b = stream.normals(count: columns * rank, from: entry.rows * rank)
        guard rank > 1 else { return (a, b) }
        var bTransposed = [Float](repeating: 0, count: b.count)
        for column in 0..<columns {
            for q in 0..<rank { bTransposed[q * columns + column] = b[column * rank + q] }
        }
        return (a, bTransposed)
    }

    /// `G += Σₖ (wₖ/√r)·Aₖ·Bₖᵀ`, one output row at a time so the row stays in cache while
    /// every pair's `Bᵀ` rows stream past it.
    private func accumulateLowRankGradient(_ id: Int, epoch: Int, pairWeights: [Float], into gradient: inout [Float]) {
        let entry = layout.entries[id]
        let columns = entry.columns!
        let pairs = pairWeights.indices.filter { pairWeights[$0] != 0 }
        let factors = pairs.map { self.factors(id, epoch: epoch, member: 2 * $0) }
        let rootRank = Float(rank).squareRoot()
        gradient.withUnsafeMutableBufferPointer { gradient in
            for row in 0..<entry.rows {
                let start = entry.offset + row * columns
                let target = UnsafeMutableBufferPointer(rebasing: gradient[start ..< start + columns])
                for (pair, factor) in zip(pairs, factors) {
                    factor.bTransposed.withUnsafeBufferPointer { bT in
                        for q in 0..<rank {
                            let alpha = pairWeights[pair] / rootRank * factor.a[row * rank + q]
                            Kernels.axpy(alpha, UnsafeBufferPointer(rebasing: bT[q * columns ..< (q + 1) * columns]), target)
                        }
                    }
                }
            }
        }
    }
}

/// OpenAI-ES (Salimans et al. 2017): every parameter gets full-rank Gaussian noise,
/// `θᵢ = θ + σ·sᵢ·εᵢ`.
public struct OpenAIES: Strategy {
    public let layout: ParameterLayout
    public let noise: Noise
    public let sigma: Float

    public init(layout: ParameterLayout, noise: Noise, sigma: Float) {
        precondition(sigma > 0, "sigma must be positive")
        self.layout = layout
        self.noise = noise
        self.sigma = sigma
    }

    public func member(_ member: Int, epoch: Int, center: [Float]) -> PerturbedParameters {
        precondition(center.count == layout.count, "center has \(center.count) values, layout \(layout.count)")
        let scale = sigma * Self.sign(of: member)
        let deltas = layout.entries.indices.map { id in
            PerturbedParameters.Delta.dense(scale: scale, noise: denseNoise(id, epoch: epoch, member: member))
        }
        return PerturbedParameters(layout: layout, center: center, deltas: deltas)
    }

    public func gradient(epoch: Int, fitness: [Float]) -> [Float] {
        let weights = pairWeights(fitness)
        var gradient = [Float](repeating: 0, count: layout.count)
        for id in layout.entries.indices {
            accumulateDenseGradient(id, epoch: epoch, pairWeights: weights, into: &gradient)
        }
        return gradient
    }
}

/// Gradient ascent with (heavy-ball) momentum and decoupled weight decay:
/// `v ← μ·v + g`, `θ ← θ − lr·λ·θ + lr·v`.
public struct SGD: Optimizer, Hashable, Codable {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: inout [Float], gradient: [Float], state: inout OptimizerState) {
        precondition(gradient.count == parameters.count, "gradient and parameters differ in size")
        if state.first.count != parameters.count { state.first = [Float](repeating: 0, count: parameters.count) }
        decay(&parameters, learningRate: learningRate, weightDecay: weightDecay)
        for i in parameters.indices {
            state.first[i] = momentum * state.first[i] + gradient[i]
            parameters[i] += learningRate * state.first[i]
        }
        state.steps += 1
    }
}

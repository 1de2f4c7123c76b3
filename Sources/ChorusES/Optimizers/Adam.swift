#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam (Kingma & Ba 2015) for ascent, with decoupled weight decay (AdamW):
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr·λ·θ + lr·m̂/(√v̂ + ε)`.
public struct Adam: Optimizer, Hashable, Codable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: inout [Float], gradient: [Float], state: inout OptimizerState) {
        precondition(gradient.count == parameters.count, "gradient and parameters differ in size")
        if state.first.count != parameters.count {
            state.first = [Float](repeating: 0, count: parameters.count)
            state.second = [Float](repeating: 0, count: parameters.count)
        }
        state.steps += 1
        let correction1 = 1 - powf(beta1, Float(state.steps))
        let correction2 = 1 - powf(beta2, Float(state.steps))
        decay(&parameters, learningRate: learningRate, weightDecay: weightDecay)
        for i in parameters.indices {
            let g = gradient[i]
            state.first[i] = beta1 * state.first[i] + (1 - beta1) * g
            state.second[i] = beta2 * state.second[i] + (1 - beta2) * g * g
            let mHat = state.first[i] / correction1
            let vHat = state.second[i] / correction2
            parameters[i] += learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
    }
}

/// A first-order optimizer that moves parameters *up* a gradient (ES maximises fitness).
/// Every worker applies the same steps to the same state, so a step is deterministic.
public protocol Optimizer: Sendable {
    /// Applies one step of `gradient` (an ascent direction) to `parameters`, updating `state`.
    func step(_ parameters: inout [Float], gradient: [Float], state: inout OptimizerState)
}

/// What an optimizer carries from one step to the next; part of the training state that
/// workers share, hence `Codable`.
public struct OptimizerState: Sendable, Hashable, Codable {
    /// Steps taken so far.
    public var steps: Int = 0
    /// First moment (momentum / Adam's m); empty until the first step.
    public var first: [Float] = []
    /// Second moment (Adam's v); empty until the first step.
    public var second: [Float] = []

    public init() {}
}

extension Optimizer {
    /// Decoupled weight decay (AdamW style): `θ ← θ − lr·λ·θ`.
    func decay(_ parameters: inout [Float], learningRate: Float, weightDecay: Float) {
        guard weightDecay != 0 else { return }
        let factor = 1 - learningRate * weightDecay
        for i in parameters.indices { parameters[i] *= factor }
    }
}

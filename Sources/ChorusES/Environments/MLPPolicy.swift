#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small multilayer perceptron policy: `tanh` hidden layers, a linear output. For discrete
/// actions the largest output wins (the first on ties); continuous actions use the outputs.
///
/// Its parameters are a ``ParameterLayout`` of `weights.k` matrices and `bias.k` vectors, so
/// any ``Strategy`` can perturb it, low-rank strategies without materialising the matrices.
public struct MLPPolicy: Sendable {
    /// Layer widths, inputs first, actions last (e.g. `[4, 2]` linear, `[4, 16, 2]` one hidden layer).
    public let sizes: [Int]
    public let layout: ParameterLayout

    public init(sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "a policy needs input and output widths")
        self.sizes = sizes
        var layout = ParameterLayout()
        for layer in 0 ..< sizes.count - 1 {
            layout.addMatrix("weights.\(layer)", rows: sizes[layer + 1], columns: sizes[layer])
            layout.addVector("bias.\(layer)", count: sizes[layer + 1])
        }
        self.layout = layout
    }

    /// Starting parameters: all zeros (ES explores from the origin well for small policies).
    public var initialParameters: [Float] {
        [Float](repeating: 0, count: layout.count)
    }

    /// The discrete action `parameters` choose for `observation`: the largest output's index.
    public func action(for observation: [Float], parameters: PerturbedParameters) -> Int {
        let activations = outputs(for: observation, parameters: parameters)
        var best = 0
        for action in activations.indices where activations[action] > activations[best] { best = action }
        return best
    }

    /// The last layer's outputs for `observation` (continuous actions use them as they are).
    public func outputs(for observation: [Float], parameters: PerturbedParameters) -> [Float] {
        var activations = observation
        for layer in 0 ..< sizes.count - 1 {
            let output = parameters.apply(2 * layer, to: activations)
            activations = zip(output, parameters.vector(2 * layer + 1)).map { activation($0 + $1, layer: layer) }
        }
        return activations
    }

    /// The last layer's outputs (before the arg-max) of every member of `members` for its own
    /// observation: `observations` holds `members.count` rows of `sizes[0]` values, the result
    /// `members.count` rows of `sizes.last`. The members share one center, and each layer's
    /// product runs for all of them at once (``PerturbedParameters/apply(_:of:to:)``).
    public func outputs(for observations: [Float], members: [PerturbedParameters]) -> [Float] {
        var activations = observations
        for layer in 0 ..< sizes.count - 1 {
            var output = PerturbedParameters.apply(2 * layer, of: members, to: activations)
            let width = sizes[layer + 1]
            for (index, member) in members.enumerated() {
                for (offset, bias) in member.vector(2 * layer + 1).enumerated() {
                    output[index * width + offset] = activation(output[index * width + offset] + bias, layer: layer)
                }
            }
            activations = output
        }
        return activations
    }

    /// Layer `layer`'s activation of `value`: `tanh`, but linear for the output layer.
    private func activation(_ value: Float, layer: Int) -> Float {
        layer == sizes.count - 2 ? value : tanhf(value)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small multilayer perceptron policy for discrete actions: `tanh` hidden layers, a linear
/// output, the action with the largest output wins (the first on ties).
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

    /// The action `parameters` choose for `observation`.
    public func action(for observation: [Float], parameters: PerturbedParameters) -> Int {
        var activations = observation
        for layer in 0 ..< sizes.count - 1 {
            let output = parameters.apply(2 * layer, to: activations)
            let bias = parameters.vector(2 * layer + 1)
            let isLast = layer == sizes.count - 2
            activations = zip(output, bias).map { isLast ? $0 + $1 : tanhf($0 + $1) }
        }
        var best = 0
        for action in activations.indices where activations[action] > activations[best] { best = action }
        return best
    }
}

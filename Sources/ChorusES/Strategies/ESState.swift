/// The training state every ES worker holds and the coordinator checkpoints: the center of the
/// search distribution and the optimizer's memory.
public struct ESState: Sendable, Hashable, Codable {
    public var parameters: [Float]
    public var optimizer: OptimizerState

    public init(parameters: [Float], optimizer: OptimizerState = OptimizerState()) {
        self.parameters = parameters
        self.optimizer = optimizer
    }
}

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

extension ESState {
    /// FNV-1a over the bit patterns of everything in the state: equal digests mean (barring a
    /// collision) bit-identical states, so runs on different machines can be compared by a line.
    public var digest: UInt64 {
        var hasher = FNV1a()
        hasher.combine(parameters)
        hasher.combine(Int64(optimizer.steps))
        hasher.combine(optimizer.first)
        hasher.combine(optimizer.second)
        return hasher.value
    }
}

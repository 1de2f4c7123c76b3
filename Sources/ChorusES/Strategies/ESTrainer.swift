/// One ES update, the same on every worker: shape the epoch's rewards, estimate the gradient
/// with the strategy, step the optimizer.
public struct ESTrainer: Sendable {
    public let strategy: any Strategy
    public let shaping: FitnessShaping
    public let optimizer: any Optimizer

    public init(strategy: any Strategy, shaping: FitnessShaping = .centeredRanks, optimizer: any Optimizer) {
        self.strategy = strategy
        self.shaping = shaping
        self.optimizer = optimizer
    }

    /// Member `member`'s parameters in epoch `epoch` around `state`'s center.
    public func member(_ member: Int, epoch: Int, of state: ESState) -> PerturbedParameters {
        strategy.member(member, epoch: epoch, center: state.parameters)
    }

    /// Applies epoch `epoch`'s update from the rewards of its whole population.
    public func step(_ state: inout ESState, epoch: Int, rewards: [Float]) {
        let gradient = strategy.gradient(epoch: epoch, fitness: shaping.shape(rewards))
        optimizer.step(&state.parameters, gradient: gradient, state: &state.optimizer)
    }
}

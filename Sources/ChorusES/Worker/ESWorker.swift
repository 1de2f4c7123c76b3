/// A ``Worker`` that trains with an ``ESTrainer``: members are evaluated with a fitness
/// function, updates applied by the trainer.
public final class ESWorker: Worker {
    public typealias Fitness = @Sendable (_ parameters: PerturbedParameters, _ epoch: Int, _ member: Int) -> Float

    public let trainer: ESTrainer
    public let initialParameters: [Float]
    public let fitness: Fitness

    public init(trainer: ESTrainer, initialParameters: [Float], fitness: @escaping Fitness) {
        self.trainer = trainer
        self.initialParameters = initialParameters
        self.fitness = fitness
    }

    public func initialize() -> ESState {
        ESState(parameters: initialParameters)
    }

    public func evaluate(_ state: ESState, epoch: Int, slices: [MemberRange]) -> [Evaluation] {
        slices.map { slice in
            Evaluation(slice: slice, rewards: slice.indices.map { member in
                fitness(trainer.member(member, epoch: epoch, of: state), epoch, member)
            })
        }
    }

    public func optimize(_ state: ESState, epoch: Int, rewards: [Float]) -> ESState {
        var next = state
        trainer.step(&next, epoch: epoch, rewards: rewards)
        return next
    }
}

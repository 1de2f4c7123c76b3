/// The fitness of a continuous-control policy on a ``Locomotion`` task: the return of an
/// episode whose start state is drawn reproducibly from `(seed, epoch, pair)`, so both members of
/// an antithetic pair start alike and every worker computes the same value.
///
/// The policy is an ``MLPPolicy`` (tanh hidden layers, linear outputs) on normalised
/// observations; its outputs, clipped to [−1, 1] (the models' control range), are the action.
public struct LocomotionTask: Sendable {
    public let task: Locomotion
    public let model: MuJoCoModel
    public let policy: MLPPolicy
    public let seed: UInt64

    /// The outcome of one or more episodes.
    public struct Outcome: Sendable {
        public var totalReturn = 0.0
        public var steps = 0
        public var episodes = 0
        public var meanReturn: Float { Float(totalReturn / Double(max(episodes, 1))) }
    }

    /// `hidden`: widths of the hidden layers (empty: a linear policy). Throws if `model` is not
    /// one `task` can run.
    public init(task: Locomotion, model: MuJoCoModel, hidden: [Int] = [], seed: UInt64 = 0) throws {
        try task.check(model)
        self.task = task
        self.model = model
        policy = MLPPolicy(sizes: [task.observationCount(of: model)] + hidden + [model.controlCount])
        self.seed = seed
    }

    /// One episode of member `member` of epoch `epoch` (start state by its antithetic pair).
    public func evaluate(_ parameters: PerturbedParameters, statistics: ObservationStatistics,
                         epoch: Int, member: Int, in environment: LocomotionEnvironment) -> Outcome {
        var random = PhiloxRandom(seed: seed, stream: UInt64(epoch) << 32 | UInt64(member / 2))
        var outcome = Outcome()
        run(parameters, statistics: statistics, in: environment, random: &random, into: &outcome)
        return outcome
    }

    /// `episodes` episodes from start states no training evaluation sees (Philox key
    /// `seed ^ 0xE7A1`), for judging a trained policy.
    public func evaluationReturn(of parameters: PerturbedParameters, statistics: ObservationStatistics,
                                 episodes: Int = 10, in environment: LocomotionEnvironment) -> Outcome {
        var random = PhiloxRandom(seed: seed ^ 0xE7A1, stream: 0)
        var outcome = Outcome()
        for _ in 0 ..< episodes {
            run(parameters, statistics: statistics, in: environment, random: &random, into: &outcome)
        }
        return outcome
    }

    /// Runs one episode from a start drawn from `random`, passing every observation the policy
    /// sees to `observe`.
    public func run(_ parameters: PerturbedParameters, statistics: ObservationStatistics,
                    in environment: LocomotionEnvironment, random: inout PhiloxRandom,
                    into outcome: inout Outcome, observe: ([Double]) -> Void = { _ in }) {
        environment.reset(using: &random)
        while true {
            let observation = environment.observation
            observe(observation)
            let outputs = policy.outputs(for: statistics.normalize(observation), parameters: parameters)
            let step = environment.step(outputs.map { Double(min(max($0, -1), 1)) })
            outcome.totalReturn += step.reward
            outcome.steps += 1
            if step.isDone { break }
        }
        outcome.episodes += 1
    }
}

/// A ``Worker`` that trains a policy on a MuJoCo ``Locomotion`` task with an ``ESTrainer``, with
/// observation normalisation as in the ES and ARS papers.
///
/// The normaliser is part of the shared state, so it has to change identically on every
/// worker: after each update every worker runs the new centre policy for one episode (start
/// state from the epoch) and adds its observations to the statistics. MuJoCo is deterministic,
/// so all of them see the same observations; that episode's return is also the run's learning
/// curve. (The papers gather statistics from all training episodes instead, which needs a
/// channel for them that Evochi v1 does not have.)
public final class LocomotionWorker: Worker {
    /// The centre of the search distribution and the optimizer's memory, the observation
    /// statistics, and the last centre episode.
    public struct State: Sendable, Hashable, Codable {
        public var es: ESState
        public var statistics: ObservationStatistics
        public var centerReturn: Float?
    }

    public let trainer: ESTrainer
    public let task: LocomotionTask
    private let environment: LocomotionEnvironment
    private let log: (String) -> Void

    /// `log` hears, per task and per update, the environment steps this worker simulated.
    public init(trainer: ESTrainer, task: LocomotionTask, log: @escaping (String) -> Void = { _ in }) {
        self.trainer = trainer
        self.task = task
        environment = LocomotionEnvironment(task: task.task, model: task.model)
        self.log = log
    }

    public func initialize() -> State {
        State(es: ESState(parameters: task.policy.initialParameters),
              statistics: ObservationStatistics(width: task.policy.sizes[0]))
    }

    public func evaluate(_ state: State, epoch: Int, slices: [MemberRange]) -> [Evaluation] {
        var steps = 0
        let evaluations = slices.map { slice in
            Evaluation(slice: slice, rewards: slice.indices.map { member in
                let outcome = task.evaluate(trainer.member(member, epoch: epoch, of: state.es), statistics: state.statistics,
                                            epoch: epoch, member: member, in: environment)
                steps += outcome.steps
                return outcome.meanReturn
            })
        }
        log("epoch \(epoch): evaluated \(slices.reduce(0) { $0 + $1.count }) members, \(steps) steps")
        return evaluations
    }

    public func optimize(_ state: State, epoch: Int, rewards: [Float]) -> State {
        var next = state
        trainer.step(&next.es, epoch: epoch, rewards: rewards)
        var random = PhiloxRandom(seed: task.seed ^ 0xC3E7, stream: UInt64(epoch))
        var outcome = LocomotionTask.Outcome()
        task.run(center(of: next), statistics: state.statistics, in: environment, random: &random, into: &outcome) {
            next.statistics.add($0)
        }
        next.centerReturn = outcome.meanReturn
        log("epoch \(epoch): centre return \(outcome.meanReturn), \(outcome.steps) steps")
        return next
    }

    /// The mean return of `state`'s centre policy over `episodes` evaluation episodes.
    public func evaluationReturn(of state: State, episodes: Int = 10) -> LocomotionTask.Outcome {
        task.evaluationReturn(of: center(of: state), statistics: state.statistics, episodes: episodes, in: environment)
    }

    private func center(of state: State) -> PerturbedParameters {
        PerturbedParameters(layout: task.policy.layout, center: state.es.parameters)
    }
}

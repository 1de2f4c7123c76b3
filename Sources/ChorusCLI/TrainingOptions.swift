import ArgumentParser
import ChorusES

/// The ES setup of a run (CartPole, or a MuJoCo task with ``MuJoCoOptions``), shared by every
/// command that trains or evaluates one. All workers of a run must use the same values: each
/// applies the same update to the same state.
struct TrainingOptions: ParsableArguments, Sendable {
    enum StrategyKind: String, ExpressibleByArgument, CaseIterable, Sendable {
        case eggroll, openai
    }

    @Option(help: "The strategy: eggroll (rank-1 EGGROLL) or openai (full-rank OpenAI-ES).")
    var strategy = StrategyKind.eggroll
    @Option(help: "Hidden layer widths of the policy, comma-separated (empty: linear).")
    var hidden = ""
    @Option(help: "Seed of the noise and the episodes.")
    var seed: UInt64 = 5
    @Option(help: "Episodes per member evaluation (CartPole).")
    var episodes = 2
    @Option(help: "Perturbation scale σ.")
    var sigma: Float = 0.1
    @Option(help: "Adam learning rate.")
    var learningRate: Float = 0.05

    func validate() throws {
        guard Self.widths(hidden) != nil else { throw ValidationError("--hidden must be comma-separated positive integers") }
        guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1") }
        guard sigma > 0, learningRate > 0 else { throw ValidationError("--sigma and --learning-rate must be positive") }
    }

    /// Layer widths from `--hidden` text ("16,16"; empty: none), or `nil` if it is not that.
    static func widths(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    var policy: MLPPolicy { MLPPolicy(sizes: [4] + hiddenWidths + [2]) }

    var task: CartPoleTask { CartPoleTask(policy: policy, episodes: episodes, seed: seed) }

    /// The trainer for a policy of `layout`: the strategy, centred ranks, Adam.
    func makeTrainer(layout: ParameterLayout) -> ESTrainer {
        let noise = Noise(seed: seed)
        let strategy: any Strategy = switch self.strategy {
        case .eggroll: EGGROLL(layout: layout, noise: noise, sigma: sigma)
        case .openai: OpenAIES(layout: layout, noise: noise, sigma: sigma)
        }
        return ESTrainer(strategy: strategy, shaping: .centeredRanks, optimizer: Adam(learningRate: learningRate))
    }

    func makeWorker() -> ESWorker {
        let task = self.task
        return ESWorker(trainer: makeTrainer(layout: policy.layout), initialParameters: policy.initialParameters) { parameters, epoch, member in
            task.fitness(of: parameters, epoch: epoch, member: member)
        }
    }

    /// A worker on a MuJoCo task with this setup's strategy, policy widths and seed.
    func makeLocomotionWorker(_ task: LocomotionTask, log: @escaping (String) -> Void) -> LocomotionWorker {
        LocomotionWorker(trainer: makeTrainer(layout: task.policy.layout), task: task, log: log)
    }

    /// The hidden layer widths (validated).
    var hiddenWidths: [Int] { Self.widths(hidden)! }

    /// Mean return of `state`'s policy over 20 fresh episodes (500 = solved).
    func evaluate(_ state: ESState) -> Float {
        task.freshReturn(of: PerturbedParameters(layout: policy.layout, center: state.parameters))
    }

    var summary: String {
        let policy = self.policy
        return "\(strategy.rawValue) on CartPole, policy \(policy.sizes), \(policy.layout.count) parameters"
    }
}

extension TrainingOptions {
    /// The options as command-line arguments, to start other processes with the same setup.
    var arguments: [String] {
        ["--strategy", strategy.rawValue, "--hidden", hidden, "--seed", "\(seed)", "--episodes", "\(episodes)",
         "--sigma", "\(sigma)", "--learning-rate", "\(learningRate)"]
    }
}

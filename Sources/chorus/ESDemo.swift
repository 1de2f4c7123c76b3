import ArgumentParser
import ChorusES
import Foundation

/// `chorus demo es`: trains a CartPole policy with evolution strategies, local workers around
/// the epoch engine, and prints each epoch's rewards and the final evaluation.
struct ESDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "es",
        abstract: "Train CartPole with ES: the epoch engine and local workers in one process."
    )

    enum StrategyKind: String, ExpressibleByArgument, CaseIterable {
        case eggroll, openai
    }

    @Option(help: "The strategy: eggroll (rank-1 EGGROLL) or openai (full-rank OpenAI-ES).")
    var strategy = StrategyKind.eggroll
    @Option(help: "Local workers.") var workers = 2
    @Option(help: "Cores each worker claims (members per task).") var cores = 8
    @Option(help: "Members per epoch (even).") var population = 64
    @Option(help: "Epochs to train.") var epochs = 60
    @Option(help: "Hidden layer widths of the policy, comma-separated (empty: linear).") var hidden = ""
    @Option(help: "Seed of the noise and the episodes.") var seed: UInt64 = 5
    @Option(help: "Checkpoint file: a run resumes from it, and saves to it.") var checkpoint: String?

    func validate() throws {
        guard workers >= 1, cores >= 1 else { throw ValidationError("--workers and --cores must be at least 1") }
        guard population >= 2, population % 2 == 0 else { throw ValidationError("--population must be even and at least 2") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard hiddenSizes != nil else { throw ValidationError("--hidden must be comma-separated positive integers") }
    }

    private var hiddenSizes: [Int]? {
        let parts = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let policy = MLPPolicy(sizes: [4] + hiddenSizes! + [2])
        let noise = Noise(seed: seed)
        let chosen: any Strategy = switch strategy {
        case .eggroll: EGGROLL(layout: policy.layout, noise: noise, sigma: 0.1)
        case .openai: OpenAIES(layout: policy.layout, noise: noise, sigma: 0.1)
        }
        let trainer = ESTrainer(strategy: chosen, shaping: .centeredRanks, optimizer: Adam(learningRate: 0.05))
        let task = CartPoleTask(policy: policy, episodes: 2, seed: seed)
        let configuration = EngineConfiguration(
            populationSize: population, maxEpochs: epochs, shareInterval: 10, checkpointPath: checkpoint
        )
        let cluster = LocalCluster(configuration: configuration, cores: Array(repeating: cores, count: workers)) { _ in
            ESWorker(trainer: trainer, initialParameters: policy.initialParameters) { parameters, epoch, member in
                task.fitness(of: parameters, epoch: epoch, member: member)
            }
        }
        say("chorus demo es: \(strategy.rawValue) on CartPole, policy \(policy.sizes), \(policy.layout.count) parameters, "
            + "population \(population), \(workers) workers × \(cores) cores, \(epochs) epochs")
        let clock = ContinuousClock()
        let start = clock.now
        let final = try waitFor { try await cluster.run { epoch, rewards in
            let mean = rewards.reduce(0, +) / Float(rewards.count)
            say(String(format: "epoch %3d: mean return %6.1f, best %5.1f  (%.1f s)",
                       epoch, mean, rewards.max() ?? 0, (clock.now - start).seconds))
        } }
        let state = try WorkerHost<ESWorker>.decode(final.state)
        var random = PhiloxRandom(seed: seed ^ 0xE7A1, stream: 0)
        let score = task.meanReturn(
            of: PerturbedParameters(layout: policy.layout, center: state.parameters), random: &random, episodes: 20
        )
        say(String(format: "done: trained state of epoch %d; mean return %.1f over 20 fresh episodes (500 = solved)",
                   final.stateEpoch, score))
    }
}

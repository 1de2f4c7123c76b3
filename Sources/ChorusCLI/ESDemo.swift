import ArgumentParser
import ChorusES
import Foundation

/// `chorus demo es`: trains a CartPole policy with evolution strategies, local workers around
/// the epoch engine in one process, and prints each epoch's rewards and the final evaluation.
struct ESDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "es",
        abstract: "Train CartPole with ES: the epoch engine and local workers in one process."
    )

    @Option(help: "Local workers.") var workers = 2
    @Option(help: "Cores each worker claims (members per task).") var cores = 8
    @Option(help: "Members per epoch (even).") var population = 64
    @Option(help: "Epochs to train.") var epochs = 60
    @Option(help: "Checkpoint file: a run resumes from it, and saves to it.") var checkpoint: String?
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        guard workers >= 1, cores >= 1 else { throw ValidationError("--workers and --cores must be at least 1") }
        guard population >= 2, population % 2 == 0 else { throw ValidationError("--population must be even and at least 2") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() throws {
        let training = self.training
        let configuration = EngineConfiguration(
            populationSize: population, maxEpochs: epochs, shareInterval: 10, checkpointPath: checkpoint
        )
        let cluster = LocalCluster(configuration: configuration, cores: Array(repeating: cores, count: workers)) { _ in
            training.makeWorker()
        }
        say("chorus demo es: \(training.summary), population \(population), \(workers) workers × \(cores) cores, \(epochs) epochs")
        let clock = ContinuousClock()
        let start = clock.now
        let final = try waitFor {
            try await cluster.run { epoch, rewards in
                let mean = rewards.reduce(0, +) / Float(rewards.count)
                say(String(format: "epoch %3d: mean return %6.1f, best %5.1f  (%.1f s)",
                           epoch, mean, rewards.max() ?? 0, (clock.now - start).seconds))
            }
        }
        let state = try WorkerHost<ESWorker>.decode(final.state)
        say(String(format: "done: trained state of epoch %d; mean return %.1f over 20 fresh episodes (500 = solved)",
                   final.stateEpoch, training.evaluate(state)))
    }
}

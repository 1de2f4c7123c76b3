import ArgumentParser
import ChorusES
import ChorusEvochi
import Foundation

/// `chorus worker`: a Swift ES worker that joins an Evochi v1 coordinator, or (`--mode
/// steady-state`) a GA worker of a steady-state coordinator.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join an Evochi v1 coordinator as an ES worker (gRPC).",
        discussion: "Every worker of a run needs the same training options (they all apply the same update)."
    )

    /// `cartpole`, or `mujoco:TASK` (a ``Locomotion`` task).
    enum Environment: ExpressibleByArgument, Equatable {
        case cartpole
        case mujoco(Locomotion)

        init?(argument: String) {
            if argument == "cartpole" {
                self = .cartpole
            } else if argument.hasPrefix("mujoco:"), let task = Locomotion(rawValue: String(argument.dropFirst(7))) {
                self = .mujoco(task)
            } else {
                return nil
            }
        }

        static var allValueStrings: [String] { ["cartpole"] + Locomotion.allCases.map { "mujoco:\($0.rawValue)" } }
        var defaultValueDescription: String {
            switch self {
            case .cartpole: "cartpole"
            case .mujoco(let task): "mujoco:\(task.rawValue)"
            }
        }
    }

    @Option(help: "epochs: an Evochi v1 ES worker; steady-state: a GA worker of `chorus coordinator --mode steady-state`.")
    var mode = CoordinatorCommand.Mode.epochs
    @Option(help: "The environment.") var env = Environment.cartpole
    @Option(help: "Most members evaluated per task.") var cores = 4
    @Option(help: "The coordinator's address.") var host = "127.0.0.1"
    @Option(help: "The coordinator's port.") var port = 8080
    @Option(help: "File with the coordinator's join secret.") var joinSecretFile: String?
    @OptionGroup var training: TrainingOptions
    @OptionGroup(title: "MuJoCo") var mujoco: MuJoCoOptions
    @Option(help: "Evaluation episodes of the final policy (MuJoCo tasks).") var evaluationEpisodes = 10
    @Flag(help: "Print nothing but errors.") var quiet = false
    @Option(help: .hidden) var evaluateDelay = 0.0   // fault drills: stretch the evaluating phase
    @Option(help: .hidden) var optimizeDelay = 0.0   // fault drills: stretch the optimizing phase

    func validate() throws {
        guard cores >= 1 else { throw ValidationError("--cores must be at least 1") }
        guard evaluationEpisodes >= 0 else { throw ValidationError("--evaluation-episodes must be at least 0") }
        if case .mujoco = env, mode == .steadyState {
            throw ValidationError("--mode steady-state runs CartPole only")
        }
    }

    func run() throws {
        let secret = try loadSecret(joinSecretFile).map { String(decoding: $0, as: UTF8.self) }
        if mode == .steadyState { return try runSteadyState(joinSecret: secret) }
        if case .mujoco(let task) = env { return try runLocomotion(task, joinSecret: secret) }
        let client = EvochiWorkerClient(host: host, port: port, cores: cores, joinSecret: secret)
        let training = self.training
        let (quiet, evaluateDelay, optimizeDelay) = (self.quiet, self.evaluateDelay, self.optimizeDelay)
        let final = try waitFor {
            try await client.run(log: { line in if !quiet { say("worker: \(line)") } }) {
                DelayedWorker(training.makeWorker(), evaluateDelay: evaluateDelay, optimizeDelay: optimizeDelay)
            }
        }
        if let final {
            say("worker: final state digest \(String(final.digest, radix: 16)) (\(final.optimizer.steps) updates)")
        }
    }

    /// ES on a MuJoCo task: logs each task's and update's environment steps and the centre
    /// policy's return, then the final policy's mean return over `--evaluation-episodes`.
    private func runLocomotion(_ locomotion: Locomotion, joinSecret: String?) throws {
        let client = EvochiWorkerClient(host: host, port: port, cores: cores, joinSecret: joinSecret)
        let task = try mujoco.loadTask(locomotion, hidden: training.hiddenWidths, seed: training.seed)
        let (training, quiet, evaluateDelay, optimizeDelay) = (self.training, self.quiet, self.evaluateDelay, self.optimizeDelay)
        let log: @Sendable (String) -> Void = { line in if !quiet { say("worker: \(line)") } }
        let final = try waitFor {
            try await client.run(log: log) {
                DelayedWorker(training.makeLocomotionWorker(task, log: log), evaluateDelay: evaluateDelay, optimizeDelay: optimizeDelay)
            }
        }
        guard let final else { return }
        say("worker: final state digest \(String(final.es.digest, radix: 16)) (\(final.es.optimizer.steps) updates)")
        if evaluationEpisodes > 0 {
            let outcome = training.makeLocomotionWorker(task, log: { _ in }).evaluationReturn(of: final, episodes: evaluationEpisodes)
            say(String(format: "worker: final policy: mean return %.1f over %d evaluation episodes (%d steps)",
                       outcome.meanReturn, outcome.episodes, outcome.steps))
        }
    }

    /// GA individuals on CartPole: each genome rebuilt through a cache of recent ones (a child's
    /// parent is usually there), scored over `--episodes` episodes seeded by its number.
    private func runSteadyState(joinSecret: String?) throws {
        let client = SteadyStateWorkerClient(host: host, port: port, cores: cores, joinSecret: joinSecret)
        let (policy, task, sigma, quiet, delay) = (training.policy, training.task, training.sigma, self.quiet, evaluateDelay)
        let outcome = try waitFor {
            try await client.run(log: { line in if !quiet { say("worker: \(line)") } }) {
                SteadyStateGAWorker(decoder: GenomeDecoder(layout: policy.layout, sigma: sigma, initialization: .scaledNormal,
                                                           cacheCapacity: 64),
                                    delay: delay) { parameters, number in task.fitness(of: parameters, epoch: number, member: 0) }
            }
        }
        say("worker: \(outcome.evaluatedHere) individuals scored here; run: \(outcome.evaluated) evaluated, "
            + "\(outcome.reevaluated) re-evaluations, best \(outcome.best.map { String(format: "%.2f", $0.fitness) } ?? "none")")
    }
}

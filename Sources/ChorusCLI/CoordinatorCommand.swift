import ArgumentParser
import ChorusES
import ChorusEvochi
import ChorusHTTP
import Foundation
import Logging

/// `chorus coordinator`: an Evochi v1 coordinator. Python `evochi` workers and `chorus worker`
/// join it over gRPC; it runs the epochs and exits when the run is over. With `--mode
/// steady-state` it runs the genetic algorithm without generations instead (our own gRPC
/// service, `chorus worker --mode steady-state`).
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run an ES training run as an Evochi v1 coordinator (gRPC).",
        discussion: "Exits 0 when the run is over; SIGINT/SIGTERM stop it early (the checkpoint keeps the progress)."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case epochs, steadyState = "steady-state"
    }

    @Option(help: "epochs: ES (or GA) in epochs over Evochi v1; steady-state: the GA without generations.")
    var mode = Mode.epochs
    @Option(help: "Members per epoch (epochs mode).") var population: Int?
    @OptionGroup(title: "Steady-state mode") var steadyState: SteadyStateOptions
    @Option(help: "Epochs to run (0: until stopped).") var maxEpochs = 0
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; the chosen one is printed).") var port = 8080
    @Option(help: "Checkpoint file: a run resumes from it and saves to it.") var checkpoint: String?
    @Option(help: "Ask for the state every this many epochs (joiners replay the rewards since).") var shareInterval = 1
    @Option(help: "Evict an idle worker silent for this many seconds.") var heartbeatTimeout = 60.0
    @Option(help: "Evict a worker whose task runs longer than this many seconds (0: never).") var taskTimeout = 0.0
    @Option(help: "Run slices outstanding this many seconds again on idle workers.") var reissueAfter = 5.0
    @Option(help: "Refuse workers beyond this many (0: no limit).") var maxWorkers = 0
    @Option(help: "File with a secret that Subscribe must send as metadata x-chorus-join-secret.") var joinSecretFile: String?
    @Flag(help: "Log only warnings and errors (the per-epoch lines still print).") var quiet = false
    @OptionGroup var observability: ObservabilityOptions

    func validate() throws {
        if mode == .steadyState { return }
        guard let population, population >= 1 else { throw ValidationError("--population must be at least 1") }
        guard maxEpochs >= 0, shareInterval >= 1, maxWorkers >= 0 else {
            throw ValidationError("--max-epochs and --max-workers must be ≥ 0, --share-interval ≥ 1")
        }
        guard heartbeatTimeout > 0, taskTimeout >= 0, reissueAfter >= 0 else {
            throw ValidationError("timeouts must be positive")
        }
    }

    func run() throws {
        StopSignals.blockInEveryThread()
        let secret = try loadSecret(joinSecretFile).map { String(decoding: $0, as: UTF8.self) }
        var logger = Logger(label: "chorus.coordinator")
        if quiet { logger.logLevel = max(logger.logLevel, .warning) }
        if mode == .steadyState {
            return try steadyState.run(host: host, port: port, joinSecret: secret, logger: logger)
        }
        let population = population!
        let registry = observability.bootstrap()
        let monitor = TrainingMonitor(population: population)
        let engine = EngineConfiguration(
            populationSize: population,
            maxEpochs: maxEpochs,
            shareInterval: shareInterval,
            heartbeatTimeout: .milliseconds(Int(heartbeatTimeout * 1000)),
            taskTimeout: taskTimeout > 0 ? .milliseconds(Int(taskTimeout * 1000)) : nil,
            reissueAfter: .milliseconds(Int(reissueAfter * 1000)),
            maxWorkers: maxWorkers > 0 ? maxWorkers : nil,
            checkpointPath: checkpoint
        )
        let clock = ContinuousClock()
        let start = clock.now
        let coordinator = try EvochiCoordinator(
            configuration: EvochiConfiguration(engine: engine, host: host, port: port, joinSecret: secret),
            logger: logger,
            onEpoch: { epoch, rewards in
                monitor.epochFinished(epoch, rewards: rewards)
                let elapsed = (clock.now - start).seconds
                say(String(format: "epoch %d: mean %.2f, best %.2f, %.2f epochs/s",
                           epoch, rewards.reduce(0, +) / Float(rewards.count), rewards.max() ?? 0, Double(epoch) / elapsed))
            }
        )
        StopSignals.onSignal { Task { await coordinator.stop() } }
        let endpoint = try observability.startEndpoint(sources: [monitor], registry: registry)
        defer { endpoint?.stopBlocking() }
        let watcher = Task { await monitor.follow(coordinator) }
        defer { watcher.cancel() }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        try waitFor { try await coordinator.run { port in say("coordinator: listening on \(shownHost):\(port)") } }
        let final = try waitFor { await coordinator.checkpoint }
        if let final {
            say("done: phase \(try waitFor { await coordinator.phase }), state of epoch \(final.stateEpoch) (\(final.state.count) bytes)")
        } else {
            say("done: no state was created")
        }
    }
}

import ArgumentParser
import Chorus
import ChorusCore
import ChorusES
import ChorusEvochi
import ChorusHTTP
import Foundation
import Logging

/// `chorus demo` (`chorus demo cluster`): the whole system on loopback. This process is the
/// Evochi coordinator; worker processes train CartPole with EGGROLL over gRPC until the policy
/// scores 500; then rollout processes play the trained policy and stream trajectories into this
/// process's learner ring over TCP. Ends by writing the training curve as SVG. With
/// `--http-port` the coordinator's training and the learner are on one dashboard as they run.
struct ClusterDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Coordinator + worker processes train CartPole to 500; rollouts stream trajectories to a learner."
    )

    @Option(help: "Worker processes.") var workers = 2
    @Option(help: "Cores each worker claims (members per task).") var cores = 8
    @Option(help: "Members per epoch (even).") var population = 64
    @Option(help: "Give up after this many epochs.") var maxEpochs = 200
    @Option(help: "Rollout processes for the data-plane part.") var rollouts = 2
    @Option(help: "Seconds the rollouts stream.") var rolloutSeconds = 3.0
    @Option(help: "Where the checkpoint and the training curve go.") var output = ".build/demo"
    @OptionGroup var training: TrainingOptions
    @OptionGroup var observability: ObservabilityOptions

    func validate() throws {
        guard workers >= 1, cores >= 1, rollouts >= 1 else { throw ValidationError("--workers, --cores and --rollouts must be at least 1") }
        guard population >= 2, population % 2 == 0 else { throw ValidationError("--population must be even and at least 2") }
        guard maxEpochs >= 1, rolloutSeconds > 0 else { throw ValidationError("--max-epochs and --rollout-seconds must be positive") }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let checkpointPath = "\(output)/cartpole.checkpoint"
        try? FileManager.default.removeItem(atPath: checkpointPath)
        let registry = observability.bootstrap()
        let monitor = TrainingMonitor(population: population)
        let learner = try Server(schema: RolloutCommand.schema, batchSize: 64)
        let endpoint = try observability.startEndpoint(sources: [monitor, learner], registry: registry)
        defer { endpoint?.stopBlocking() }
        say("chorus demo: \(training.summary); coordinator here, \(workers) worker processes × \(cores) cores, "
            + "population \(population), up to \(maxEpochs) epochs")
        let training = try train(checkpointPath: checkpointPath, monitor: monitor)
        try stream(into: learner, checkpointPath: checkpointPath)
        let picture = "\(output)/training-curve.svg"
        try training.curve.svg().write(toFile: picture, atomically: true, encoding: .utf8)
        say("training curve: \(picture)")
        if !training.solved { throw CommandFailure("the policy did not reach 500 within \(maxEpochs) epochs") }
    }

    // MARK: Training

    private func train(checkpointPath: String, monitor: TrainingMonitor) throws -> (curve: TrainingCurve, solved: Bool) {
        let progress = TrainingProgress(title: "CartPole, \(training.strategy.rawValue), population \(population)")
        let stopper = Locked<EvochiCoordinator?>(nil)
        let training = self.training
        let engine = EngineConfiguration(
            populationSize: population, maxEpochs: maxEpochs, shareInterval: 1,
            heartbeatTimeout: .seconds(30), reissueAfter: .seconds(5), checkpointPath: checkpointPath
        )
        // The demo prints its own progress: the coordinator logs only what goes wrong.
        var logger = Logger(label: "chorus.coordinator")
        logger.logLevel = max(logger.logLevel, .warning)
        let coordinator = try EvochiCoordinator(
            configuration: EvochiConfiguration(engine: engine, port: 0),
            logger: logger,
            onEpoch: { epoch, rewards in
                progress.epoch(epoch, rewards: rewards)
                monitor.epochFinished(epoch, rewards: rewards)
            },
            onState: { checkpoint in
                guard let state = try? WorkerHost<ESWorker>.decode(checkpoint.state) else { return }
                let score = training.evaluate(state)
                progress.evaluated(epoch: checkpoint.stateEpoch - 1, score: score)
                monitor.policyScored(epoch: checkpoint.stateEpoch - 1, score: Double(score))
                if score >= 500, let coordinator = stopper.withLock({ $0 }) {
                    Task { await coordinator.stop() }
                }
            }
        )
        stopper.withLock { $0 = coordinator }
        let children = Locked<[Process]>([])
        let (workers, cores) = (self.workers, self.cores)
        let watcher = Task { await monitor.follow(coordinator) }
        defer { watcher.cancel() }
        try waitFor {
            try await coordinator.run { port in
                let started = (0..<workers).compactMap { _ in
                    try? startSelf(["worker", "--port", "\(port)", "--cores", "\(cores)", "--quiet"] + training.arguments)
                }
                children.withLock { $0 = started }
            }
        }
        for child in children.withLock({ $0 }) { child.waitUntilExit() }
        return progress.finish()
    }

    // MARK: Data plane

    private func stream(into server: Server, checkpointPath: String) throws {
        guard let port = try server.listen([.chorus(port: 0)]).first?.port else { throw CommandFailure("the learner is not listening") }
        say("data plane: learner on 127.0.0.1:\(port); \(rollouts) rollout processes play the trained policy for \(rolloutSeconds) s")
        let arguments = ["rollout", "--port", "\(port)", "--seconds", "\(rolloutSeconds)", "--checkpoint", checkpointPath]
        let players = try (0..<rollouts).map { index in
            try startSelf(arguments + ["--episode-seed", "\(index + 1)"] + training.arguments, quiet: false)
        }
        let watcher = Thread {
            for player in players { player.waitUntilExit() }
            server.shutdown()
        }
        watcher.start()
        let clock = ContinuousClock()
        var start: ContinuousClock.Instant?
        var (trajectories, returns, lastReport) = (0, Double(0), clock.now)
        for batch in server.batches() {
            start = start ?? clock.now
            trajectories += batch.batchSize
            returns += try batch["episode.return", as: Float.self].withUnsafeBufferPointer { episodeReturns in
                episodeReturns.reduce(0.0) { $0 + Double($1) }
            }
            if clock.now - lastReport > .seconds(1) {
                lastReport = clock.now
                let seconds = (clock.now - start!).seconds
                say(String(format: "  learner: %d trajectories, %.0f samples/s (%.0f steps/s)",
                           trajectories, Double(trajectories) / seconds, Double(trajectories * 16) / seconds))
            }
        }
        let seconds = start.map { (clock.now - $0).seconds } ?? 0
        say(String(format: "data plane: %d trajectories (%d steps) in %.1f s, %.0f trajectories/s (%.0f steps/s); "
                   + "mean episode return in the stream %.1f",
                   trajectories, trajectories * 16, seconds, Double(trajectories) / max(seconds, 1e-9),
                   Double(trajectories * 16) / max(seconds, 1e-9), returns / Double(max(trajectories, 1))))
    }
}

/// Starts this executable with `arguments`; its output goes to ours unless `quiet`.
private func startSelf(_ arguments: [String], quiet: Bool = true) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = arguments
    if quiet { process.standardOutput = FileHandle.nullDevice }
    try process.run()
    return process
}

/// The training's progress, fed from the coordinator's callbacks: a live line, and the curve.
private final class TrainingProgress: Sendable {
    private struct State {
        var curve: TrainingCurve
        var solvedAt: Int?
        var lastLine = ""
    }

    private let state: Locked<State>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let live = isatty(STDOUT_FILENO) == 1

    init(title: String) {
        state = Locked(State(curve: TrainingCurve(title: title)))
        start = clock.now
    }

    func epoch(_ epoch: Int, rewards: [Float]) {
        let mean = rewards.reduce(0, +) / Float(rewards.count)
        state.withLock { $0.curve.points.append(.init(epoch: epoch, mean: mean, best: rewards.max() ?? 0)) }
    }

    func evaluated(epoch: Int, score: Float) {
        let line = state.withLock { state -> String? in
            guard let index = state.curve.points.lastIndex(where: { $0.epoch == epoch }) else { return nil }
            state.curve.points[index].evaluation = score
            if score >= 500 && state.solvedAt == nil { state.solvedAt = epoch }
            let point = state.curve.points[index]
            let seconds = (clock.now - start).seconds
            return String(format: "epoch %3d | mean %6.1f | best %5.1f | policy %5.1f | %5.1f epochs/s",
                          epoch, point.mean, point.best, score, Double(epoch) / seconds)
        }
        guard let line else { return }
        if live {
            print("\r" + line, terminator: "")
            fflush(nil)
        } else if epoch % 10 == 0 || score >= 500 {
            say(line)
        }
    }

    func finish() -> (curve: TrainingCurve, solved: Bool) {
        let (curve, solvedAt) = state.withLock { ($0.curve, $0.solvedAt) }
        if live { print("") }
        let seconds = (clock.now - start).seconds
        if let solvedAt {
            say(String(format: "trained: the policy scores 500 (mean of 20 fresh episodes) after %d epochs, %.1f s (%.1f epochs/s)",
                       solvedAt, seconds, Double(solvedAt) / seconds))
        } else {
            say("training ended after \(curve.points.count) epochs without reaching 500")
        }
        return (curve, solvedAt != nil)
    }
}

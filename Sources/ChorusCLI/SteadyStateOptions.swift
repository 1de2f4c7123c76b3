import ArgumentParser
import ChorusCore
import ChorusES
import ChorusEvochi
import Foundation
import Logging

/// `chorus coordinator --mode steady-state`: the GA without generations over gRPC, serving
/// `chorus worker --mode steady-state` until the evaluation budget is spent.
struct SteadyStateOptions: ParsableArguments {
    @Option(help: "Individuals kept in the pool.") var poolSize = 32
    @Option(help: "Evaluations of new individuals in the run.") var evaluations = 2_000
    @Option(help: "Pool members per tournament.") var tournamentSize = 4
    @Option(help: "Re-evaluate the pool's best every this many results (0: never).") var reevaluateEvery = 64
    @Option(help: "Seed of the run's genomes.") var gaSeed: UInt64 = 21

    func validate() throws {
        guard poolSize >= 1, evaluations >= 1, tournamentSize >= 1, reevaluateEvery >= 0 else {
            throw ValidationError("--pool-size, --evaluations and --tournament-size must be at least 1, --reevaluate-every ≥ 0")
        }
    }

    func run(host: String, port: Int, joinSecret: String?, logger: Logger) throws {
        let engine = SteadyStateEngine.Configuration(poolSize: poolSize, tournamentSize: tournamentSize, evaluations: evaluations,
                                                     seed: gaSeed, reevaluationInterval: reevaluateEvery)
        let clock = ContinuousClock()
        let start = clock.now
        let tenths = Locked(0)
        let evaluations = self.evaluations
        let coordinator = SteadyStateCoordinator(
            configuration: .init(engine: engine, host: host, port: port, joinSecret: joinSecret), logger: logger
        ) { evaluated, best in
            let tenth = evaluated * 10 / evaluations
            guard tenths.withLock({ last in defer { last = max(last, tenth) }; return tenth > last }) else { return }
            say(String(format: "%d evaluated: best in pool %.1f, %.0f results/s", evaluated, best,
                       Double(evaluated) / (clock.now - start).seconds))
        }
        StopSignals.onSignal { Task { await coordinator.stop() } }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        try waitFor { try await coordinator.run { port in say("coordinator: listening on \(shownHost):\(port)") } }
        let summary = try waitFor { await coordinator.summary }
        let perWorker = summary.resultsByWorker.sorted { $0.key < $1.key }.map { "worker \($0.key): \($0.value)" }
        say("results by worker: \(perWorker.joined(separator: ", "))")
        let elapsed = String(format: "%.2f", (clock.now - start).seconds)
        if let best = summary.best {
            say(String(format: "done: %d evaluated, %d re-evaluations in %@ s; best %.2f (mean of %d), %d seeds", summary.evaluated,
                       summary.reevaluated, elapsed, best.fitness, best.evaluations, best.genome.seeds.count))
        } else {
            say("done: \(summary.evaluated) evaluated in \(elapsed) s, the pool is empty")
        }
    }
}

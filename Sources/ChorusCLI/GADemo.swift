import ArgumentParser
import ChorusCore
import ChorusES
import Foundation

/// `chorus demo ga`: the genetic algorithm on seed-encoded genomes trains a CartPole policy,
/// first under the epoch engine (generations, like ES), then in the no-barrier mode (workers
/// never wait for each other), both with local workers in this process.
struct GADemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ga",
        abstract: "Train CartPole with the genetic algorithm: epoch mode, then no-barrier mode."
    )

    @Option(help: "Local workers.") var workers = 3
    @Option(help: "Cores each worker claims (individuals per task).") var cores = 8
    @Option(help: "Individuals per generation (epoch mode); the no-barrier pool holds half as many.") var population = 64
    @Option(help: "The best this many of a generation breed the next.") var truncation = 10
    @Option(help: "Generations in epoch mode; no-barrier mode gets the same number of evaluations.") var generations = 40
    @Option(help: "Hidden layer widths of the policy, comma-separated.") var hidden = "8"
    @Option(help: "Mutation scale σ.") var sigma: Float = 0.05
    @Option(help: "Episodes per evaluation.") var episodes = 2
    @Option(help: "Seed of the run.") var seed: UInt64 = 21

    func validate() throws {
        guard workers >= 1, cores >= 1, generations >= 1, episodes >= 1 else {
            throw ValidationError("--workers, --cores, --generations and --episodes must be at least 1")
        }
        guard population >= 4, (1...population).contains(truncation) else {
            throw ValidationError("--population must be at least 4 and --truncation between 1 and it")
        }
        guard hiddenSizes != nil, sigma > 0 else { throw ValidationError("--hidden must be positive integers, --sigma positive") }
    }

    private var hiddenSizes: [Int]? { TrainingOptions.widths(hidden) }

    func run() throws {
        let policy = MLPPolicy(sizes: [4] + hiddenSizes! + [2])
        let task = CartPoleTask(policy: policy, episodes: episodes, seed: seed)
        let algorithm = GeneticAlgorithm(populationSize: population, truncation: truncation, seed: seed)
        let (sigma, population) = (self.sigma, self.population)
        let makeWorker: @Sendable (Int) -> GAWorker = { _ in
            GAWorker(algorithm: algorithm, decoder: GenomeDecoder(layout: policy.layout, sigma: sigma, initialization: .scaledNormal,
                                                                  cacheCapacity: 2 * population)) { parameters, epoch, member in
                task.fitness(of: parameters, epoch: epoch, member: member)
            }
        }
        /// The mean return of `genome`, a member of `state`'s population, over 20 fresh episodes.
        func freshScore(_ genome: Genome, in state: GAState) -> Float {
            let parameters = makeWorker(0).parameters(of: genome, in: state)
            return task.freshReturn(of: PerturbedParameters(layout: policy.layout, center: parameters))
        }
        say("chorus demo ga: CartPole, policy \(policy.sizes), \(policy.layout.count) parameters; population \(population), "
            + "truncation \(truncation), σ \(sigma), \(workers) workers × \(cores) cores")

        say("epoch mode: \(generations) generations through the epoch engine")
        let clock = ContinuousClock()
        let epochStart = clock.now
        let cluster = LocalCluster(configuration: EngineConfiguration(populationSize: population, maxEpochs: generations, shareInterval: 10),
                                   cores: Array(repeating: cores, count: workers), makeWorker: makeWorker)
        let final = try waitFor {
            try await cluster.run { generation, rewards in
                say(String(format: "  generation %3d: mean return %6.1f, best %5.1f  (%.1f s)", generation,
                           rewards.reduce(0, +) / Float(rewards.count), rewards.max() ?? 0, (clock.now - epochStart).seconds))
            }
        }
        let finalState = try WorkerHost<GAWorker>.decode(final.state)
        let elite = finalState.population[0]
        say(String(format: "  elite: mean return %.1f over 20 fresh episodes (500 = solved); its genome is %d seeds after compaction "
                   + "(the state: %d genomes of at most %d seeds, %d anchors of %d parameters)",
                   freshScore(elite, in: finalState), elite.seeds.count, finalState.population.count,
                   finalState.population.map(\.seeds.count).max() ?? 0, finalState.anchors.count, policy.layout.count))

        let evaluations = generations * population
        say("no-barrier mode: \(evaluations) evaluations, pool of \(population / 2), no generations")
        let steadyStart = clock.now
        let progress = Locked(0)
        let steady = SteadyStateCluster(configuration: .init(poolSize: population / 2, tournamentSize: 4, evaluations: evaluations, seed: seed),
                                        cores: Array(repeating: cores, count: workers), makeWorker: makeWorker)
        let report = steady.run { evaluated, best in
            let tenth = evaluated * 10 / evaluations
            let isNew = progress.withLock { last in
                defer { last = max(last, tenth) }
                return tenth > last
            }
            if isNew {
                say(String(format: "  %5d evaluated: best in pool %5.1f  (%.1f s)", evaluated, best, (clock.now - steadyStart).seconds))
            }
        }
        let perWorker = report.evaluatedByWorker.map { String(format: "%.0f", Double($0) / report.seconds) }
        say("  individuals/s per worker: \(perWorker.joined(separator: ", ")) (no worker waits for another)")
        if let best = report.pool.first {
            say(String(format: "  pool's best: mean return %.1f over 20 fresh episodes; %d seeds",
                       freshScore(best.genome, in: GAState(population: [best.genome])), best.genome.seeds.count))
        }
    }
}

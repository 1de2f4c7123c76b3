/// The engine's no-barrier (steady-state) mode for the genetic algorithm: there are no epochs.
/// An idle worker is handed new individuals at once; each result updates the pool at once
/// (it replaces the worst if it is better), so a slow worker never holds up the others.
///
/// Individuals are numbered in the order they are created; individual `n` is drawn from
/// ``PhiloxRandom`` stream `n` of the run's seed: a fresh genome while the pool fills, then a
/// tournament winner of the pool plus one mutation. Which pool it sees depends on the order
/// results arrive, so a steady-state run is not reproducible the way an epoch run is.
///
/// A serial state machine like ``EpochEngine``: its owner calls it from one place at a time.
/// The Evochi wire is epoch-based, so this mode serves local workers (``SteadyStateCluster``).
public struct SteadyStateEngine: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Individuals kept; the pool's best is the run's answer.
        public var poolSize: Int
        /// Pool members drawn for each tournament (the fittest becomes the parent).
        public var tournamentSize: Int
        /// Evaluations in the whole run.
        public var evaluations: Int
        public var seed: UInt64

        public init(poolSize: Int, tournamentSize: Int = 3, evaluations: Int, seed: UInt64) {
            precondition(poolSize >= 1 && tournamentSize >= 1 && evaluations >= 1)
            self.poolSize = poolSize
            self.tournamentSize = tournamentSize
            self.evaluations = evaluations
            self.seed = seed
        }
    }

    /// One individual handed to a worker.
    public struct Individual: Hashable, Sendable {
        public let number: Int
        public let genome: Genome
    }

    public let configuration: Configuration
    /// The evaluated individuals kept, in no particular order.
    public private(set) var pool: [(genome: Genome, fitness: Float)] = []
    public private(set) var evaluated = 0
    private var created = 0
    /// Handed out and neither reported nor abandoned.
    private var outstanding = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The run's budget is spent and every result is in.
    public var isFinished: Bool { evaluated >= configuration.evaluations && outstanding == 0 }

    /// The best individual so far.
    public var best: (genome: Genome, fitness: Float)? { pool.max { $0.fitness < $1.fitness } }

    /// Up to `count` new individuals for an idle worker (none once the budget is handed out).
    public mutating func next(_ count: Int) -> [Individual] {
        let granted = max(0, min(count, configuration.evaluations - evaluated - outstanding))
        outstanding += granted
        return (0..<granted).map { _ in
            created += 1
            return Individual(number: created - 1, genome: genome(of: created - 1))
        }
    }

    /// The fitness of an individual handed out: the pool takes it if it has room, or in place
    /// of its worst member if it is better. NaN never enters.
    public mutating func report(_ individual: Individual, fitness: Float) {
        outstanding -= 1
        evaluated += 1
        guard !fitness.isNaN else { return }
        if pool.count < configuration.poolSize {
            pool.append((individual.genome, fitness))
        } else if let worst = pool.indices.min(by: { pool[$0].fitness < pool[$1].fitness }), fitness > pool[worst].fitness {
            pool[worst] = (individual.genome, fitness)
        }
    }

    /// An individual handed out will not be reported (its worker left): its evaluation goes
    /// back into the budget.
    public mutating func abandon(_ individual: Individual) {
        outstanding -= 1
    }

    private func genome(of number: Int) -> Genome {
        var random = PhiloxRandom(seed: configuration.seed, stream: UInt64(number))
        guard pool.count >= configuration.poolSize else { return Genome(seeds: [random.next()]) }
        var parent = Int(random.next() % UInt64(pool.count))
        for _ in 1..<configuration.tournamentSize {
            let rival = Int(random.next() % UInt64(pool.count))
            if pool[rival].fitness > pool[parent].fitness { parent = rival }
        }
        return pool[parent].genome.mutated(by: random.next())
    }
}

/// The engine's no-barrier (steady-state) mode for the genetic algorithm: there are no epochs.
/// An idle worker is handed new individuals at once; each result updates the pool at once
/// (it replaces the worst if it is better), so a slow worker never holds up the others.
///
/// Individuals are numbered in the order they are created; individual `n` is drawn from
/// ``PhiloxRandom`` stream `n` of the run's seed: a fresh genome while the pool fills, then a
/// tournament winner of the pool plus one mutation. Which pool it sees depends on the order
/// results arrive, so a steady-state run is not reproducible the way an epoch run is.
///
/// Every individual is evaluated once: one handed to a worker that leaves goes back and is the
/// next one handed out. A result is taken only from the worker the individual was given to, once,
/// and only if it is a finite number; anything else is refused with the reason and changes
/// nothing. Every ``Configuration/reevaluationInterval`` results, the pool's best is handed out
/// again and its fitness becomes the mean of its evaluations, so a lucky noisy score cannot
/// stay on top.
///
/// A serial state machine like ``EpochEngine``: its owner calls it from one place at a time.
public struct SteadyStateEngine: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Individuals kept; the pool's best is the run's answer.
        public var poolSize: Int
        /// Pool members drawn for each tournament (the fittest becomes the parent).
        public var tournamentSize: Int
        /// Evaluations of new individuals in the whole run (re-evaluations come on top).
        public var evaluations: Int
        public var seed: UInt64
        /// Results between two re-evaluations of the pool's best (0: never).
        public var reevaluationInterval: Int

        public init(poolSize: Int, tournamentSize: Int = 3, evaluations: Int, seed: UInt64, reevaluationInterval: Int = 0) {
            precondition(poolSize >= 1 && tournamentSize >= 1 && evaluations >= 1 && reevaluationInterval >= 0)
            self.poolSize = poolSize
            self.tournamentSize = tournamentSize
            self.evaluations = evaluations
            self.seed = seed
            self.reevaluationInterval = reevaluationInterval
        }
    }

    /// One individual handed to a worker; `number` names it in the worker's report.
    public struct Individual: Hashable, Sendable {
        public let number: Int
        public let genome: Genome

        public init(number: Int, genome: Genome) {
            self.number = number
            self.genome = genome
        }
    }

    /// An evaluated individual the pool keeps.
    public struct Member: Hashable, Sendable {
        public let number: Int
        public let genome: Genome
        /// The mean of its evaluations.
        public private(set) var fitness: Float
        public private(set) var evaluations: Int

        mutating func add(_ score: Float) {
            evaluations += 1
            fitness += (score - fitness) / Float(evaluations)
        }
    }

    /// What a worker holds: a new individual, or a pool member to score again.
    private struct Handout {
        let worker: Int
        let individual: Individual
        /// The pool member (by number) this evaluates again; nil for a new individual.
        let reevaluates: Int?
    }

    public let configuration: Configuration
    /// The evaluated individuals kept, in no particular order.
    public private(set) var pool: [Member] = []
    /// New individuals evaluated.
    public private(set) var evaluated = 0
    /// Re-evaluations of pool members reported.
    public private(set) var reevaluated = 0
    /// Numbers handed out so far (new individuals and re-evaluations).
    private var numbered = 0
    private var handedOut: [Int: Handout] = [:]
    /// Individuals whose worker left, handed out again before anything new.
    private var returned: [Individual] = []
    private var resultsSinceReevaluation = 0
    /// New individuals out with workers (re-evaluations excluded).
    private var newOut = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The run's budget is spent and every result is in.
    public var isFinished: Bool { evaluated >= configuration.evaluations && handedOut.isEmpty }

    /// The best member so far.
    public var best: Member? { pool.max { $0.fitness < $1.fitness } }

    /// Individuals a worker holds.
    public func outstanding(for worker: Int) -> Int { handedOut.values.count { $0.worker == worker } }

    /// Up to `count` individuals for an idle `worker`: returned ones first, the pool's best again
    /// when a re-evaluation is due, then new ones (none once the budget is handed out).
    public mutating func next(_ count: Int, for worker: Int = 0) -> [Individual] {
        var given: [Individual] = []
        // New individuals left to hand out (re-evaluations come on top).
        while given.count < count, configuration.evaluations - evaluated - newOut > 0 {
            let individual: Individual
            var member: Int?
            if let back = returned.popLast() {
                individual = back
            } else if configuration.reevaluationInterval > 0, resultsSinceReevaluation >= configuration.reevaluationInterval,
                      let best {
                resultsSinceReevaluation = 0
                (individual, member) = (Individual(number: numbered, genome: best.genome), best.number)
                numbered += 1
            } else {
                individual = Individual(number: numbered, genome: genome(of: numbered))
                numbered += 1
            }
            hand(individual, to: worker, reevaluating: member)
            given.append(individual)
        }
        return given
    }

    /// The fitness `worker` found for individual `number`: the pool takes a new individual if it
    /// has room, or in place of its worst member if it is better; a re-evaluation updates its
    /// member's mean. Refused, changing nothing, when `number` is not out with `worker` or the
    /// fitness is not a finite number.
    public mutating func report(_ number: Int, fitness: Float, from worker: Int = 0) throws(EngineRejection) {
        let handout = try handout(number, fitness: fitness, from: worker, genome: nil)
        handedOut[number] = nil
        resultsSinceReevaluation += 1
        if let member = handout.reevaluates {
            reevaluated += 1
            if let index = pool.firstIndex(where: { $0.number == member }) { pool[index].add(fitness) }
            return
        }
        evaluated += 1
        newOut -= 1
        let member = Member(number: number, genome: handout.individual.genome, fitness: fitness, evaluations: 1)
        if pool.count < configuration.poolSize {
            pool.append(member)
        } else if let worst = pool.indices.min(by: { pool[$0].fitness < pool[$1].fitness }), fitness > pool[worst].fitness {
            pool[worst] = member
        }
    }

    /// Refuses, with the reason, what ``report(_:fitness:from:)`` would refuse; and, when the
    /// worker sent back the genome it evaluated, one that is not the genome it was given.
    public func check(_ number: Int, fitness: Float, from worker: Int, genome: Genome? = nil) throws(EngineRejection) {
        _ = try handout(number, fitness: fitness, from: worker, genome: genome)
    }

    private func handout(_ number: Int, fitness: Float, from worker: Int, genome: Genome?) throws(EngineRejection) -> Handout {
        guard let handout = handedOut[number] else {
            throw EngineRejection(.unknownTask, number < numbered && number >= 0
                ? "individual \(number) is not out: already reported, or given back when its worker left"
                : "individual \(number) was never handed out")
        }
        guard handout.worker == worker else {
            throw EngineRejection(.unknownTask, "individual \(number) was given to worker \(handout.worker), not \(worker)")
        }
        guard fitness.isFinite else { throw EngineRejection(.invalid, "the fitness of individual \(number) is \(fitness)") }
        if let genome, genome != handout.individual.genome {
            throw EngineRejection(.invalid, "individual \(number) came back with seeds that are not the ones handed out")
        }
        return handout
    }

    /// `worker` left: the new individuals it held go back to be handed out again (its
    /// re-evaluations are dropped). Returns how many went back.
    @discardableResult
    public mutating func workerLeft(_ worker: Int) -> Int {
        let held = handedOut.values.filter { $0.worker == worker }.sorted { $0.individual.number > $1.individual.number }
        for handout in held {
            handedOut[handout.individual.number] = nil
            if handout.reevaluates == nil {
                returned.append(handout.individual)
                newOut -= 1
            }
        }
        return held.count { $0.reevaluates == nil }
    }

    private mutating func hand(_ individual: Individual, to worker: Int, reevaluating member: Int?) {
        handedOut[individual.number] = Handout(worker: worker, individual: individual, reevaluates: member)
        if member == nil { newOut += 1 }
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

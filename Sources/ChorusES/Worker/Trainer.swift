import ChorusCore
import Foundation

/// A single-process trainer with the API of eggroll-trainer's `ESTrainer`: starting parameters,
/// a fitness (higher is better), a method; then ``train(generations:progress:)`` (or ``step()``
/// once per generation), its population evaluated on local threads, and ``bestParameters`` at
/// the end. ES methods update with the optimizer given (Adam by default) on shaped fitness
/// (centered ranks by default); the GA breeds seed-encoded genomes around the starting
/// parameters; a ``Strategy`` of one's own brings its own perturbations and update.
///
/// For a cluster, the same strategies run under ``EpochEngine`` through ``ESWorker`` and
/// ``GAWorker``; this is the way to try them on one machine.
public final class Trainer {
    public enum Method: Sendable {
        /// Full-rank Gaussian perturbations (Salimans et al., 2017).
        case openAIES
        /// Low-rank perturbations of the layout's matrices (vectors stay full rank).
        case eggroll(rank: Int)
        /// The genetic algorithm: the best `truncation` breed, the elite survives; the optimizer,
        /// the learning rate and the shaping are not used.
        case genetic(truncation: Int)
        /// A strategy of one's own: its perturbations (`member`) and its update (`gradient`),
        /// with its own layout, noise and σ, as eggroll-trainer's subclass hooks allow.
        case custom(any Strategy)
    }

    /// What one generation did.
    public struct Generation: Sendable, Hashable, CustomStringConvertible {
        public let generation: Int
        /// Over the members whose fitness is a number.
        public let meanFitness: Float
        public let bestFitness: Float

        public var description: String { "generation \(generation): mean fitness \(meanFitness), best \(bestFitness)" }
    }

    public let initialParameters: [Float]
    public let layout: ParameterLayout
    public let fitness: ESWorker.Fitness
    public let method: Method
    public let populationSize: Int
    public let sigma: Float
    public let optimizer: any Optimizer
    public let shaping: FitnessShaping
    /// The seed of every random choice; drawn at random when none was given, and reported here
    /// so the run can be repeated.
    public let seed: UInt64

    /// Generations stepped since the start (or the last ``reset()``).
    public private(set) var generation = 0
    /// Every generation since the start (or the last ``reset()``), in order.
    public private(set) var history: [Generation] = []
    /// The best individual evaluated so far, and its fitness.
    public private(set) var bestParameters: [Float]
    public private(set) var bestFitness = -Float.infinity

    /// Where the search stands: the ES center and its optimizer's state, or the GA's population.
    enum Search {
        case evolutionStrategy(ESTrainer, ESState)
        case genetic(GeneticAlgorithm, GenomeDecoder, GAState)
    }
    private(set) var search: Search

    /// `layout` names the matrices a low-rank method may perturb as such; by default the
    /// parameters are one vector (a ``Method/custom(_:)`` strategy brings its own). `optimizer`
    /// nil means Adam with `learningRate`. `seed` nil draws one (see ``seed``).
    ///
    /// Throws, before anything runs, if a value is out of range or does not fit the others: an
    /// odd population for a method that pairs its members, a shaping group that does not divide
    /// the population, a layout that does not fit the parameters.
    public init(
        parameters: [Float], layout: ParameterLayout? = nil, fitness: @escaping ESWorker.Fitness,
        strategy method: Method = .openAIES, populationSize: Int = 50, sigma: Float = 0.1,
        learningRate: Float = 0.01, optimizer: (any Optimizer)? = nil, shaping: FitnessShaping = .centeredRanks,
        seed: UInt64? = nil
    ) throws(TrainerError) {
        guard !parameters.isEmpty else { throw .invalidConfiguration("there are no parameters to train") }
        let layout: ParameterLayout = if case .custom(let strategy) = method {
            strategy.layout
        } else {
            layout ?? Self.vectorLayout(count: parameters.count)
        }
        let sigma = if case .custom(let strategy) = method { strategy.sigma } else { sigma }
        if let reason = Self.invalidReason(
            method, parameters: parameters.count, layout: layout, populationSize: populationSize, sigma: sigma,
            learningRate: optimizer == nil ? learningRate : nil, shaping: shaping)
        {
            throw .invalidConfiguration(reason)
        }
        self.initialParameters = parameters
        self.layout = layout
        self.fitness = fitness
        self.method = method
        self.populationSize = populationSize
        self.sigma = sigma
        self.optimizer = optimizer ?? Adam(learningRate: learningRate)
        self.shaping = shaping
        self.seed = seed ?? UInt64.random(in: .min ... .max)
        bestParameters = parameters
        search = Self.start(method, layout: layout, parameters: parameters, populationSize: populationSize,
                            sigma: sigma, optimizer: self.optimizer, shaping: shaping, seed: self.seed)
    }

    /// The current answer: the center of the search distribution (ES) or the elite (GA).
    public var parameters: [Float] {
        switch search {
        case .evolutionStrategy(_, let state): state.parameters
        case .genetic(_, let decoder, let state): decoder.parameters(of: state.population[0])
        }
    }

    /// The fitness of `parameters` (for instance ``bestParameters`` on fresh episodes) through
    /// the trainer's fitness function, as member 0 of the current generation.
    public func evaluateFitness(_ parameters: [Float]) throws(TrainerError) -> Float {
        guard parameters.count == layout.count else {
            throw .wrongParameterCount(expected: layout.count, given: parameters.count)
        }
        return fitness(PerturbedParameters(layout: layout, center: parameters), generation, 0)
    }

    /// Runs `generations` generations, handing each to `progress` as it ends; returns them.
    @discardableResult
    public func train(generations: Int, progress: ((Generation) -> Void)? = nil) -> [Generation] {
        (0..<max(0, generations)).map { _ in
            let result = step()
            progress?(result)
            return result
        }
    }

    /// Evaluates one generation and moves on from it.
    @discardableResult
    public func step() -> Generation {
        generation += 1
        let members: [PerturbedParameters]
        switch search {
        case .evolutionStrategy(let trainer, let state):
            members = (0..<populationSize).map { trainer.member($0, epoch: generation, of: state) }
        case .genetic(_, let decoder, let state):
            members = state.population.map { PerturbedParameters(layout: layout, center: decoder.parameters(of: $0)) }
        }
        let rewards = evaluate(members)
        if let best = rewards.indices.filter({ !rewards[$0].isNaN }).max(by: { rewards[$0] < rewards[$1] }),
           rewards[best] > bestFitness {
            bestFitness = rewards[best]
            bestParameters = members[best].materialized()
        }
        switch search {
        case .evolutionStrategy(let trainer, var state):
            trainer.step(&state, epoch: generation, rewards: rewards)
            search = .evolutionStrategy(trainer, state)
        case .genetic(let algorithm, let decoder, let state):
            let next = algorithm.nextGeneration(of: state.population, rewards: rewards, generation: generation)
            search = .genetic(algorithm, decoder, GAState(population: next, anchors: state.anchors).compacted(using: decoder))
        }
        let finite = rewards.filter { !$0.isNaN }
        let result = Generation(generation: generation, meanFitness: finite.reduce(0, +) / Float(max(1, finite.count)),
                                bestFitness: finite.max() ?? .nan)
        history.append(result)
        return result
    }

    /// Back to the starting parameters, generation 0, nothing best yet, no history.
    public func reset() {
        generation = 0
        history = []
        bestParameters = initialParameters
        bestFitness = -.infinity
        search = Self.start(method, layout: layout, parameters: initialParameters, populationSize: populationSize,
                            sigma: sigma, optimizer: optimizer, shaping: shaping, seed: seed)
    }

    /// Every member's fitness, members spread over the machine's cores.
    private func evaluate(_ members: [PerturbedParameters]) -> [Float] {
        let rewards = Locked([Float](repeating: .nan, count: members.count))
        let (fitness, generation) = (self.fitness, self.generation)
        DispatchQueue.concurrentPerform(iterations: members.count) { member in
            let value = fitness(members[member], generation, member)
            rewards.withLock { $0[member] = value }
        }
        return rewards.withLock { $0 }
    }

    private static func start(
        _ method: Method, layout: ParameterLayout, parameters: [Float], populationSize: Int, sigma: Float,
        optimizer: any Optimizer, shaping: FitnessShaping, seed: UInt64
    ) -> Search {
        let noise = Noise(seed: seed)
        let strategy: any Strategy
        switch method {
        case .openAIES:
            strategy = OpenAIES(layout: layout, noise: noise, sigma: sigma)
        case .eggroll(let rank):
            strategy = EGGROLL(layout: layout, noise: noise, sigma: sigma, rank: rank)
        case .custom(let custom):
            strategy = custom
        case .genetic(let truncation):
            let algorithm = GeneticAlgorithm(populationSize: populationSize, truncation: truncation, seed: seed)
            let decoder = GenomeDecoder(layout: layout, sigma: sigma, initialization: .around(parameters),
                                        cacheCapacity: 2 * populationSize)
            return .genetic(algorithm, decoder, GAState(population: algorithm.initialPopulation()))
        }
        return .evolutionStrategy(ESTrainer(strategy: strategy, shaping: shaping, optimizer: optimizer),
                                  ESState(parameters: parameters))
    }

    /// Why these settings cannot train, or nil. `learningRate` nil: an optimizer was given.
    private static func invalidReason(
        _ method: Method, parameters: Int, layout: ParameterLayout, populationSize: Int, sigma: Float,
        learningRate: Float?, shaping: FitnessShaping
    ) -> String? {
        guard layout.count == parameters else {
            return "the layout holds \(layout.count) parameters, the starting parameters \(parameters)"
        }
        guard populationSize >= 2 else { return "a population needs at least two members, not \(populationSize)" }
        guard sigma.isFinite, sigma > 0 else { return "sigma must be positive and finite, not \(sigma)" }
        let pairs: Bool
        switch method {
        case .openAIES:
            pairs = true
        case .eggroll(let rank):
            guard rank >= 1 else { return "the EGGROLL rank must be at least 1, not \(rank)" }
            pairs = true
        case .custom(let strategy):
            pairs = strategy.pairsMembers
        case .genetic(let truncation):
            guard (1...populationSize).contains(truncation) else {
                return "truncation must be between 1 and the population size (\(populationSize)), not \(truncation)"
            }
            return nil
        }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            return "the learning rate must be positive and finite, not \(learningRate)"
        }
        if pairs, populationSize % 2 != 0 {
            return "the population (\(populationSize)) is odd, but this method evaluates antithetic pairs (+ε and −ε): use \(populationSize - 1) or \(populationSize + 1)"
        }
        if let group = shaping.groupSize {
            guard group >= 1, populationSize % group == 0 else {
                return "the shaping group size (\(group)) does not divide the population (\(populationSize))"
            }
            if pairs, group % 2 != 0 { return "the shaping group size (\(group)) must be even: groups hold whole antithetic pairs" }
        }
        return nil
    }

    static func vectorLayout(count: Int) -> ParameterLayout {
        var layout = ParameterLayout()
        layout.addVector("parameters", count: count)
        return layout
    }
}

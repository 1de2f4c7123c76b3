import ChorusCore
import Foundation

/// A single-process trainer in the shape of eggroll-trainer's `ESTrainer`: starting parameters,
/// a fitness (higher is better), a method; then ``step()`` once per generation, its population
/// evaluated on local threads, and ``bestParameters`` at the end. ES methods update with Adam on
/// centered ranks; the GA breeds seed-encoded genomes around the starting parameters.
///
/// For a cluster, the same strategies run under ``EpochEngine`` through ``ESWorker`` and
/// ``GAWorker``; this is the way to try them on one machine.
public final class Trainer {
    public enum Method: Sendable, Hashable {
        /// Full-rank Gaussian perturbations (Salimans et al., 2017).
        case openAIES
        /// Low-rank perturbations of the layout's matrices (vectors stay full rank).
        case eggroll(rank: Int)
        /// The genetic algorithm: the best `truncation` breed, the elite survives; `learningRate` is not used.
        case genetic(truncation: Int)
    }

    /// What one generation did.
    public struct Generation: Sendable, Hashable {
        public let generation: Int
        public let meanFitness: Float
        public let bestFitness: Float
    }

    public let initialParameters: [Float]
    public let layout: ParameterLayout
    public let fitness: ESWorker.Fitness
    public let method: Method
    public let populationSize: Int
    public let sigma: Float
    public let learningRate: Float
    public let seed: UInt64

    /// Generations stepped since the start (or the last ``reset()``).
    public private(set) var generation = 0
    /// The best individual evaluated so far, and its fitness.
    public private(set) var bestParameters: [Float]
    public private(set) var bestFitness = -Float.infinity

    private enum Search {
        case evolutionStrategy(ESTrainer, ESState)
        case genetic(GeneticAlgorithm, GenomeDecoder, GAState)
    }
    private var search: Search

    /// `layout` names the matrices a low-rank method may perturb as such; by default the
    /// parameters are one vector.
    public init(
        parameters: [Float], layout: ParameterLayout? = nil, fitness: @escaping ESWorker.Fitness,
        strategy method: Method = .openAIES, populationSize: Int = 50, sigma: Float = 0.1,
        learningRate: Float = 0.01, seed: UInt64 = 0
    ) {
        let layout = layout ?? Self.vectorLayout(count: parameters.count)
        precondition(layout.count == parameters.count, "the layout does not fit the parameters")
        precondition(populationSize >= 2, "a population needs at least two members")
        self.initialParameters = parameters
        self.layout = layout
        self.fitness = fitness
        self.method = method
        self.populationSize = populationSize
        self.sigma = sigma
        self.learningRate = learningRate
        self.seed = seed
        bestParameters = parameters
        search = Self.start(method, layout: layout, parameters: parameters, populationSize: populationSize,
                            sigma: sigma, learningRate: learningRate, seed: seed)
    }

    /// The current answer: the center of the search distribution (ES) or the elite (GA).
    public var parameters: [Float] {
        switch search {
        case .evolutionStrategy(_, let state): state.parameters
        case .genetic(_, let decoder, let state): decoder.parameters(of: state.population[0])
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
            search = .genetic(algorithm, decoder, GAState(population: next))
        }
        let finite = rewards.filter { !$0.isNaN }
        return Generation(generation: generation, meanFitness: finite.reduce(0, +) / Float(max(1, finite.count)),
                          bestFitness: finite.max() ?? .nan)
    }

    /// Back to the starting parameters, generation 0, nothing best yet.
    public func reset() {
        generation = 0
        bestParameters = initialParameters
        bestFitness = -.infinity
        search = Self.start(method, layout: layout, parameters: initialParameters, populationSize: populationSize,
                            sigma: sigma, learningRate: learningRate, seed: seed)
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
        _ method: Method, layout: ParameterLayout, parameters: [Float], populationSize: Int,
        sigma: Float, learningRate: Float, seed: UInt64
    ) -> Search {
        let noise = Noise(seed: seed)
        let optimizer = Adam(learningRate: learningRate)
        switch method {
        case .openAIES:
            return .evolutionStrategy(ESTrainer(strategy: OpenAIES(layout: layout, noise: noise, sigma: sigma), optimizer: optimizer),
                                      ESState(parameters: parameters))
        case .eggroll(let rank):
            return .evolutionStrategy(
                ESTrainer(strategy: EGGROLL(layout: layout, noise: noise, sigma: sigma, rank: rank), optimizer: optimizer),
                ESState(parameters: parameters))
        case .genetic(let truncation):
            let algorithm = GeneticAlgorithm(populationSize: populationSize, truncation: truncation, seed: seed)
            let decoder = GenomeDecoder(layout: layout, sigma: sigma, initialization: .around(parameters),
                                        cacheCapacity: 2 * populationSize)
            return .genetic(algorithm, decoder, GAState(population: algorithm.initialPopulation()))
        }
    }

    private static func vectorLayout(count: Int) -> ParameterLayout {
        var layout = ParameterLayout()
        layout.addVector("parameters", count: count)
        return layout
    }
}

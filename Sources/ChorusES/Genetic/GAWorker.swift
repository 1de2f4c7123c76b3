/// A ``Worker`` that runs the ``GeneticAlgorithm`` under the same engine as ES: it evaluates
/// its slices of the population (genomes rebuilt through its own ``GenomeDecoder`` cache) and
/// breeds the next generation from the epoch's rewards, as every other worker does.
public final class GAWorker: Worker {
    public let algorithm: GeneticAlgorithm
    public let decoder: GenomeDecoder
    public let fitness: ESWorker.Fitness

    public init(algorithm: GeneticAlgorithm, decoder: GenomeDecoder, fitness: @escaping ESWorker.Fitness) {
        self.algorithm = algorithm
        self.decoder = decoder
        self.fitness = fitness
    }

    public func initialize() -> GAState {
        GAState(population: algorithm.initialPopulation())
    }

    public func evaluate(_ state: GAState, epoch: Int, slices: [MemberRange]) -> [Evaluation] {
        slices.map { slice in
            Evaluation(slice: slice, rewards: slice.indices.map { member in
                score(state.population[member], epoch: epoch, member: member)
            })
        }
    }

    /// The fitness of `genome`, rebuilt through this worker's cache.
    func score(_ genome: Genome, epoch: Int, member: Int) -> Float {
        fitness(PerturbedParameters(layout: decoder.layout, center: decoder.parameters(of: genome)), epoch, member)
    }

    public func optimize(_ state: GAState, epoch: Int, rewards: [Float]) -> GAState {
        GAState(population: algorithm.nextGeneration(of: state.population, rewards: rewards, generation: epoch))
    }
}

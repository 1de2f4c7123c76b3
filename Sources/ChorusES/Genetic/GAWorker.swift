/// A ``Worker`` that runs the ``GeneticAlgorithm`` under the same engine as ES: it evaluates
/// its slices of the population (genomes rebuilt through its own ``GenomeDecoder`` cache) and
/// breeds the next generation from the epoch's rewards, as every other worker does, then
/// compacts it (``GAState/compacted(using:)``).
public final class GAWorker: Worker {
    public let algorithm: GeneticAlgorithm
    /// Rebuilds genomes, from the anchors of the state at hand.
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
                score(state.population[member], anchors: state.anchors, epoch: epoch, member: member)
            })
        }
    }

    /// The parameters of `genome`, a member of `state`'s population.
    public func parameters(of genome: Genome, in state: GAState) -> [Float] {
        decoder.use(anchors: state.anchors)
        return decoder.parameters(of: genome)
    }

    /// The fitness of `genome` (starting from one of `anchors`, or from the initialization),
    /// rebuilt through this worker's cache.
    func score(_ genome: Genome, anchors: [UInt64: [Float]], epoch: Int, member: Int) -> Float {
        decoder.use(anchors: anchors)
        return fitness(PerturbedParameters(layout: decoder.layout, center: decoder.parameters(of: genome)), epoch, member)
    }

    public func optimize(_ state: GAState, epoch: Int, rewards: [Float]) -> GAState {
        GAState(population: algorithm.nextGeneration(of: state.population, rewards: rewards, generation: epoch),
                anchors: state.anchors).compacted(using: decoder)
    }
}

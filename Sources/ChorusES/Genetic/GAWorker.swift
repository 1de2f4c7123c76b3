/// A ``Worker`` that runs the ``GeneticAlgorithm`` under the same engine as ES: it evaluates
/// its slices of the population (genomes rebuilt through its own ``GenomeDecoder`` cache) and
/// breeds the next generation from the epoch's rewards, as every other worker does, then
/// compacts it onto its common ancestor (``GAState/compacted(using:)``).
public final class GAWorker: Worker {
    public let algorithm: GeneticAlgorithm
    /// The decoder of uncompacted genomes (``GAState/origin`` nil, and the no-barrier mode's).
    public let decoder: GenomeDecoder
    public let fitness: ESWorker.Fitness
    /// The decoder of the last compacted state seen (its cache carried over from the one before).
    private var compactedDecoder: GenomeDecoder?

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
                score(state.population[member], decoder: decoder(for: state), epoch: epoch, member: member)
            })
        }
    }

    /// The parameters of `genome`, a member of `state`'s population.
    public func parameters(of genome: Genome, in state: GAState) -> [Float] {
        decoder(for: state).parameters(of: genome)
    }

    /// The fitness of `genome`, rebuilt through `decoder`'s cache.
    func score(_ genome: Genome, decoder: GenomeDecoder, epoch: Int, member: Int) -> Float {
        fitness(PerturbedParameters(layout: decoder.layout, center: decoder.parameters(of: genome)), epoch, member)
    }

    public func optimize(_ state: GAState, epoch: Int, rewards: [Float]) -> GAState {
        let next = GAState(population: algorithm.nextGeneration(of: state.population, rewards: rewards, generation: epoch),
                           origin: state.origin)
        let (compacted, decoder) = next.compacted(using: decoder(for: state))
        if compacted.origin != nil { compactedDecoder = decoder }
        return compacted
    }

    /// The decoder of `state`'s genomes: the uncompacted one, or one starting at its origin.
    private func decoder(for state: GAState) -> GenomeDecoder {
        guard let origin = state.origin else { return decoder }
        if let compactedDecoder, compactedDecoder.initialization == .exactly(origin) { return compactedDecoder }
        let fresh = GenomeDecoder(layout: decoder.layout, sigma: decoder.sigma, initialization: .exactly(origin),
                                  cacheCapacity: decoder.cacheCapacity)
        compactedDecoder = fresh
        return fresh
    }
}

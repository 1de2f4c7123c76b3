/// What every GA worker holds and the coordinator checkpoints: the current population (the
/// elite first after generation 0). Seeds only: a few bytes per individual and generation.
///
/// Genomes do not grow without bound: after each generation the population is compacted onto
/// its common ancestor (``compacted(using:)``), whose parameters become ``origin``; the genomes
/// then hold only the mutations since that ancestor, which truncation selection keeps recent.
public struct GAState: Sendable, Hashable, Codable {
    public var population: [Genome]
    /// The parameters every genome's first seed stands for once the population has been
    /// compacted; nil before: the decoder's own initialization.
    public var origin: [Float]?

    public init(population: [Genome], origin: [Float]? = nil) {
        self.population = population
        self.origin = origin
    }

    /// This population compacted onto its common ancestor when it has one with a mutation or
    /// more, and the decoder for the result. `decoder` is the decoder of this state (its
    /// ``origin``); the one returned starts from the ancestor's parameters, which become the
    /// new ``origin``, with its cache carried over. Each genome keeps the ancestor's last seed
    /// (as its first) and what came after; mutations are added in genome order either way, so
    /// every individual decodes to the same bits, and every worker compacts alike.
    public func compacted(using decoder: GenomeDecoder) -> (state: GAState, decoder: GenomeDecoder) {
        let genomes = population.map(\.seeds)
        let shortest = genomes.map(\.count).min() ?? 0
        var common = 0
        while common < shortest, genomes.allSatisfy({ $0[common] == genomes[0][common] }) { common += 1 }
        guard common >= 2 else { return (self, decoder) }
        let rebased = decoder.rebased(onto: Genome(seeds: Array(genomes[0][..<common])))
        guard case .exactly(let ancestor) = rebased.initialization else { preconditionFailure("a rebased decoder starts exactly") }
        return (GAState(population: genomes.map { Genome(seeds: Array($0[(common - 1)...])) }, origin: ancestor), rebased)
    }
}

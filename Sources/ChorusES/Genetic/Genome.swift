/// An individual of the genetic algorithm, encoded as the seeds that made it: the first seed
/// draws its starting parameters, each later one a mutation. Parameters are rebuilt from the
/// seeds with the project's counter-based noise (``GenomeDecoder``), so only seeds travel and
/// every worker rebuilds the same bits.
public struct Genome: Hashable, Sendable, Codable {
    public var seeds: [UInt64]

    public init(seeds: [UInt64]) {
        precondition(!seeds.isEmpty, "a genome has at least its initial seed")
        self.seeds = seeds
    }

    /// This genome with one more mutation.
    public func mutated(by seed: UInt64) -> Genome {
        Genome(seeds: seeds + [seed])
    }
}

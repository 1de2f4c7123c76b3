/// The genetic algorithm of Uber AI's deep neuroevolution (Such et al., 2017) on seed-encoded
/// genomes: truncation selection, one elite carried over unchanged (and evaluated again, so a
/// lucky score does not keep it on top), mutation by appending a seed.
///
/// Every choice is drawn from ``PhiloxRandom`` keyed by the run's seed and the generation, so
/// all workers given the same rewards compute the same next population.
public struct GeneticAlgorithm: Sendable, Hashable, Codable {
    public let populationSize: Int
    /// The best this many of a generation are the parents of the next.
    public let truncation: Int
    public let seed: UInt64

    public init(populationSize: Int, truncation: Int, seed: UInt64) {
        precondition(populationSize >= 2, "a population needs at least two individuals")
        precondition((1...populationSize).contains(truncation), "truncation must be between 1 and the population size")
        self.populationSize = populationSize
        self.truncation = truncation
        self.seed = seed
    }

    /// Generation 0: one fresh initial seed per individual.
    public func initialPopulation() -> [Genome] {
        var random = PhiloxRandom(seed: seed, stream: Self.initialStream)
        return (0..<populationSize).map { _ in Genome(seeds: [random.next()]) }
    }

    /// The population after `generation` scored `rewards`: the elite first, then children of
    /// the `truncation` best.
    public func nextGeneration(of population: [Genome], rewards: [Float], generation: Int) -> [Genome] {
        precondition(population.count == populationSize && rewards.count == populationSize)
        let parents = Self.ranking(rewards).prefix(truncation).map { population[$0] }
        var random = PhiloxRandom(seed: seed, stream: UInt64(generation))
        return [parents[0]] + (1..<populationSize).map { _ in
            parents[Int(random.next() % UInt64(parents.count))].mutated(by: random.next())
        }
    }

    /// Indices of `rewards` from best to worst (NaN last, ties by index).
    static func ranking(_ rewards: [Float]) -> [Int] {
        rewards.indices.sorted { a, b in
            let (x, y) = (rewards[a].isNaN ? -.infinity : rewards[a], rewards[b].isNaN ? -.infinity : rewards[b])
            return x != y ? x > y : a < b
        }
    }

    /// The random stream of generation 0's seeds (apart from the per-generation streams).
    private static let initialStream = UInt64.max
}

/// What every GA worker holds and the coordinator checkpoints: the current population (the
/// elite first after generation 0). Seeds only: a few bytes per individual and generation.
public struct GAState: Sendable, Hashable, Codable {
    public var population: [Genome]

    public init(population: [Genome]) {
        self.population = population
    }
}

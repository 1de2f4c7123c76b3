import Testing
@testable import ChorusES

@Suite struct GeneticTests {
    static let policy = MLPPolicy(sizes: [4, 8, 2])

    static func decoder(cache: Int = 16) -> GenomeDecoder {
        GenomeDecoder(layout: policy.layout, sigma: 0.05, initialization: .scaledNormal, cacheCapacity: cache)
    }

    @Test func rebuildsAreBitIdenticalAcrossDecodersAndCacheHitsAndMisses() {
        let genome = Genome(seeds: [42, 7, 1_000_003, 9, 12_345_678_901])
        let uncached = Self.decoder(cache: 0).parameters(of: genome)
        // Another "worker" builds every ancestor first, so each step is a cache hit on the parent.
        let warm = Self.decoder()
        for length in 1...genome.seeds.count { _ = warm.parameters(of: Genome(seeds: Array(genome.seeds[..<length]))) }
        #expect(warm.hits == genome.seeds.count - 1 && warm.misses == 1 && warm.seedsReplayed == genome.seeds.count)
        let fromCache = warm.parameters(of: genome)
        #expect(warm.hits == genome.seeds.count && warm.seedsReplayed == genome.seeds.count)
        #expect(uncached.map(\.bitPattern) == fromCache.map(\.bitPattern))
        // A child of a cached genome costs one noise vector, and matches a cold rebuild.
        let child = genome.mutated(by: 77)
        let warmChild = warm.parameters(of: child)
        #expect(warm.seedsReplayed == genome.seeds.count + 1)
        #expect(warmChild.map(\.bitPattern) == Self.decoder(cache: 0).parameters(of: child).map(\.bitPattern))
        // The formula: θ₀(seed₀) + σ·Σ ε(seedᵢ), checked against the noise directly for one element.
        let entry = Self.policy.layout.entries[0]
        var expected = Noise(seed: 42).stream(parameter: 0, epoch: 0, member: 0).normals(count: 1)[0] / Float(entry.columns!).squareRoot()
        for seed in genome.seeds.dropFirst() {
            expected += 0.05 * Noise(seed: seed).stream(parameter: 0, epoch: 0, member: 0).normals(count: 1)[0]
        }
        #expect(uncached[0].bitPattern == expected.bitPattern)
        #expect(uncached[entry.count] != 0 && uncached[Self.policy.layout.entries[1].offset] != 0, "biases mutate too")
    }

    @Test func theCacheForgetsTheLeastRecentlyUsed() {
        let decoder = Self.decoder(cache: 2)
        let (a, b, c) = (Genome(seeds: [1]), Genome(seeds: [2]), Genome(seeds: [3]))
        _ = decoder.parameters(of: a)
        _ = decoder.parameters(of: b)
        _ = decoder.parameters(of: a)   // a is now more recent than b
        _ = decoder.parameters(of: c)   // evicts b
        let missesBefore = decoder.misses
        _ = decoder.parameters(of: a)
        #expect(decoder.misses == missesBefore)
        _ = decoder.parameters(of: b)
        #expect(decoder.misses == missesBefore + 1)
    }

    @Test func nextGenerationKeepsTheEliteAndBreedsFromTheTruncatedBest() {
        let algorithm = GeneticAlgorithm(populationSize: 10, truncation: 3, seed: 5)
        let population = algorithm.initialPopulation()
        #expect(Set(population).count == 10)
        let rewards: [Float] = [1, 9, .nan, 4, 8, 0, 2, 7, 3, 5]
        let next = algorithm.nextGeneration(of: population, rewards: rewards, generation: 1)
        #expect(next[0] == population[1], "the elite comes first, unchanged")
        let parents = Set([population[1], population[4], population[7]])
        for child in next.dropFirst() {
            #expect(child.seeds.count == 2 && parents.contains(Genome(seeds: [child.seeds[0]])))
        }
        #expect(next == algorithm.nextGeneration(of: population, rewards: rewards, generation: 1), "reproducible")
        #expect(next != algorithm.nextGeneration(of: population, rewards: rewards, generation: 2))
    }

    @Test func workersCompactGenomesWithoutChangingAnyIndividual() {
        let algorithm = GeneticAlgorithm(populationSize: 16, truncation: 4, seed: 8)
        let worker = GAWorker(algorithm: algorithm, decoder: Self.decoder(cache: 64)) { _, _, _ in 0 }
        let plain = Self.decoder(cache: 64)
        var compacted = worker.initialize()
        var uncompacted = compacted.population
        for generation in 1 ... 60 {
            let rewards = (0 ..< 16).map { Float(($0 * 7 + generation * 3) % 16) }
            compacted = worker.optimize(compacted, epoch: generation, rewards: rewards)
            uncompacted = algorithm.nextGeneration(of: uncompacted, rewards: rewards, generation: generation)
            for (short, long) in zip(compacted.population, uncompacted) {
                #expect(worker.parameters(of: short, in: compacted).map(\.bitPattern) == plain.parameters(of: long).map(\.bitPattern))
            }
        }
        #expect(!compacted.anchors.isEmpty)
        #expect(compacted.population.map(\.seeds.count).max()! <= GAState.maximumGenomeLength)
        #expect(compacted.population.dropFirst().allSatisfy { $0.seeds.count <= 4 }, "\(compacted.population.map(\.seeds.count))")
        #expect(uncompacted.map(\.seeds.count).max()! > 40)
        // A worker that joins with the compacted state decodes it alike.
        let joiner = GAWorker(algorithm: algorithm, decoder: Self.decoder(cache: 0)) { _, _, _ in 0 }
        #expect(joiner.parameters(of: compacted.population[5], in: compacted) == worker.parameters(of: compacted.population[5], in: compacted))
    }

    @Test func theGASolvesCartPoleThroughTheEngine() async throws {
        let policy = Self.policy
        let task = CartPoleTask(policy: policy, episodes: 2, seed: 3)
        let algorithm = GeneticAlgorithm(populationSize: 64, truncation: 10, seed: 21)
        let generations = 40   // the fixed budget: 40 × 64 evaluations of 2 episodes
        let cluster = LocalCluster(
            configuration: EngineConfiguration(populationSize: 64, maxEpochs: generations, shareInterval: 5),
            cores: [4, 4, 8]
        ) { _ in
            GAWorker(algorithm: algorithm, decoder: Self.decoder(cache: 128)) { parameters, epoch, member in
                task.fitness(of: parameters, epoch: epoch, member: member)
            }
        }
        let final = try WorkerHost<GAWorker>.decode(try await cluster.run().state)
        let decoder = Self.decoder(cache: 0)
        decoder.use(anchors: final.anchors)
        let elite = decoder.parameters(of: final.population[0])
        #expect(CartPoleTests.evaluationReturn(elite, policy: policy) >= 475, "the elite's mean return over 20 fresh episodes")
        // Many CartPole policies tie at 500, so an old elite stays beside other lineages and the
        // common ancestor stays old: the length cap keeps the genomes short.
        #expect(final.population.allSatisfy { $0.seeds.count <= GAState.maximumGenomeLength },
                "\(final.population.map(\.seeds.count))")
    }
}

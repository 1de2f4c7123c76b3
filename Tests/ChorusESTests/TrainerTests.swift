import Testing
@testable import ChorusES

@Suite struct TrainerTests {
    static let target: [Float] = (1...10).map { Float($0) / 10 }
    static let origin = [Float](repeating: 0, count: 10)

    static func sphere(_ parameters: PerturbedParameters, _: Int, _: Int) -> Float {
        -zip(parameters.materialized(), target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    static func distance(_ parameters: [Float]) -> Float {
        zip(parameters, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test(arguments: [Trainer.Method.openAIES, .eggroll(rank: 1), .genetic(truncation: 10)])
    func solvesTheTenDimensionalSphere(method: Trainer.Method) throws {
        let isGenetic = if case .genetic = method { true } else { false }
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, strategy: method,
                                  populationSize: 50, sigma: isGenetic ? 0.02 : 0.1, learningRate: 0.05, seed: 3)
        let start = Self.distance(trainer.parameters)
        let history = trainer.train(generations: 300)
        #expect(start > 1.9)
        #expect(Self.distance(trainer.bestParameters) < 0.1, "within 0.1 of the optimum (from \(start))")
        #expect(trainer.bestFitness >= history.last!.bestFitness && trainer.generation == 300)
    }

    @Test(arguments: [Trainer.Method.eggroll(rank: 1), .genetic(truncation: 10)])
    func solvesCartPole(method: Trainer.Method) throws {
        let policy = GeneticTests.policy
        let task = CartPoleTask(policy: policy, episodes: 2, seed: 5)
        let isGenetic = if case .genetic = method { true } else { false }
        let trainer = try Trainer(parameters: policy.initialParameters, layout: policy.layout,
                                  fitness: { task.fitness(of: $0, epoch: $1, member: $2) }, strategy: method,
                                  populationSize: 64, sigma: isGenetic ? 0.5 : 0.1, learningRate: 0.05, seed: 12)
        trainer.train(generations: 40)
        let answer = isGenetic ? trainer.bestParameters : trainer.parameters
        #expect(CartPoleTests.evaluationReturn(answer, policy: policy) >= 475, "mean return over 20 fresh episodes")
    }

    @Test func resetStartsOverAndRepeatsTheRun() throws {
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, seed: 8)
        let first = trainer.train(generations: 5)
        let parameters = trainer.parameters
        trainer.reset()
        #expect(trainer.generation == 0 && trainer.bestFitness == -.infinity && trainer.bestParameters == Self.origin)
        #expect(trainer.history.isEmpty)
        #expect((0..<5).map { _ in trainer.step() } == first)
        #expect(trainer.parameters == parameters)
    }

    @Test func trainReturnsItsGenerationsAndReportsEachAsItEnds() throws {
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, seed: 2)
        trainer.step()
        var reported: [Trainer.Generation] = []
        let trained = trainer.train(generations: 4) { reported.append($0) }
        #expect(trained.map(\.generation) == [2, 3, 4, 5])
        #expect(reported == trained)
        #expect(trainer.history.map(\.generation) == [1, 2, 3, 4, 5] && Array(trainer.history.dropFirst()) == trained)
        #expect(trained.allSatisfy { $0.bestFitness >= $0.meanFitness && $0.meanFitness < 0 })
    }

    @Test func withoutASeedOneIsDrawnAndReportedSoTheRunCanBeRepeated() throws {
        let (first, second) = (try Trainer(parameters: Self.origin, fitness: Self.sphere),
                               try Trainer(parameters: Self.origin, fitness: Self.sphere))
        #expect(first.seed != second.seed, "two draws of 64 bits")
        let again = try Trainer(parameters: Self.origin, fitness: Self.sphere, seed: first.seed)
        #expect(first.train(generations: 3) == again.train(generations: 3))
        #expect(first.parameters == again.parameters)
    }

    @Test func evaluateFitnessScoresAParameterVector() throws {
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, seed: 1)
        #expect(try trainer.evaluateFitness(Self.target) == 0)
        #expect(try trainer.evaluateFitness(Self.origin) == Self.sphere(PerturbedParameters(layout: trainer.layout, center: Self.origin), 0, 0))
        #expect(throws: TrainerError.wrongParameterCount(expected: 10, given: 3)) { try trainer.evaluateFitness([1, 2, 3]) }
    }

    /// One step with SGD on raw rewards moves the center exactly as the parts do by hand.
    @Test func theChosenOptimizerAndShapingAreTheOnesApplied() throws {
        let optimizer = SGD(learningRate: 0.3, momentum: 0.5)
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, populationSize: 8, sigma: 0.2,
                                  optimizer: optimizer, shaping: .raw, seed: 5)
        trainer.step()
        let byHand = ESTrainer(strategy: OpenAIES(layout: trainer.layout, noise: Noise(seed: 5), sigma: 0.2),
                               shaping: .raw, optimizer: optimizer)
        var state = ESState(parameters: Self.origin)
        let rewards = (0..<8).map { Self.sphere(byHand.member($0, epoch: 1, of: state), 1, $0) }
        byHand.step(&state, epoch: 1, rewards: rewards)
        #expect(trainer.parameters == state.parameters)
        let withAdam = try Trainer(parameters: Self.origin, fitness: Self.sphere, populationSize: 8, sigma: 0.2, seed: 5)
        withAdam.step()
        #expect(withAdam.parameters != state.parameters)
    }

    /// eggroll-trainer's own example: Gaussian perturbations scaled by σ, and as the update the
    /// perturbations weighted by z-scored fitness; not paired, so an odd population is fine.
    struct WeightedAverageStrategy: Strategy {
        let layout: ParameterLayout
        let noise = Noise(seed: 77)
        let sigma: Float = 0.1
        var pairsMembers: Bool { false }

        func perturbation(_ member: Int, epoch: Int) -> [Float] {
            noise.stream(parameter: 0, epoch: epoch, member: member).normals(count: layout.count).map { $0 * sigma }
        }

        func member(_ member: Int, epoch: Int, center: [Float]) -> PerturbedParameters {
            PerturbedParameters(layout: layout, center: center, perturbation: perturbation(member, epoch: epoch))
        }

        func gradient(epoch: Int, fitness: [Float]) -> [Float] {
            var update = [Float](repeating: 0, count: layout.count)
            for (member, weight) in fitness.enumerated() {
                for (index, value) in perturbation(member, epoch: epoch).enumerated() {
                    update[index] += weight * value / Float(fitness.count)
                }
            }
            return update
        }
    }

    @Test func aStrategyOfOnesOwnTrainsWithItsOwnPerturbationsAndUpdate() throws {
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere,
                                  strategy: .custom(WeightedAverageStrategy(layout: Trainer.vectorLayout(count: 10))),
                                  populationSize: 25, optimizer: SGD(learningRate: 1), shaping: .zScore, seed: 1)
        let start = Self.distance(trainer.parameters)
        trainer.train(generations: 200)
        #expect(trainer.sigma == 0.1)
        #expect(Self.distance(trainer.parameters) < start / 4, "from \(start) to \(Self.distance(trainer.parameters))")
    }

    @Test func settingsThatCannotTrainAreRefusedBeforeAnythingRuns() throws {
        /// The refusal's description, nil if the trainer was made.
        func reason(_ make: () throws -> Trainer) -> String? {
            do {
                _ = try make()
                return nil
            } catch let error as TrainerError {
                return error.description
            } catch {
                return "not a TrainerError: \(error)"
            }
        }
        let fitness: ESWorker.Fitness = Self.sphere
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, populationSize: 25) }?.contains("odd") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, strategy: .eggroll(rank: 1), populationSize: 7) }?.contains("use 6 or 8") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, strategy: .genetic(truncation: 5), populationSize: 25) } == nil,
                "the GA does not pair its members")
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, strategy: .genetic(truncation: 0)) }?.contains("truncation") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, strategy: .eggroll(rank: 0)) }?.contains("rank") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, populationSize: 1) }?.contains("two members") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, sigma: 0) }?.contains("sigma") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, learningRate: .nan) }?.contains("learning rate") == true)
        #expect(reason { try Trainer(parameters: [], fitness: fitness) }?.contains("no parameters") == true)
        #expect(reason { try Trainer(parameters: Self.origin, layout: Trainer.vectorLayout(count: 4), fitness: fitness) }?.contains("layout") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, populationSize: 50,
                                     shaping: FitnessShaping(.centeredRanks, groupSize: 20)) }?.contains("divide") == true)
        #expect(reason { try Trainer(parameters: Self.origin, fitness: fitness, populationSize: 50,
                                     shaping: FitnessShaping(.centeredRanks, groupSize: 5)) }?.contains("even") == true)
    }

    /// A long GA run: each generation compacts the population (``GAState/compacted(using:)``),
    /// so genomes stay short, and the run is the one that plain seed lists make, bit for bit.
    @Test func longGeneticRunsKeepGenomesShortAndDecodeTheSame() throws {
        let (size, generations) = (20, 150)
        let trainer = try Trainer(parameters: Self.origin, fitness: Self.sphere, strategy: .genetic(truncation: 5),
                                  populationSize: size, sigma: 0.05, seed: 4)
        _ = trainer.train(generations: generations - 1)
        guard case .genetic(_, let decoder, _) = trainer.search else { Issue.record("not a GA"); return }
        let missesBefore = decoder.misses
        _ = trainer.step()
        #expect(decoder.misses == missesBefore && decoder.hits >= size,
                "the last generation's members came from the cache, which compaction renamed along")

        let algorithm = GeneticAlgorithm(populationSize: size, truncation: 5, seed: 4)
        let plainDecoder = GenomeDecoder(layout: trainer.layout, sigma: 0.05, initialization: .around(Self.origin), cacheCapacity: 2 * size)
        var population = algorithm.initialPopulation()
        var best: [Float] = []
        for generation in 1...generations {
            let rewards = population.enumerated().map { member, genome in
                Self.sphere(PerturbedParameters(layout: trainer.layout, center: plainDecoder.parameters(of: genome)), generation, member)
            }
            best.append(rewards.max()!)
            population = algorithm.nextGeneration(of: population, rewards: rewards, generation: generation)
        }
        #expect(trainer.history.map(\.bestFitness) == best)
        #expect(trainer.parameters == plainDecoder.parameters(of: population[0]))
        guard case .genetic(_, _, let state) = trainer.search else { Issue.record("not a GA"); return }
        let (plain, compacted) = (population.map(\.seeds.count).max()!, state.population.map(\.seeds.count).max()!)
        #expect(compacted <= 10 && plain > 40, "the longest genome: \(compacted) seeds compacted, \(plain) plain")
    }
}

import Testing
@testable import ChorusES

@Suite struct TrainerTests {
    static let target: [Float] = (1...10).map { Float($0) / 10 }

    static func sphere(_ parameters: PerturbedParameters, _: Int, _: Int) -> Float {
        -zip(parameters.materialized(), target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    static func distance(_ parameters: [Float]) -> Float {
        zip(parameters, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test(arguments: [Trainer.Method.openAIES, .eggroll(rank: 1), .genetic(truncation: 10)])
    func solvesTheTenDimensionalSphere(method: Trainer.Method) {
        let isGenetic = if case .genetic = method { true } else { false }
        let trainer = Trainer(parameters: [Float](repeating: 0, count: 10), fitness: Self.sphere, strategy: method,
                              populationSize: 50, sigma: isGenetic ? 0.02 : 0.1, learningRate: 0.05, seed: 3)
        let start = Self.distance(trainer.parameters)
        var last = trainer.step()
        for _ in 1..<300 { last = trainer.step() }
        #expect(start > 1.9)
        #expect(Self.distance(trainer.bestParameters) < 0.1, "within 0.1 of the optimum (from \(start))")
        #expect(trainer.bestFitness >= last.bestFitness && trainer.generation == 300)
    }

    @Test func resetStartsOverAndRepeatsTheRun() {
        let trainer = Trainer(parameters: [Float](repeating: 0, count: 10), fitness: Self.sphere, seed: 8)
        let first = (0..<5).map { _ in trainer.step() }
        let parameters = trainer.parameters
        trainer.reset()
        #expect(trainer.generation == 0 && trainer.bestFitness == -.infinity && trainer.bestParameters == [Float](repeating: 0, count: 10))
        #expect((0..<5).map { _ in trainer.step() } == first)
        #expect(trainer.parameters == parameters)
    }

    @Test(arguments: [Trainer.Method.eggroll(rank: 1), .genetic(truncation: 10)])
    func solvesCartPole(method: Trainer.Method) {
        let policy = GeneticTests.policy
        let task = CartPoleTask(policy: policy, episodes: 2, seed: 5)
        let isGenetic = if case .genetic = method { true } else { false }
        let trainer = Trainer(parameters: policy.initialParameters, layout: policy.layout,
                              fitness: { task.fitness(of: $0, epoch: $1, member: $2) }, strategy: method,
                              populationSize: 64, sigma: isGenetic ? 0.5 : 0.1, learningRate: 0.05, seed: 12)
        for _ in 0..<40 { trainer.step() }
        let answer = isGenetic ? trainer.bestParameters : trainer.parameters
        #expect(CartPoleTests.evaluationReturn(answer, policy: policy) >= 475, "mean return over 20 fresh episodes")
    }
}

import Testing
@testable import ChorusES

@Suite struct CartPoleTests {
    @Test func oneStepFollowsTheEquations() {
        var environment = CartPole(state: SIMD4(0, 0, 0.05, 0))
        let step = environment.step(1)
        // ẋ gains τ·ẍ, θ̇ gains τ·θ̈; positions move by the old velocities (zero).
        #expect(environment.state[0] == 0 && environment.state[2] == 0.05)
        #expect(environment.state[1] > 0 && environment.state[3] < 0)
        #expect(step == CartPole.Step(reward: 1, terminated: false, truncated: false))
    }

    @Test func terminatesWhenThePoleFalls() {
        var environment = CartPole(state: SIMD4(0, 0, 0.21, 0))
        #expect(environment.step(0).terminated)
        var cart = CartPole(state: SIMD4(2.39, 1, 0, 0))
        #expect(cart.step(1).terminated)
    }

    @Test func truncatesAfterFiveHundredSteps() {
        var environment = CartPole(state: SIMD4(0, 0, 0, 0))
        var steps = 0
        var last = CartPole.Step(reward: 0, terminated: false, truncated: false)
        while !last.isDone {
            // A simple balancing rule keeps it up for the whole episode.
            let s = environment.state
            last = environment.step(s[2] + 0.5 * s[3] > 0 ? 1 : 0)
            steps += 1
        }
        #expect(steps == 500 && last.truncated && !last.terminated)
    }

    static func solve(_ strategy: any Strategy, policy: MLPPolicy, epochs: Int) async throws -> ESState {
        let task = CartPoleTask(policy: policy, episodes: 2, seed: 11)
        let trainer = ESTrainer(strategy: strategy, shaping: .centeredRanks, optimizer: Adam(learningRate: 0.05))
        let cluster = LocalCluster(
            configuration: EngineConfiguration(populationSize: 64, maxEpochs: epochs, shareInterval: 5),
            cores: [4, 4, 8]
        ) { _ in
            ESWorker(trainer: trainer, initialParameters: policy.initialParameters) { parameters, epoch, member in
                task.fitness(of: parameters, epoch: epoch, member: member)
            }
        }
        let final = try await cluster.run()
        #expect(final.stateEpoch == epochs + 1 && final.rewards.isEmpty)
        return try WorkerHost<ESWorker>.decode(final.state)
    }

    static func evaluationReturn(_ state: ESState, policy: MLPPolicy) -> Float {
        evaluationReturn(state.parameters, policy: policy)
    }

    /// Mean return of `parameters` over 20 fresh episodes (none of them seen in training).
    static func evaluationReturn(_ parameters: [Float], policy: MLPPolicy) -> Float {
        let task = CartPoleTask(policy: policy, episodes: 20, seed: 999)
        var random = PhiloxRandom(seed: 999, stream: 0)
        return task.meanReturn(of: PerturbedParameters(layout: policy.layout, center: parameters), random: &random, episodes: 20)
    }

    @Test func openAIESSolvesCartPole() async throws {
        let policy = MLPPolicy(sizes: [4, 2])
        let state = try await Self.solve(OpenAIES(layout: policy.layout, noise: Noise(seed: 5), sigma: 0.1), policy: policy, epochs: 60)
        #expect(Self.evaluationReturn(state, policy: policy) == 500)
    }

    @Test func eggrollSolvesCartPole() async throws {
        let policy = MLPPolicy(sizes: [4, 2])
        let state = try await Self.solve(EGGROLL(layout: policy.layout, noise: Noise(seed: 5), sigma: 0.1), policy: policy, epochs: 60)
        #expect(Self.evaluationReturn(state, policy: policy) == 500)
    }
}

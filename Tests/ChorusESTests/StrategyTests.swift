import Testing
@testable import ChorusES

@Suite struct StrategyTests {
    static let layout: ParameterLayout = {
        var layout = ParameterLayout()
        layout.addMatrix("weights", rows: 8, columns: 6)
        layout.addVector("bias", count: 5)
        return layout
    }()

    static func strategies(seed: UInt64, sigma: Float = 0.05) -> [any Strategy] {
        let noise = Noise(seed: seed)
        return [
            OpenAIES(layout: layout, noise: noise, sigma: sigma),
            EGGROLL(layout: layout, noise: noise, sigma: sigma, rank: 1),
            EGGROLL(layout: layout, noise: noise, sigma: sigma, rank: 3),
        ]
    }

    static let center: [Float] = (0..<layout.count).map { Float($0 % 7) * 0.1 - 0.3 }

    @Test(arguments: strategies(seed: 3))
    func applyingAMemberMatchesItsMaterialisedParameters(strategy: any Strategy) {
        let x: [Float] = [0.5, -1, 2, 0.25, -0.75, 1.5]
        for member in [0, 1, 6, 7] {
            let perturbed = strategy.member(member, epoch: 4, center: Self.center)
            let full = perturbed.materialized()
            let expected = (0..<8).map { row in (0..<6).reduce(Float(0)) { $0 + full[row * 6 + $1] * x[$1] } }
            let applied = perturbed.apply(0, to: x)
            for (a, b) in zip(applied, expected) { #expect(abs(a - b) < 1e-4) }
            #expect(perturbed.vector(1) == Array(full[48..<53]))
        }
    }

    /// Seven members (an odd one out of the kernel's pairs), 8 rows (two tiles of four) of 6
    /// columns (a tail after four): the population's product equals each member's own.
    @Test(arguments: strategies(seed: 5))
    func aPopulationAppliedAtOnceMatchesEachMemberApplied(strategy: any Strategy) {
        let members = (0..<6).map { strategy.member($0, epoch: 3, center: Self.center) }
            + [PerturbedParameters(layout: Self.layout, center: Self.center)]
        let inputs = (0..<members.count * 6).map { Float(($0 * 13) % 9) * 0.25 - 1 }
        let together = PerturbedParameters.apply(0, of: members, to: inputs)
        #expect(together.count == members.count * 8)
        for (index, member) in members.enumerated() {
            let alone = member.apply(0, to: Array(inputs[index * 6 ..< (index + 1) * 6]))
            for (a, b) in zip(together[index * 8 ..< (index + 1) * 8], alone) { #expect(abs(a - b) < 1e-5) }
        }
    }

    @Test func aPolicyRunsAPopulationAtOnceAsEachMemberAlone() {
        let policy = MLPPolicy(sizes: [5, 7, 9, 3])
        let center = (0..<policy.layout.count).map { Float(($0 * 7) % 13) * 0.05 - 0.3 }
        let strategy = EGGROLL(layout: policy.layout, noise: Noise(seed: 2), sigma: 0.1, rank: 1)
        let members = (0..<5).map { strategy.member($0, epoch: 1, center: center) }
        let observations = (0..<members.count * 5).map { Float(($0 * 5) % 11) * 0.2 - 1 }
        let together = policy.outputs(for: observations, members: members)
        #expect(together.count == members.count * 3)
        for (index, member) in members.enumerated() {
            let alone = policy.outputs(for: Array(observations[index * 5 ..< (index + 1) * 5]), members: [member])
            for (a, b) in zip(together[index * 3 ..< (index + 1) * 3], alone) { #expect(abs(a - b) < 1e-5) }
        }
        #expect(Set(members.indices.map { Array(together[$0 * 3 ..< $0 * 3 + 3]) }).count == members.count,
                "each member its own outputs")
    }

    @Test(arguments: strategies(seed: 4))
    func antitheticMembersMirrorEachOther(strategy: any Strategy) {
        let plus = strategy.member(10, epoch: 2, center: Self.center).materialized()
        let minus = strategy.member(11, epoch: 2, center: Self.center).materialized()
        for i in Self.center.indices {
            #expect(abs((plus[i] - Self.center[i]) + (minus[i] - Self.center[i])) < 1e-5)
        }
        #expect(plus != Self.center)
    }

    @Test func eggrollMatrixPerturbationsHaveTheirRank() {
        for rank in [1, 2] {
            let strategy = EGGROLL(layout: Self.layout, noise: Noise(seed: 8), sigma: 1, rank: rank)
            let zero = [Float](repeating: 0, count: Self.layout.count)
            let delta = strategy.member(0, epoch: 1, center: zero).materialized()
            #expect(numericalRank(Array(delta[0..<48]), rows: 8, columns: 6) == rank)
        }
    }

    /// On `f(θ) = −|θ − θ*|²` the estimates, averaged over many seeds, point along the true
    /// gradient `−2(θ − θ*)`.
    @Test(arguments: [0, 1])
    func updatesFollowTheGradientOfAQuadratic(kind: Int) {
        let target: [Float] = (0..<Self.layout.count).map { Float(($0 * 37) % 11) * 0.2 - 1 }
        let center = [Float](repeating: 0, count: Self.layout.count)
        let trueGradient = zip(center, target).map { -2 * ($0 - $1) }
        var average = [Float](repeating: 0, count: Self.layout.count)
        for seed in 0..<40 {
            let strategy = Self.strategies(seed: UInt64(seed))[kind]
            let rewards = (0..<64).map { member -> Float in
                let theta = strategy.member(member, epoch: 1, center: center).materialized()
                return -zip(theta, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            let gradient = strategy.gradient(epoch: 1, fitness: rewards)
            for i in average.indices { average[i] += gradient[i] / 40 }
        }
        #expect(cosine(average, trueGradient) >= 0.9)
    }

    @Test func fitnessShaping() {
        #expect(FitnessShaping.centeredRanks.shape([3, 1, 2, 2]) == [0.5, -0.5, 0, 0])
        let z = FitnessShaping.zScore.shape([1, 2, 3, 4])
        #expect(abs(z.reduce(0, +)) < 1e-6)
        #expect(abs(z.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-5)
        #expect(FitnessShaping(.centeredRanks, groupSize: 2).shape([5, 1, 0, 9]) == [0.5, -0.5, -0.5, 0.5])
        #expect(FitnessShaping.raw.shape([7, -2]) == [7, -2])
    }

    @Test func sgdWithMomentumAndDecay() {
        var parameters: [Float] = [1, -2]
        var state = OptimizerState()
        let sgd = SGD(learningRate: 0.5, momentum: 0.9, weightDecay: 0.1)
        sgd.step(&parameters, gradient: [1, 0], state: &state)
        // decay: ×0.95, then + 0.5·1
        #expect(parameters == [1.45, -1.9])
        sgd.step(&parameters, gradient: [1, 0], state: &state)
        // velocity 1.9: 1.45·0.95 + 0.95
        #expect(abs(parameters[0] - (1.45 * 0.95 + 0.95)) < 1e-6)
        #expect(state.steps == 2)
    }

    @Test func adamStepsByTheLearningRateAtFirst() {
        var parameters: [Float] = [0, 0, 0]
        var state = OptimizerState()
        Adam(learningRate: 0.01).step(&parameters, gradient: [3, -0.001, 0], state: &state)
        #expect(abs(parameters[0] - 0.01) < 1e-6)
        #expect(abs(parameters[1] + 0.01) < 1e-4)
        #expect(parameters[2] == 0)
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
    return dot / norms
}

/// Rank by Gaussian elimination with a relative tolerance.
func numericalRank(_ values: [Float], rows: Int, columns: Int) -> Int {
    var m = values.map(Double.init)
    let scale = m.map(abs).max() ?? 0
    var rank = 0
    for column in 0..<columns where rank < rows {
        guard let pivot = (rank..<rows).max(by: { abs(m[$0 * columns + column]) < abs(m[$1 * columns + column]) }),
              abs(m[pivot * columns + column]) > 1e-4 * scale else { continue }
        for k in 0..<columns { m.swapAt(pivot * columns + k, rank * columns + k) }
        for row in 0..<rows where row != rank {
            let factor = m[row * columns + column] / m[rank * columns + column]
            for k in 0..<columns { m[row * columns + k] -= factor * m[rank * columns + k] }
        }
        rank += 1
    }
    return rank
}

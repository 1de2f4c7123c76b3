import Benchmark
import ChorusES

/// One ES epoch's parameter work on a 1024×1024 layer with population 256: every member's
/// forward pass through its perturbed layer (each member its own input), then the update from
/// the rewards. EGGROLL rank 1 against full-rank OpenAI-ES with the same noise generator.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 10
    )

    let size = 1024
    let population = 256
    var layout = ParameterLayout()
    layout.addMatrix("weights", rows: size, columns: size)
    let center = (0 ..< size * size).map { Float($0 % 17) * 0.01 - 0.08 }
    let inputs = (0 ..< population).map { member in (0 ..< size).map { Float(($0 + member) % 13) * 0.1 - 0.6 } }
    let rewards = (0 ..< population).map { Float(($0 * 7919) % 101) }
    let strategies: [(String, any Strategy)] = [
        ("EGGROLL rank 1", EGGROLL(layout: layout, noise: Noise(seed: 1), sigma: 0.02, rank: 1)),
        ("OpenAI-ES full rank", OpenAIES(layout: layout, noise: Noise(seed: 1), sigma: 0.02)),
    ]
    for (name, strategy) in strategies {
        Benchmark("\(name): perturb + update, 1024×1024, population 256") { benchmark in
            for _ in benchmark.scaledIterations {
                for member in 0 ..< population {
                    blackHole(strategy.member(member, epoch: 1, center: center).apply(0, to: inputs[member]))
                }
                blackHole(strategy.gradient(epoch: 1, fitness: rewards))
            }
        }
    }

    // EGGROLL's headline: a population's forward passes through a 256→256→256→256 tanh MLP
    // (three layers of 256), each member its own observation, against plain batched inference
    // through the same kernel (every member the unperturbed center). Members' low-rank factors
    // are drawn once per member (as a rollout does for its episode), or in the pass.
    let policy = MLPPolicy(sizes: [256, 256, 256, 256])
    let policyCenter = (0 ..< policy.layout.count).map { Float(($0 * 7) % 23) * 0.004 - 0.044 }
    let observations = (0 ..< population * 256).map { Float(($0 * 11) % 17) * 0.1 - 0.8 }
    let eggroll = EGGROLL(layout: policy.layout, noise: Noise(seed: 5), sigma: 0.02, rank: 1)
    let unperturbed = Array(repeating: PerturbedParameters(layout: policy.layout, center: policyCenter), count: population)
    let perturbed = (0 ..< population).map { eggroll.member($0, epoch: 1, center: policyCenter) }
    Benchmark("inference, population 256, MLP 3×256: plain batched") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(policy.outputs(for: observations, members: unperturbed)) }
    }
    Benchmark("inference, population 256, MLP 3×256: EGGROLL rank 1") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(policy.outputs(for: observations, members: perturbed)) }
    }
    Benchmark("inference, population 256, MLP 3×256: EGGROLL rank 1, factors drawn in the pass") { benchmark in
        for _ in benchmark.scaledIterations {
            let members = (0 ..< population).map { eggroll.member($0, epoch: 1, center: policyCenter) }
            blackHole(policy.outputs(for: observations, members: members))
        }
    }

    // 2²⁰ standard normals per iteration (Philox4x32-10 + Box–Muller in binary64).
    Benchmark("noise: 2^20 normals", configuration: .init(maxIterations: 100)) { benchmark in
        let stream = Noise(seed: 3).stream(parameter: 0, epoch: 1, member: 0)
        var buffer = [Float](repeating: 0, count: 1 << 20)
        for _ in benchmark.scaledIterations {
            buffer.withUnsafeMutableBufferPointer { stream.fill($0) }
            blackHole(buffer)
        }
    }
}

import Benchmark
import ChorusES
import Foundation

/// The genetic algorithm's costs: rebuilding a seed-encoded genome of a 100k-parameter policy
/// (from scratch at lengths 1, 10, 100, and a child of a cached parent), and the no-barrier
/// mode's throughput when one worker is 10× slower than the others.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 50
    )

    // 100,352 parameters: a 4 → 256 → 384 → 6 policy.
    let policy = MLPPolicy(sizes: [4, 256, 384, 6])
    let seeds = (0..<100).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
    for length in [1, 10, 100] {
        Benchmark("genome rebuild: \(policy.layout.count) parameters, length \(length), no cache") { benchmark in
            let decoder = GenomeDecoder(layout: policy.layout, sigma: 0.02, initialization: .scaledNormal, cacheCapacity: 0)
            let genome = Genome(seeds: Array(seeds[..<length]))
            for _ in benchmark.scaledIterations { blackHole(decoder.parameters(of: genome)) }
        }
    }
    Benchmark("genome rebuild: \(policy.layout.count) parameters, length 100, parent cached") { benchmark in
        let decoder = GenomeDecoder(layout: policy.layout, sigma: 0.02, initialization: .scaledNormal, cacheCapacity: 128)
        let parent = Genome(seeds: Array(seeds[..<99]))
        _ = decoder.parameters(of: parent)
        var child: UInt64 = 1
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(decoder.parameters(of: parent.mutated(by: child)))
            child += 1
        }
    }

    // No barrier: 3 workers whose evaluation takes 2 ms (a stand-in for an environment on its
    // own machine), with and without a fourth that takes 20 ms. Reported: the 3 workers'
    // individuals per second together.
    let throughput = BenchmarkMetric.custom("fast workers' individuals/s", polarity: .prefersLarger, useScalingFactor: false)
    for slowWorker in [false, true] {
        let name = slowWorker ? "no-barrier GA: 3 workers + one 10× slower" : "no-barrier GA: 3 workers"
        Benchmark(name, configuration: .init(metrics: [throughput], maxIterations: 5)) { benchmark in
            let cluster = SteadyStateCluster(
                configuration: .init(poolSize: 16, evaluations: 1_500, seed: 1),
                cores: [1, 1, 1] + (slowWorker ? [1] : [])
            ) { index in
                let delay = index == 3 ? 0.020 : 0.002
                return GAWorker(algorithm: GeneticAlgorithm(populationSize: 16, truncation: 4, seed: 1),
                                decoder: GenomeDecoder(layout: MLPPolicy(sizes: [4, 2]).layout, sigma: 0.1, initialization: .scaledNormal)) { _, _, _ in
                    Thread.sleep(forTimeInterval: delay)
                    return 1
                }
            }
            for _ in benchmark.scaledIterations {
                let report = cluster.run()
                benchmark.measurement(throughput, Int(Double(report.evaluatedByWorker.prefix(3).reduce(0, +)) / report.seconds))
            }
        }
    }

    // The no-barrier coordinator's own work per result: hand an individual out (a tournament
    // and a mutation), take its report (pool update); 8 workers, the best re-evaluated every 256
    // results. Each run starts once 4 × the pool has been evaluated (the pool full, genomes a few
    // mutations deep); throughput counts results.
    for poolSize in [64, 1_024] {
        Benchmark("no-barrier engine: next + report, pool \(poolSize)",
                  configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo)) { benchmark in
            var engine = SteadyStateEngine(configuration: .init(poolSize: poolSize, tournamentSize: 4, evaluations: Int.max / 2,
                                                                seed: 3, reevaluationInterval: 256))
            func step(_ result: Int) {
                let worker = result & 7
                for individual in engine.next(1, for: worker) {
                    try? engine.report(individual.number, fitness: Float(individual.number % 997), from: worker)
                }
            }
            for result in 0..<4 * poolSize { step(result) }
            benchmark.startMeasurement()
            for result in benchmark.scaledIterations { step(result) }
            benchmark.stopMeasurement()
            blackHole(engine.best)
        }
    }
}

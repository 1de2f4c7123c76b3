import Benchmark
import Chorus

/// In-process producer → ring → learner costs. Each run builds its server once (outside the
/// measurement), so the numbers are the steady state.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(3)
    )

    // One producer and the learner on one thread: submit a 20-byte sample, and take a batch
    // every `batchSize` samples. Scaled by 1,000: each figure is per sample.
    Benchmark("submit→next, 20 B sample, batch 256", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let schema = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
        let server = try Server(schema: schema, batchSize: 256)
        var sample = Sample(schema: schema)
        try sample.set("obs", to: [1, 2, 3, 4] as [Float])
        try sample.set("reward", to: Float(1))
        var submitted = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try server.submit(sample)
            submitted += 1
            if submitted % 256 == 0 {
                blackHole(server.next())
            }
        }
        benchmark.stopMeasurement()
        server.shutdown()
    }

    // The cost of starting and stopping a measurement around nothing, to subtract from the
    // `next()` figures below, which measure each call separately.
    Benchmark("empty measurement (baseline for next())") { benchmark in
        for _ in benchmark.scaledIterations {
            benchmark.startMeasurement()
            benchmark.stopMeasurement()
        }
    }

    // `next()` alone: each iteration fills one batch outside the measurement, then times the
    // call that releases the previous batch and hands out the new one. Its cost must not grow
    // with the batch size.
    for batchSize in [32, 4096] {
        Benchmark("next(), batch \(batchSize)") { benchmark in
            let schema = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
            let server = try Server(schema: schema, batchSize: batchSize)
            let packed = [UInt8](repeating: 1, count: batchSize * schema.sampleSize)
            for _ in benchmark.scaledIterations {
                try packed.withUnsafeBytes { try server.submit(packed: $0) }
                benchmark.startMeasurement()
                blackHole(server.next())
                benchmark.stopMeasurement()
            }
            server.shutdown()
        }
    }
}

import Benchmark
import Chorus

/// In-process producer → ring → learner costs. Each benchmark builds its server once (outside
/// the measurement), so the figures are the steady state.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(3)
    )

    // One producer and the learner on one thread: submit a sample (reserve, copy, commit), and
    // take a batch every `batchSize` samples. Scaled: each figure is per sample.
    let sizes: [(name: String, schema: SchemaNode, batchSize: Int, scaling: BenchmarkScalingFactor)] = [
        ("20 B", ["obs": .leaf(.float32, 4), "reward": .leaf(.float32)], 256, .kilo),
        ("28 KB", ["obs": .leaf(.uint8, 84, 84, 4)], 256, .one),
        ("1 MiB", ["x": .leaf(.uint8, 1_048_576)], 16, .one),
    ]
    for (name, node, batchSize, scaling) in sizes {
        Benchmark("submit→next, \(name) sample, batch \(batchSize)", configuration: .init(scalingFactor: scaling)) { benchmark in
            let schema = try Schema(node)
            let server = try Server(schema: schema, batchSize: batchSize)
            let packed = [UInt8](repeating: 1, count: schema.sampleSize)
            var submitted = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try packed.withUnsafeBytes { try server.submit(packed: $0) }
                submitted += 1
                if submitted % batchSize == 0 { blackHole(server.next()) }
            }
            benchmark.stopMeasurement()
            server.shutdown()
        }
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
    for batchSize in [32, 256, 4096] {
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

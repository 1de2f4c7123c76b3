import Benchmark
import Chorus
import ChorusHTTP
import CoreMetrics
import Prometheus

/// In-process producer → ring → learner costs. Each benchmark builds its server once (outside
/// the measurement), so the figures are the steady state.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(3)
    )

    // One producer and the learner on one thread: submit a sample (reserve, copy, commit), and
    // take a batch every `batchSize` samples. Scaled: each figure is per sample. The latency
    // histograms go to swift-metrics' no-op backend, except in the 20 B run that sends them to
    // swift-prometheus as `chorus serve` does: what observability costs the smallest samples.
    let twenty: SchemaNode = ["obs": .leaf(.float32, 4), "reward": .leaf(.float32)]
    let prometheus: @Sendable () -> any MetricsFactory = {
        PrometheusMetricsFactory.chorus(registry: PrometheusCollectorRegistry())
    }
    let noop: @Sendable () -> any MetricsFactory = { NOOPMetricsHandler.instance }
    let sizes: [(name: String, schema: SchemaNode, batchSize: Int, scaling: BenchmarkScalingFactor,
                 metrics: (name: String, factory: @Sendable () -> any MetricsFactory))] = [
        ("20 B", twenty, 256, .kilo, ("", noop)),
        ("20 B", twenty, 256, .kilo, (", Prometheus histograms", prometheus)),
        ("28 KB", ["obs": .leaf(.uint8, 84, 84, 4)], 256, .one, ("", noop)),
        ("1 MiB", ["x": .leaf(.uint8, 1_048_576)], 16, .one, ("", noop)),
    ]
    for (name, node, batchSize, scaling, metrics) in sizes {
        Benchmark("submit→next, \(name) sample, batch \(batchSize)\(metrics.name)",
                  configuration: .init(scalingFactor: scaling)) { benchmark in
            let schema = try Schema(node)
            let server = try Server(schema: schema, batchSize: batchSize, metricsFactory: metrics.factory())
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

    // One scrape of an idle server: its counters carried into swift-metrics, then the
    // Prometheus text rendered.
    Benchmark("scrape: publishMetrics + render") { benchmark in
        let registry = PrometheusCollectorRegistry()
        let server = try Server(schema: try Schema(twenty), batchSize: 256,
                                metricsFactory: PrometheusMetricsFactory.chorus(registry: registry))
        var text: [UInt8] = []
        for _ in benchmark.scaledIterations {
            server.publishMetrics()
            text.removeAll(keepingCapacity: true)
            registry.emit(into: &text)
            blackHole(text)
        }
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
    // With swift-prometheus, the difference is what the latency histograms cost per batch.
    for (batchSize, metrics) in [(32, ("", noop)), (256, ("", noop)), (4096, ("", noop)), (256, (", Prometheus histograms", prometheus))] {
        Benchmark("next(), batch \(batchSize)\(metrics.0)") { benchmark in
            let schema = try Schema(twenty)
            let server = try Server(schema: schema, batchSize: batchSize, metricsFactory: metrics.1())
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

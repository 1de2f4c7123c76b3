import Benchmark
import Chorus
import Foundation

/// Replay-table costs in process: inserting, sampling a batch of 256 (uniform and prioritized,
/// from full tables of 10⁶ and 10⁷ small items and 10⁵ large ones), and priority updates. Tables
/// are filled outside the measurement; each sample or update is timed on its own, so the p50 is
/// the per-batch latency.
/// Tables filled by a benchmark's setup (outside its time budget), read by its closure and
/// dropped by its teardown (the big ones hold gigabytes).
final class Fixtures: @unchecked Sendable {
    static let shared = Fixtures()
    private let lock = NSLock()
    private var tables: [String: ReplayTable] = [:]

    subscript(name: String) -> ReplayTable {
        get { lock.withLock { tables[name]! } }
        set { lock.withLock { tables[name] = newValue } }
    }

    func drop(_ name: String) {
        lock.withLock { tables[name] = nil }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        warmupIterations: 10,
        maxDuration: .seconds(3)
    )
    let small = try! Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])  // 20 B
    let large = try! Schema(["obs": .leaf(.uint8, 84, 84, 4)])                     // 28 KB

    /// A full table of `count` items with priorities 1…100 (ids in the first bytes).
    func filled(_ schema: Schema, _ count: Int, sampler: Selector) throws -> ReplayTable {
        let table = try ReplayTable(name: "bench", schema: schema, maxSize: count, sampler: sampler, remover: .fifo,
                                    rateLimiter: .minSize(1))
        let chunk = 4096
        var packed = [UInt8](repeating: 7, count: chunk * schema.sampleSize)
        var inserted = 0
        while inserted < count {
            let n = min(chunk, count - inserted)
            packed[0] = UInt8(truncatingIfNeeded: inserted)
            try packed.withUnsafeBytes {
                _ = try table.insert(packed: UnsafeRawBufferPointer(rebasing: $0[..<(n * schema.sampleSize)]),
                                     priorities: (0..<n).map { Double(1 + ($0 + inserted) % 100) })
            }
            inserted += n
        }
        return table
    }

    // Inserting into a full table (each insert evicts the oldest item): per item.
    for (name, schema, capacity, scaling) in [("20 B", small, 1_000_000, BenchmarkScalingFactor.kilo),
                                              ("28 KB", large, 100_000, .one)] {
        let fixture = "insert \(name)"
        Benchmark("insert, \(name) item, full table of \(capacity)", configuration: .init(scalingFactor: scaling)) { benchmark in
            let table = Fixtures.shared[fixture]
            let sample = [UInt8](repeating: 3, count: schema.sampleSize)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try sample.withUnsafeBytes { blackHole(try table.insert(packed: $0, priorities: [2])) }
            }
            benchmark.stopMeasurement()
        } setup: {
            Fixtures.shared[fixture] = try filled(schema, capacity, sampler: .prioritized(priorityExponent: 0.6))
        } teardown: {
            Fixtures.shared.drop(fixture)
        }
    }

    // Sampling a batch of 256: per batch.
    let samplings: [(String, Schema, Int, Selector)] = [
        ("uniform, 10⁶ × 20 B", small, 1_000_000, .uniform),
        ("prioritized, 10⁶ × 20 B", small, 1_000_000, .prioritized(priorityExponent: 0.6)),
        ("prioritized, 10⁷ × 20 B", small, 10_000_000, .prioritized(priorityExponent: 0.6)),
        ("uniform, 10⁵ × 28 KB", large, 100_000, .uniform),
        ("prioritized, 10⁵ × 28 KB", large, 100_000, .prioritized(priorityExponent: 0.6)),
    ]
    for (name, schema, count, sampler) in samplings {
        Benchmark("sample 256, \(name)") { benchmark in
            let table = Fixtures.shared[name]
            for _ in benchmark.scaledIterations {
                benchmark.startMeasurement()
                blackHole(try table.sample(batchSize: 256))
                benchmark.stopMeasurement()
            }
        } setup: {
            Fixtures.shared[name] = try filled(schema, count, sampler: sampler)
        } teardown: {
            Fixtures.shared.drop(name)
        }
    }

    // Updating the priorities of a sampled batch (256 keys): per batch of updates.
    Benchmark("update 256 priorities, prioritized, 10⁶ × 20 B") { benchmark in
        let table = Fixtures.shared["update"]
        let keys = try table.sample(batchSize: 256).keys
        var round = 0.0
        for _ in benchmark.scaledIterations {
            round += 1
            let priorities = [Double](repeating: round, count: keys.count)
            benchmark.startMeasurement()
            try table.updatePriorities(keys: keys, priorities: priorities)
            benchmark.stopMeasurement()
        }
    } setup: {
        Fixtures.shared["update"] = try filled(small, 1_000_000, sampler: .prioritized(priorityExponent: 0.6))
    } teardown: {
        Fixtures.shared.drop("update")
    }
}

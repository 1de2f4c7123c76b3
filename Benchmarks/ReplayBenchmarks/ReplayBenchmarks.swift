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
    private var tables: [String: AnyObject] = [:]

    subscript(name: String) -> ReplayTable {
        get { self[name, as: ReplayTable.self] }
        set { lock.withLock { tables[name] = newValue } }
    }

    subscript<Fixture: AnyObject>(name: String, as _: Fixture.Type) -> Fixture {
        get { lock.withLock { tables[name] as! Fixture } }
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

    // The floor under the 28 KB samples: the same bytes copied by plain memcpy (256 random rows
    // of 10⁵ × 28 KB into one batch buffer), with no table around them.
    Benchmark("memcpy 256 random rows of 28 KB (the floor)") { benchmark in
        let rows = Fixtures.shared["floor", as: RandomRows.self]
        var random = SystemRandomNumberGenerator()
        for _ in benchmark.scaledIterations {
            let picks = (0..<256).map { _ in Int.random(in: 0..<rows.count, using: &random) }
            benchmark.startMeasurement()
            rows.gather(picks)
            benchmark.stopMeasurement()
        }
    } setup: {
        Fixtures.shared["floor", as: RandomRows.self] = RandomRows(count: 100_000, bytes: large.sampleSize)
    } teardown: {
        Fixtures.shared.drop("floor")
    }

    // The floor under the small-item samples: a batch of 256 small items reads at least four
    // random cache lines per item (its place in the sampler, its record, two leaves' rows), and a
    // prioritized one also its weight block and the tree's lower levels. This is 1,024 such
    // reads, independent of each other, from 64 MB, with no table around them.
    Benchmark("1,024 random reads of 64 MB (the floor under 256 small items)") { benchmark in
        let lines = Fixtures.shared["lines", as: RandomRows.self]
        var random = SystemRandomNumberGenerator()
        for _ in benchmark.scaledIterations {
            let picks = (0..<1_024).map { _ in Int.random(in: 0..<lines.count, using: &random) }
            benchmark.startMeasurement()
            blackHole(lines.read(picks))
            benchmark.stopMeasurement()
        }
    } setup: {
        Fixtures.shared["lines", as: RandomRows.self] = RandomRows(count: 1 << 20, bytes: 64)
    } teardown: {
        Fixtures.shared.drop("lines")
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

/// Rows of bytes in memory advised like a table's storage, and a batch buffer to gather them
/// into: the plain-memcpy and random-read floors under a sample.
final class RandomRows: @unchecked Sendable {
    let count: Int
    let bytes: Int
    private let region: UnsafeMutableRawPointer
    private let batch: UnsafeMutableRawPointer

    init(count: Int, bytes: Int) {
        self.count = count
        self.bytes = bytes
        region = UnsafeMutableRawPointer.allocate(byteCount: count * bytes, alignment: 4096)
        batch = UnsafeMutableRawPointer.allocate(byteCount: 256 * bytes, alignment: 64)
        _ = madvise(region, count * bytes, MADV_HUGEPAGE)
        region.initializeMemory(as: UInt8.self, repeating: 7, count: count * bytes)
        batch.initializeMemory(as: UInt8.self, repeating: 0, count: 256 * bytes)
    }

    deinit {
        region.deallocate()
        batch.deallocate()
    }

    /// Copies rows `picks` (at most 256) to the batch buffer, in order.
    func gather(_ picks: [Int]) {
        for (row, pick) in picks.enumerated() {
            (batch + row * bytes).copyMemory(from: region + pick * bytes, byteCount: bytes)
        }
        blackHole(batch)
    }

    /// The first byte of each row in `picks`, combined: one read per row.
    func read(_ picks: [Int]) -> UInt8 {
        picks.reduce(0) { $0 | region.load(fromByteOffset: $1 * bytes, as: UInt8.self) }
    }
}

@testable import Chorus
@testable import ChorusCore
import Testing

@Suite struct ServerTests {
    static let schema = try! Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32), "done": .leaf(.bool)])

    static func sample(_ value: Float, done: Bool = false) -> Sample {
        var sample = Sample(schema: schema)
        try! sample.set("obs", to: [value, value + 1, value + 2, value + 3])
        try! sample.set("reward", to: -value)
        try! sample.set("done", to: done)
        return sample
    }

    @Test func wrongSizesAreRejectedAndNothingIsWritten() throws {
        let server = try Server(schema: Self.schema, batchSize: 2)
        for size in [0, 1, Self.schema.sampleSize - 1, Self.schema.sampleSize + 1, 2 * Self.schema.sampleSize + 3] {
            let bytes = [UInt8](repeating: 7, count: size)
            #expect(throws: SubmitError.wrongSize(sampleSize: 21, given: size)) {
                try bytes.withUnsafeBytes { try server.submit(packed: $0) }
            }
        }
        #expect(server.metrics.ring.samplesCommitted == 0)
        #expect(server.metrics.ring.fill == 0)
    }

    @Test func aSampleOfAnotherSchemaIsRejected() throws {
        let server = try Server(schema: Self.schema, batchSize: 2)
        let other = try Schema(["obs": .leaf(.float64, 4), "reward": .leaf(.float32), "done": .leaf(.bool)])
        #expect(throws: SubmitError.schemaMismatch(expected: Self.schema, given: other)) {
            try server.submit(Sample(schema: other))
        }
        #expect(server.metrics.ring.samplesCommitted == 0)
    }

    @Test func batchesAreTypedZeroCopyViewsWithTheBatchShape() throws {
        let server = try Server(schema: Self.schema, batchSize: 3)
        for value in [10, 20, 30] as [Float] { try server.submit(Self.sample(value, done: value == 20)) }
        let batch = try #require(server.next())
        let obs = try batch["obs", as: Float.self]
        #expect(obs.shape == [3, 4])
        #expect(obs.path == "obs")
        #expect(obs.count == 12)
        #expect(try obs.toArray() == [10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33])
        #expect(try obs[sample: 1] == [20, 21, 22, 23])
        #expect(try obs.withSpan { span in (0..<span.count).map { span[$0] } } == obs.toArray())
        let reward = try batch["reward", as: Float.self]
        #expect(reward.shape == [3])
        #expect(try reward.toArray() == [-10, -20, -30])
        #expect(try batch["done", as: Bool.self].toArray() == [false, true, false])
        #expect(try batch[leaf: 0, as: Bool.self].toArray() == [false, true, false])
        // The same memory, not a copy: two views of one leaf share their base address, and the
        // raw bytes of the leaf are that memory too.
        let base = try obs.withUnsafeBufferPointer { $0.baseAddress }
        #expect(try batch["obs", as: Float.self].withUnsafeBufferPointer { $0.baseAddress } == base)
        let obsLeaf = try #require(Self.schema.leaf(at: "obs")).index
        #expect(try batch.withUnsafeBytes(leaf: obsLeaf) { UnsafeRawPointer($0.baseAddress) } == UnsafeRawPointer(base))
        #expect(try batch.withUnsafeBytes(leaf: obsLeaf) { $0.count } == 3 * 4 * 4)
    }

    @Test func theWrongElementTypeIsAnErrorNotAReinterpretation() throws {
        let server = try Server(schema: Self.schema, batchSize: 1)
        try server.submit(Self.sample(1))
        let batch = try #require(server.next())
        #expect(throws: BatchError.elementTypeMismatch(path: "obs", leaf: .float32, requested: .float64)) {
            try batch["obs", as: Double.self]
        }
        #expect(throws: BatchError.elementTypeMismatch(path: "obs", leaf: .float32, requested: .uint32)) {
            try batch["obs", as: UInt32.self]
        }
        #expect(throws: BatchError.unknownLeaf("ob", known: ["done", "obs", "reward"])) {
            try batch["ob", as: Float.self]
        }
    }

    @Test func aBoolLeafWithAByteOtherThanZeroOrOneIsRefused() throws {
        let server = try Server(schema: Self.schema, batchSize: 2)
        var bytes = Self.sample(1).bytes + Self.sample(2).bytes
        let doneOffset = try #require(Self.schema.leaf(at: "done")).offset
        bytes[Self.schema.sampleSize + doneOffset] = 2
        try bytes.withUnsafeBytes { try server.submit(packed: $0) }
        let batch = try #require(server.next())
        #expect(throws: BatchError.invalidBool(path: "done", byteOffset: 1)) {
            try batch["done", as: Bool.self]
        }
        #expect(try batch["reward", as: Float.self].toArray() == [-1, -2])
    }

    @Test func viewsOfAReleasedBatchAreRefused() throws {
        let server = try Server(schema: Self.schema, batchSize: 1)
        for value in [1, 2, 3] as [Float] { try server.submit(Self.sample(value)) }
        let first = try #require(server.next())
        let second = try #require(server.next())
        #expect(throws: BatchError.released(batch: 0)) { try first["obs", as: Float.self] }
        #expect(throws: BatchError.released(batch: 0)) { try first.withUnsafeBytes(leaf: 0) { $0.count } }
        let reward = try second["reward", as: Float.self]
        #expect(try reward.toArray() == [-2])

        // A view taken while the batch was held lends nothing once the consumer moved on.
        _ = try #require(server.next())
        #expect(throws: BatchError.released(batch: 1)) { try reward.toArray() }
        #expect(throws: BatchError.released(batch: 1)) { try reward.withSpan { $0.count } }
        #expect(throws: BatchError.released(batch: 1)) { try reward.withUnsafeBufferPointer { $0.count } }
        #expect(throws: BatchError.released(batch: 1)) { try reward[sample: 0] }
        try server.submit(Self.sample(4))

        let escaped = server.withNextBatch { $0 }
        #expect(escaped?.sequenceNumber == 3)
        #expect(throws: BatchError.released(batch: 3)) { try escaped?["obs", as: Float.self] }
        #expect(server.metrics.ring.fill == 0, "withNextBatch releases the batch when its closure returns")
    }

    @Test func metricsCountCommitsDeliveriesAndFill() throws {
        let server = try Server(schema: Self.schema, batchSize: 2, numBuffers: 3)
        for value in 0..<5 { try server.submit(Self.sample(Float(value))) }
        #expect(server.metrics.ring == RingMetrics(
            samplesCommitted: 5, batchesDelivered: 0, producerWaits: 0, consumerWaits: 0, fill: 5, capacity: 6))
        _ = server.next()
        _ = server.next()
        #expect(server.metrics.ring.batchesDelivered == 2)
        #expect(server.metrics.ring.fill == 3, "the held batch and the odd sample")
    }

    @Test func invalidConfigurationsAreRefused() throws {
        #expect(throws: ServerError.invalidBatchSize(0)) { try Server(schema: Self.schema, batchSize: 0) }
        #expect(throws: ServerError.invalidBufferCount(1)) { try Server(schema: Self.schema, batchSize: 8, numBuffers: 1) }
        #expect(throws: ServerError.ringTooLarge(schema: Self.schema, batchSize: Int.max / 2, numBuffers: 3)) {
            try Server(schema: Self.schema, batchSize: Int.max / 2)
        }
        let huge = try Schema(["x": .leaf(.uint8, 1 << 40)])
        #expect(throws: ServerError.ringTooLarge(schema: huge, batchSize: 1 << 22, numBuffers: 3)) {
            try Server(schema: huge, batchSize: 1 << 22)
        }
        // Within the address range, beyond memory: 3 × 2²⁰ samples of 1 MiB (3 TiB).
        let frames = try Schema(["frame": .leaf(.uint8, 1024, 1024)])
        let error = #expect(throws: ServerError.ringTooLarge(schema: frames, batchSize: 1 << 20, numBuffers: 3)) {
            try Server(schema: frames, batchSize: 1 << 20)
        }
        #expect(error?.description.contains("more than the memory this process may use (") == true)
    }

    @Test func nextWithATimeoutTimesOutThenTakesThenFinishes() throws {
        let server = try Server(schema: Self.schema, batchSize: 2)
        guard case .timedOut = server.next(timeout: .milliseconds(20)) else {
            Issue.record("a batch from an empty ring")
            return
        }
        try server.submit(Self.sample(1))
        try server.submit(Self.sample(2))
        guard case .batch(let batch) = server.next(timeout: .seconds(10)) else {
            Issue.record("no batch from a full one")
            return
        }
        #expect(try batch["reward", as: Float.self].toArray() == [-1, -2])
        server.releaseBatch()
        #expect(throws: BatchError.released(batch: 0)) { try batch["reward", as: Float.self].toArray() }
        server.shutdown()
        guard case .finished = server.next(timeout: .seconds(10)) else {
            Issue.record("not finished after shutdown")
            return
        }
    }

    /// Every batch of every leaf starts on a 64-byte boundary, even when a batch's bytes are not
    /// a multiple of 64 (3 × 20 bytes here), so consumers that need aligned memory (XLA through
    /// DLPack) can use it in place; and the padding never leaks into a neighbour's samples.
    @Test func everyBatchOfEveryLeafIs64ByteAligned() throws {
        let schema = try Schema(["obs": .leaf(.float32, 5), "flag": .leaf(.uint8)])
        let server = try Server(schema: schema, batchSize: 3, numBuffers: 4)
        for round in 0..<8 {
            for index in 0..<3 {
                var sample = Sample(schema: schema)
                try sample.set("obs", to: [Float](repeating: Float(round * 3 + index), count: 5))
                try sample.set("flag", to: UInt8(round * 3 + index))
                try server.submit(sample)
            }
            let batch = try #require(server.next())
            for leaf in schema.leaves.indices {
                try batch.withUnsafeBytes(leaf: leaf) { bytes in
                    #expect(Int(bitPattern: bytes.baseAddress) % 64 == 0)
                }
            }
            let expected = (0..<3).map { Float(round * 3 + $0) }
            #expect(try batch["obs", as: Float.self].toArray() == expected.flatMap { [Float](repeating: $0, count: 5) })
            #expect(try batch["flag", as: UInt8.self].toArray() == expected.map { UInt8($0) })
        }
    }
}

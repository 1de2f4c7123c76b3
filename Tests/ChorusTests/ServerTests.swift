import Testing
@testable import Chorus

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
        #expect(Array(obs.buffer) == [10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33])
        #expect(Array(obs[sample: 1]) == [20, 21, 22, 23])
        let reward = try batch["reward", as: Float.self]
        #expect(reward.shape == [3])
        #expect(Array(reward.buffer) == [-10, -20, -30])
        #expect(Array(try batch["done", as: Bool.self].buffer) == [false, true, false])
        #expect(Array(try batch[leaf: 0, as: Bool.self].buffer) == [false, true, false])
        // The same memory, not a copy: two views of one leaf share their base address.
        #expect(try batch["obs", as: Float.self].buffer.baseAddress == obs.buffer.baseAddress)
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
        #expect(Array(try batch["reward", as: Float.self].buffer) == [-1, -2])
    }

    @Test func viewsOfAReleasedBatchAreRefused() throws {
        let server = try Server(schema: Self.schema, batchSize: 1)
        for value in [1, 2, 3] as [Float] { try server.submit(Self.sample(value)) }
        let first = try #require(server.next())
        let second = try #require(server.next())
        #expect(throws: BatchError.released(batch: 0)) { try first["obs", as: Float.self] }
        #expect(try second["reward", as: Float.self].buffer.first == -2)

        let escaped = server.withNextBatch { $0 }
        #expect(escaped?.sequenceNumber == 2)
        #expect(throws: BatchError.released(batch: 2)) { try escaped?["obs", as: Float.self] }
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
    }
}

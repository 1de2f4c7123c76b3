@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import MetricsTestKit
import Testing

/// Many producers, one consumer: every sample lands in exactly one batch, each producer's
/// samples keep their order, and no sample is torn (its leaves all come from one submit).
@Suite struct RingTests {
    /// Every leaf carries a function of (producer, sequence), so a torn sample shows up as
    /// leaves that disagree.
    static let schema = try! Schema([
        "producer": .leaf(.int32), "sequence": .leaf(.int64), "check": .leaf(.uint64, 3),
    ])

    static func sample(producer: Int32, sequence: Int64) -> Sample {
        var sample = Sample(schema: schema)
        let mixed = UInt64(bitPattern: sequence) &* 0x9E37_79B9_7F4A_7C15
        try! sample.set("producer", to: producer)
        try! sample.set("sequence", to: sequence)
        try! sample.set("check", to: [mixed, ~mixed, UInt64(producer)])
        return sample
    }

    static func packed(producer: Int32, sequence: Int64) -> [UInt8] {
        sample(producer: producer, sequence: sequence).bytes
    }

    /// Checks a batch of samples made by ``sample(producer:sequence:)``: how many are torn (their
    /// leaves disagree) and how many do not continue their producer's sequence in `expected`,
    /// which it advances.
    static func check(_ batch: Batch, expected: inout [Int64]) throws -> (torn: Int, outOfOrder: Int) {
        let producer = try batch["producer", as: Int32.self].toArray()
        let sequence = try batch["sequence", as: Int64.self].toArray()
        let check = try batch["check", as: UInt64.self].toArray()
        var (torn, outOfOrder) = (0, 0)
        for index in 0..<batch.batchSize {
            let id = Int(producer[index])
            let mixed = UInt64(bitPattern: sequence[index]) &* 0x9E37_79B9_7F4A_7C15
            if check[3 * index] != mixed || check[3 * index + 1] != ~mixed || check[3 * index + 2] != UInt64(id) {
                torn += 1
            }
            if sequence[index] != expected[id] { outOfOrder += 1 }
            expected[id] = sequence[index] + 1
        }
        return (torn, outOfOrder)
    }

    @Test(arguments: [1, 2, 4])
    func everySampleExactlyOnceInOrderUntorn(producers: Int) throws {
        let batchSize = 64
        let perProducer = 100_032  // a multiple of the batch size, so no partial batch remains
        let metrics = TestMetrics()
        let server = try Server(schema: Self.schema, batchSize: batchSize, numBuffers: 3,
                                metricsFactory: metrics)
        let group = ThreadGroup(producers) { producer in
            // Alternate single submits with packed runs of 1…7 samples, so reservations also
            // get split at batch boundaries.
            var sequence: Int64 = 0
            var run = 1
            while sequence < Int64(perProducer) {
                let count = min(run, perProducer - Int(sequence))
                let bytes = (0..<count).flatMap {
                    Self.packed(producer: Int32(producer), sequence: sequence + Int64($0))
                }
                try bytes.withUnsafeBytes { try server.submit(packed: $0) }
                sequence += Int64(count)
                run = run % 7 + 1
            }
        }
        let closer = ThreadGroup(1) { _ in
            _ = group.join()
            server.shutdown()
        }

        var expected = [Int64](repeating: 0, count: producers)
        var batches = 0
        var torn = 0
        var outOfOrder = 0
        while let batch = server.next() {
            batches += 1
            let found = try Self.check(batch, expected: &expected)
            torn += found.torn
            outOfOrder += found.outOfOrder
        }
        #expect(closer.join())
        #expect(torn == 0)
        #expect(outOfOrder == 0)
        #expect(expected == [Int64](repeating: Int64(perProducer), count: producers))
        #expect(batches * batchSize == producers * perProducer)
        #expect(server.metrics.ring.samplesCommitted == UInt64(producers * perProducer))
        #expect(server.metrics.ring.batchesDelivered == UInt64(batches))
        // Every delivered batch was dated by its first reservation, whoever made it.
        #expect(try metrics.expectTimer("chorus_batch_delivery_seconds").values.count == batches)
        #expect(try metrics.expectTimer("chorus_learner_wait_seconds").values.count == batches)
    }

    /// `metrics` reads the counters without the ring's lock while a producer commits and the
    /// consumer releases (small batches: a release every 8 samples): what it reports never runs
    /// backwards, which a read seeing only half of a release (a batch counted twice or not at
    /// all) would show.
    @Test func metricsReadBesideTrafficNeverRunBackwards() throws {
        let batchSize = 8
        let total = 100_000
        let server = try Server(schema: Self.schema, batchSize: batchSize, numBuffers: 2)
        let trafficEnded = Locked(false)
        let bad = Locked<[RingMetrics]>([])
        let reader = ThreadGroup(1) { _ in
            var last = server.metrics.ring
            var reads = 0
            while !trafficEnded.withLock({ $0 }) || reads < 1_000 {
                let ring = server.metrics.ring
                if ring.samplesCommitted < last.samplesCommitted || ring.batchesDelivered < last.batchesDelivered
                    || ring.samplesCommitted > UInt64(total) || ring.fill > ring.capacity {
                    bad.withLock { $0.append(ring) }
                }
                last = ring
                reads += 1
            }
        }
        let producer = ThreadGroup(1) { _ in
            for sequence in 0..<total {
                try Self.packed(producer: 0, sequence: Int64(sequence)).withUnsafeBytes { try server.submit(packed: $0) }
            }
        }
        var batches = 0
        while batches < total / batchSize, server.next() != nil { batches += 1 }
        trafficEnded.withLock { $0 = true }
        #expect(producer.join())
        #expect(reader.join())
        #expect(bad.withLock { $0 }.isEmpty)
        #expect(batches == total / batchSize)
        #expect(server.metrics.ring.samplesCommitted == UInt64(total))
    }

    @Test func shutdownWakesABlockedConsumer() throws {
        let server = try Server(schema: Self.schema, batchSize: 4)
        let result = Locked<UInt64??>(nil)
        let consumer = ThreadGroup(1) { _ in
            let batch = server.next()
            result.withLock { $0 = .some(batch?.sequenceNumber) }
        }
        #expect(eventually { server.metrics.ring.consumerWaits == 1 })
        server.shutdown()
        #expect(consumer.join())
        #expect(result.withLock { $0 } == .some(nil))
    }

    @Test func shutdownWakesBlockedProducersAndDeliversCompleteBatches() throws {
        let server = try Server(schema: Self.schema, batchSize: 4, numBuffers: 2)
        for sequence in 0..<8 {
            try Self.packed(producer: 0, sequence: Int64(sequence)).withUnsafeBytes { try server.submit(packed: $0) }
        }
        let errors = Locked<[SubmitError]>([])
        let producers = ThreadGroup(2) { producer in
            do {
                try Self.packed(producer: Int32(producer), sequence: 8).withUnsafeBytes { try server.submit(packed: $0) }
            } catch let error as SubmitError {
                errors.withLock { $0.append(error) }
            } catch {
                Issue.record(error)
            }
        }
        #expect(eventually { server.metrics.ring.producerWaits == 2 })
        server.shutdown()
        #expect(producers.join())
        #expect(errors.withLock { $0 } == [.shutDown(committed: 0), .shutDown(committed: 0)])
        #expect(server.next()?.sequenceNumber == 0)
        #expect(server.next()?.sequenceNumber == 1)
        #expect(server.next()?.sequenceNumber == nil)
        #expect(server.next()?.sequenceNumber == nil, "stays finished")
    }

    /// Every committed sample reaches the learner: the last batch is completed at shutdown with
    /// its empty slots zero-filled and marked invalid.
    @Test func aPartialBatchAtShutdownIsDeliveredWithItsEmptySlotsMarked() throws {
        let server = try Server(schema: Self.schema, batchSize: 4)
        let bytes = (0..<6).flatMap { Self.packed(producer: 7, sequence: Int64($0)) }
        try bytes.withUnsafeBytes { try server.submit(packed: $0) }
        server.shutdown()
        #expect(try server.next()?["sequence", as: Int64.self].toArray() == [0, 1, 2, 3])
        let last = try #require(server.next())
        #expect(try last["sequence", as: Int64.self].toArray() == [4, 5, 0, 0])
        #expect(try last["producer", as: Int32.self].toArray() == [7, 7, 0, 0])
        #expect(try last.invalidCount == 2)
        #expect(try (0..<4).map { try last.isValid($0) } == [true, true, false, false])
        #expect(server.next()?.sequenceNumber == nil)
        server.shutdown()
        #expect(server.next()?.sequenceNumber == nil, "a second shutdown completes nothing more")
        #expect(throws: SubmitError.shutDown(committed: 0)) {
            try bytes.withUnsafeBytes { try server.submit(packed: $0) }
        }
    }

    @Test func aFullRingTimesOutAProducer() throws {
        let server = try Server(schema: Self.schema, batchSize: 2, numBuffers: 2)
        let bytes = (0..<5).flatMap { Self.packed(producer: 0, sequence: Int64($0)) }
        #expect(throws: SubmitError.timedOut(committed: 4)) {
            try bytes.withUnsafeBytes { try server.submit(packed: $0, timeout: .milliseconds(20)) }
        }
        #expect(server.metrics.ring.fill == 4)
        #expect(server.metrics.ring.producerWaits == 1)
    }

    @Test func asyncConsumerReceivesEveryBatch() async throws {
        let server = try Server(schema: Self.schema, batchSize: 16)
        let producer = ThreadGroup(1) { _ in
            for sequence in 0..<1_600 {
                try Self.packed(producer: 0, sequence: Int64(sequence)).withUnsafeBytes { try server.submit(packed: $0) }
            }
            server.shutdown()
        }
        var next: Int64 = 0
        for await batch in server.batches() {
            for value in try batch["sequence", as: Int64.self].toArray() {
                #expect(value == next)
                next += 1
            }
        }
        #expect(next == 1_600)
        #expect(producer.join())
    }

    @Test func cancellingAWaitingAsyncConsumerEndsIt() async throws {
        let server = try Server(schema: Self.schema, batchSize: 16)
        let task = Task { await server.nextAsync()?.sequenceNumber }
        #expect(await eventually { server.metrics.ring.consumerWaits == 1 })
        task.cancel()
        #expect(await task.value == nil)
    }
}

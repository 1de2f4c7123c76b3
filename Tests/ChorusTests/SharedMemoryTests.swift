@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import Foundation
import Testing

/// Same-host producers writing straight into the ring through shared memory. Producers here
/// are threads, each with its own `ShmClient`, socket and lane, as separate processes have.
@Suite struct SharedMemoryTests {
    static let schema = RingTests.schema

    /// A server of `batchSize × 3` slots with a shared-memory listener on a fresh socket path.
    static func withServer<R>(batchSize: Int = 64, secret: [UInt8]? = nil,
                              _ body: (Server, String) throws -> R) throws -> R {
        let server = try Server(schema: schema, batchSize: batchSize, numBuffers: 3)
        let path = NSTemporaryDirectory() + "chorus-\(UInt32.random(in: 0...UInt32.max)).sock"
        return try server.withListening([.sharedMemory(path: path, secret: secret)]) { listeners in
            #expect(listeners.map(\.path) == [path])
            return try body(server, path)
        }
    }

    /// Writes `count` samples of `producer` from `sequence` on, leaf by leaf, into `slots`.
    static func fill(_ slots: ShmSlots, producer: Int32, sequence: Int64) {
        for index in 0..<slots.count {
            let bytes = RingTests.packed(producer: producer, sequence: sequence + Int64(index))
            bytes.withUnsafeBytes { sample in
                for leaf in schema.leaves {
                    let destination = slots.leaf(leaf.index)
                    UnsafeMutableRawBufferPointer(rebasing: destination[index * leaf.byteCount..<(index + 1) * leaf.byteCount])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: sample[leaf.offset..<leaf.offset + leaf.byteCount]))
                }
            }
        }
    }

    @Test func everySampleArrivesOnceInOrderUntornFromThreeProducers() throws {
        let (producers, perProducer, batchSize) = (3, 6_400, 64)
        try Self.withServer(batchSize: batchSize) { server, path in
            var status = stat()
            #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600, "the socket is the owner's only")
            let group = ThreadGroup(producers) { producer in
                let client = try ShmClient(path: path, schema: Self.schema)
                var sequence: Int64 = 0
                var run = 1
                while sequence < Int64(perProducer) {
                    let count = min(run, perProducer - Int(sequence))
                    switch run % 3 {
                    case 0:  // zero-copy, leaf by leaf, in as many pieces as the grants need
                        let start = sequence
                        try client.reserve(count) { slots in
                            Self.fill(slots, producer: Int32(producer), sequence: start + Int64(slots.offset))
                        }
                    case 1:
                        try client.send(RingTests.sample(producer: Int32(producer), sequence: sequence))
                    default:
                        let bytes = (0..<count).flatMap { RingTests.packed(producer: Int32(producer), sequence: sequence + Int64($0)) }
                        try bytes.withUnsafeBytes { try client.send(packed: $0) }
                    }
                    sequence += Int64(run % 3 == 1 ? 1 : count)
                    run = run % 97 + 1
                }
                try client.wait(timeout: .seconds(30))
                client.close()
            }
            var expected = [Int64](repeating: 0, count: producers)
            var (batches, torn, outOfOrder, invalid) = (0, 0, 0, 0)
            while batches < producers * perProducer / batchSize, case .batch(let batch) = server.next(timeout: .seconds(30)) {
                batches += 1
                invalid += try batch.invalidCount
                let found = try RingTests.check(batch, expected: &expected)
                torn += found.torn
                outOfOrder += found.outOfOrder
            }
            #expect(group.join())
            #expect(torn == 0 && outOfOrder == 0 && invalid == 0)
            #expect(expected == [Int64](repeating: Int64(perProducer), count: producers))
            let transport = server.metrics.transport
            #expect(transport.samplesReceived == UInt64(producers * perProducer))
            #expect(transport.bytesReceived == UInt64(producers * perProducer * Self.schema.sampleSize))
            #expect(transport.connectionsAccepted == UInt64(producers))
            #expect(transport.listeners.first?.samplesReceived == UInt64(producers * perProducer))
            // A ring of 192 slots for three producers: they waited for grants, and were woken.
            #expect(transport.sharedMemoryPumpWakeups > 0 && transport.sharedMemoryProducerWakeups > 0)
        }
    }

    @Test func aWrongSchemaOrSecretIsRefusedWithItsReason() throws {
        try Self.withServer(secret: Array("s3cret".utf8)) { server, path in
            let other = try Schema(["producer": .leaf(.int32), "sequence": .leaf(.int32), "check": .leaf(.uint64, 3)])
            #expect {
                _ = try ShmClient(path: path, schema: other, secret: Array("s3cret".utf8))
            } throws: { error in
                guard case ClientError.refused(let status, let reason) = error else { return false }
                return status == ChorusWire.Status.schemaMismatch.rawValue && reason.contains("sequence")
            }
            #expect {
                _ = try ShmClient(path: path, schema: Self.schema, secret: Array("wrong".utf8))
            } throws: { error in
                guard case ClientError.refused(let status, _) = error else { return false }
                return status == ChorusWire.Status.authenticationFailed.rawValue
            }
            #expect(throws: ClientError.self) { _ = try ShmClient(path: path, schema: Self.schema) }
            let refusals = server.metrics.transport.refusals
            #expect(refusals[.schemaMismatch] == 1 && refusals[.authenticationFailed] == 1)
            // The right secret still gets in.
            let client = try ShmClient(path: path, schema: Self.schema, secret: Array("s3cret".utf8))
            try RingTests.packed(producer: 0, sequence: 0).withUnsafeBytes { try client.send(packed: $0) }
            try client.wait(timeout: .seconds(10))
        }
    }

    @Test func slotsOfAProducerThatLeavesMidReservationArriveInvalidAndZeroed() throws {
        try Self.withServer(batchSize: 16) { server, path in
            let leaving = try ShmClient(path: path, schema: Self.schema)
            let bytes = (0..<3).flatMap { RingTests.packed(producer: 1, sequence: Int64($0)) }
            try bytes.withUnsafeBytes { try leaving.send(packed: $0) }
            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try leaving.reserve(10) { slots in
                    Self.fill(slots, producer: 1, sequence: 3)  // written, but never committed
                    throw Stop()
                }
            }
            let staying = try ShmClient(path: path, schema: Self.schema)
            let more = (0..<3).flatMap { RingTests.packed(producer: 2, sequence: Int64($0)) }
            try more.withUnsafeBytes { try staying.send(packed: $0) }
            guard case .batch(let batch) = server.next(timeout: .seconds(30)) else {
                Issue.record("the batch never completed")
                return
            }
            #expect(try batch.invalidCount == 10)
            #expect(try (0..<16).map { try batch.isValid($0) } == [Bool](repeating: true, count: 3)
                + [Bool](repeating: false, count: 10) + [Bool](repeating: true, count: 3))
            #expect(try batch["producer", as: Int32.self].toArray() == [1, 1, 1] + [Int32](repeating: 0, count: 10) + [2, 2, 2])
            #expect(server.metrics.transport.samplesVoided == 10)
        }
    }

    @Test func aProducerWhoseLaneCannotBeRightIsCutOffAndOthersGoOn() throws {
        try Self.withServer(batchSize: 16) { server, path in
            let broken = try ShmClient(path: path, schema: Self.schema)
            let honest = try ShmClient(path: path, schema: Self.schema)
            let two = (0..<2).flatMap { RingTests.packed(producer: 1, sequence: Int64($0)) }
            try two.withUnsafeBytes { try broken.send(packed: $0) }
            broken.lane[word: .requested].store(0, ordering: .sequentiallyConsistent)  // went backwards
            for sequence in 0..<30 {
                try RingTests.packed(producer: 2, sequence: Int64(sequence)).withUnsafeBytes { try honest.send(packed: $0) }
            }
            try honest.wait(timeout: .seconds(10))
            #expect(eventually { server.metrics.transport.refusals[.protocolViolation] == 1 })
            #expect(throws: ClientError.self) {
                try RingTests.packed(producer: 1, sequence: 2).withUnsafeBytes { try broken.send(packed: $0) }
            }
            var received: [Int32] = []
            for _ in 0..<2 {
                guard case .batch(let batch) = server.next(timeout: .seconds(10)) else { break }
                #expect(try batch.invalidCount == 0)
                received += try batch["producer", as: Int32.self].toArray()
            }
            #expect(received == [1, 1] + [Int32](repeating: 2, count: 30), "what it committed before counts; nothing else")
        }
    }
}

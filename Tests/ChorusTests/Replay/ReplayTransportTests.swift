@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import Foundation
import Testing

/// Replay tables fed over TCP: v2 clients name a table and send priorities, v1 clients write
/// the default table, and the rate limiter back-pressures the connections.
@Suite(.timeLimit(.minutes(2))) struct ReplayTransportTests {
    /// A server with a prioritized table "replay", a queue "queue" (the default), and both wires.
    final class TableServer: Sendable {
        let server: Server
        let echoPort: Int
        let chorusPort: Int
        let queueSize: Int

        init(queueSize: Int = 1000) throws {
            self.queueSize = queueSize
            let replay = try ReplayTable(name: "replay", schema: Replay.schema, maxSize: 100_000,
                                         sampler: .prioritized(priorityExponent: 1), remover: .fifo,
                                         rateLimiter: .minSize(1))
            let queue = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: queueSize)
            server = try Server(schema: Replay.schema, batchSize: 1, tables: [replay, queue], defaultTable: "queue")
            let bound = try server.listen([.echo(port: 0), .chorus(port: 0)])
            (echoPort, chorusPort) = (bound[0].port, bound[1].port)
        }

        /// Samples `count` items from the queue, in batches of up to 50 (bounded by the queue).
        func drainQueue(_ count: Int) throws -> [UInt64] {
            var ids: [UInt64] = []
            while ids.count < count {
                ids += try server.sample(from: "queue", batchSize: min(50, queueSize, count - ids.count), timeout: .seconds(30))
                    .leaf("id", as: UInt64.self)
            }
            return ids
        }

        deinit { server.shutdown() }
    }

    @Test func v2ClientsWriteTheTableTheyNameWithTheirPriorities() throws {
        let loopback = try TableServer()
        let clients = ThreadGroup(4) { index in
            let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Replay.schema, table: "replay")
            for id in UInt64(index * 500)..<UInt64(index * 500 + 500) {
                try client.send(Tagged.small.sample(id), priority: Double(id % 10))
            }
            try client.wait()
        }
        #expect(clients.join())
        let table = try loopback.server.table(named: "replay")
        #expect(table.size == 2000)
        let sample = try table.sample(batchSize: 2000)
        for (id, priority) in zip(try sample.leaf("id", as: UInt64.self), sample.priorities) {
            #expect(priority == Double(id % 10), "item \(id) carries the priority it was sent with")
            #expect(id % 10 != 0, "priority 0 is never drawn")
        }
        #expect(try loopback.server.table(named: "queue").size == 0)
        #expect(loopback.server.metrics.ring.samplesCommitted == 0, "nothing went to the ring")
    }

    @Test func v1ClientsAndNamelessV2ClientsWriteTheDefaultTable() throws {
        let loopback = try TableServer()
        let v1 = try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Replay.schema, protocol: .echo)
        try Tagged.small.packed(0..<100).withUnsafeBytes { try v1.send(packed: $0) }
        try v1.wait()
        let v2 = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Replay.schema)
        try Tagged.small.packed(100..<200).withUnsafeBytes { try v2.send(packed: $0) }
        try v2.wait()
        #expect(throws: ClientError.self, "a priority needs a table") {
            try v2.send(Tagged.small.sample(0), priority: 2)
        }
        #expect(Set(try loopback.drainQueue(200)) == Set(0..<200))
    }

    @Test func aQueueBackPressuresItsConnectionsAndLosesNothing() throws {
        let loopback = try TableServer(queueSize: 16)
        let clients = ThreadGroup(3) { index in
            let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Replay.schema, table: "queue")
            try Tagged.small.packed(UInt64(index * 3000)..<UInt64(index * 3000 + 3000)).withUnsafeBytes { try client.send(packed: $0) }
            try client.wait()
        }
        let ids = try loopback.drainQueue(9000)
        #expect(clients.join())
        #expect(ids.count == 9000 && Set(ids) == Set(0..<9000), "every sample exactly once")
        #expect(loopback.server.metrics.transport.stalls > 0, "the limiter stalled the connections")
    }

    @Test func sessionsResumeIntoTheirTableExactlyOnce() throws {
        let loopback = try TableServer(queueSize: 64)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Replay.schema, table: "queue")
        let drained = Locked<[UInt64]>([])
        let learner = ThreadGroup(1) { _ in
            let ids = try loopback.drainQueue(3000)
            drained.withLock { $0 = ids }
        }
        for start in stride(from: UInt64(0), to: 3000, by: 100) {
            try Tagged.small.packed(start..<start + 100).withUnsafeBytes { try client.send(packed: $0) }
            if start % 500 == 0 { client.breakConnection() }
        }
        try client.wait()
        #expect(learner.join())
        let ids = drained.withLock { $0 }
        #expect(ids.count == 3000 && Set(ids).count == 3000)
        #expect(loopback.server.metrics.transport.sessionsResumed > 0)
    }

    @Test func anUnknownTableIsRefusedWithItsName() throws {
        let loopback = try TableServer()
        #expect(throws: ClientError.refused(status: ChorusWire.Status.unknownTable.rawValue,
                                            reason: #"no table named "nope" (the server has "replay", "queue")"#)) {
            try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Replay.schema, table: "nope")
        }
        #expect(loopback.server.metrics.transport.refusals[.unknownTable] == 1)
        #expect(throws: ClientError.self, "v1 cannot name a table") {
            try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Replay.schema, protocol: .echo, table: "replay")
        }
    }

    /// (Their ack may be lost with the connection; a client that resumes learns from the verdict
    /// that they are in.)
    @Test func aNaNPriorityOnTheWireEndsTheConnectionAfterTheGoodSamples() throws {
        let loopback = try TableServer()
        let peer = try RawPeer(port: loopback.chorusPort)
        let schemaText = Array(Replay.schema.canonicalJSON.utf8)
        _ = try peer.read(ChorusWire.serverHelloHeaderSize + schemaText.count)
        try peer.send(ChorusWire.ClientHello(sessionID: .random(), lowestUnacked: 0, mac: Array(repeating: 0, count: 32),
                                             schemaText: schemaText, table: "replay").encoded())
        #expect(ChorusWire.Verdict.decode(try peer.read(9)[...]).value?.status == .accepted)
        var records: [UInt8] = []
        for (id, priority) in [(UInt64(1), 2.0), (2, 3.0), (3, Double.nan), (4, 1.0)] {
            records.appendLittleEndian(priority.bitPattern)
            records += Tagged.small.packed([id])
        }
        try peer.send(records)
        #expect(peer.closedByServer())
        #expect(loopback.server.metrics.transport.refusals[.invalidPriority] == 1)
        let sample = try loopback.server.sample(from: "replay", batchSize: 100)
        #expect(Set(try sample.leaf("id", as: UInt64.self)) == [1, 2])
    }
}

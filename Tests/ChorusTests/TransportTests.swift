@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import Foundation
import ChorusTestSupport
import Testing

/// The TCP data plane end to end over loopback: real sockets, real io_uring.
@Suite(.timeLimit(.minutes(2))) struct TransportTests {
    @Test func echoSamplesSplitIntoBytesOrMergedArriveIntact() throws {
        let loopback = try LoopbackServer()
        let peer = try RawPeer(port: loopback.echoPort)
        #expect(try peer.read(EchoWire.handshake(for: Tagged.small.schema).count) == EchoWire.handshake(for: Tagged.small.schema))
        try peer.sendByteByByte(Tagged.small.packed(0..<3))
        try peer.send(Tagged.small.packed(3..<53))
        #expect(try peer.read(53) == [UInt8](repeating: 1, count: 53))
        #expect(loopback.collect(53).sorted() == Array(0..<53))
        #expect(loopback.errors.isEmpty)
    }

    @Test func chorusHelloAndSamplesByteByByte() throws {
        let loopback = try LoopbackServer()
        let peer = try RawPeer(port: loopback.chorusPort)
        let schemaText = Array(Tagged.small.schema.canonicalJSON.utf8)
        let serverHello = try peer.read(ChorusWire.serverHelloHeaderSize + schemaText.count)
        #expect(ChorusWire.ServerHello.decode(serverHello[...]).value?.schemaText == schemaText)
        let hello = ChorusWire.ClientHello(sessionID: .random(), lowestUnacked: 0, mac: Array(repeating: 0, count: 32),
                                           schemaText: schemaText)
        try peer.sendByteByByte(hello.encoded())
        #expect(ChorusWire.Verdict.decode(try peer.read(9)[...]).value == ChorusWire.Verdict(status: .accepted, nextSequence: 0))
        try peer.sendByteByByte(Tagged.small.packed(0..<2))
        #expect(try peer.readAcks(until: 2).last == 2)
        try peer.send(Tagged.small.packed(2..<40))
        let acks = try peer.readAcks(until: 40)
        #expect(acks == acks.sorted(), "cumulative acks never go backwards")
        #expect(acks.last == 40)
        #expect(loopback.collect(40).sorted() == Array(0..<40))
    }

    @Test func aPartialSampleAtEOFNeverReachesABatch() throws {
        let loopback = try LoopbackServer(batchSize: 2, consume: false)
        let peer = try RawPeer(port: loopback.echoPort)
        _ = try peer.read(EchoWire.handshake(for: Tagged.small.schema).count)
        try peer.send(Tagged.small.packed(0..<2) + Tagged.small.packed([2]).prefix(11))
        #expect(try peer.read(2) == [1, 1])
        peer.socket.close()
        #expect(eventually { loopback.server.metrics.transport.samplesTruncated == 1 })
        loopback.server.shutdown()
        #expect(try loopback.server.next().map { try Tagged.small.ids(in: $0) } == [0, 1])
        #expect(loopback.server.next() == nil)
        #expect(loopback.server.metrics.ring.samplesCommitted == 2)
    }

    /// An ack says the sample is in the ring: one acked into a batch that never fills still
    /// reaches the learner at shutdown.
    @Test func ackedSamplesOfAnUnfinishedBatchAreDeliveredAtShutdown() throws {
        let loopback = try LoopbackServer(batchSize: 32, consume: false)
        let peer = try RawPeer(port: loopback.echoPort)
        _ = try peer.read(EchoWire.handshake(for: Tagged.small.schema).count)
        try peer.send(Tagged.small.packed(0..<40))
        #expect(try peer.read(40) == [UInt8](repeating: 1, count: 40))
        loopback.server.shutdown()
        #expect(try loopback.server.next().map { try Tagged.small.ids(in: $0) } == Array(0..<32))
        let last = try #require(loopback.server.next())
        #expect(try Tagged.small.ids(in: last) == Array(32..<40))
        #expect(try last.invalidCount == 24)
        #expect(loopback.server.next() == nil)
    }

    @Test func twoHundredConcurrentConnections() throws {
        var options = TransportOptions()
        options.maxConnections = 256
        let loopback = try LoopbackServer(batchSize: 50, options: options)
        let (finished, sent) = loopback.feed(clients: 200, perClient: 100, window: 16)
        #expect(finished)
        let ids = loopback.collect(20_000)
        #expect(ids.count == 20_000)
        #expect(Set(ids) == sent)
        #expect(loopback.server.metrics.transport.connectionsAccepted == 200)
    }

    /// Two I/O threads share the listeners (SO_REUSEPORT): a reconnecting session may land on
    /// either loop and still resumes exactly where it stood.
    @Test func twoIOThreadsShareConnectionsAndSessions() throws {
        var options = TransportOptions()
        options.ioThreads = 2
        let loopback = try LoopbackServer(batchSize: 10, options: options)
        let (finished, sent) = loopback.feed(clients: 8, perClient: 1_000, window: 32, breakEvery: 100)
        #expect(finished)
        let ids = loopback.collect(8_000)
        #expect(ids.count == 8_000)
        #expect(Set(ids) == sent)
        #expect(loopback.server.metrics.transport.sessionsResumed >= 40)
    }

    @Test func aV2SessionSurvivesAHundredForcedDisconnects() throws {
        let loopback = try LoopbackServer(batchSize: 10)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema, window: 64)
        for sequence in 0..<20_000 {
            if sequence % 200 == 199 { client.breakConnection() }
            try client.send(Tagged.small.sample(UInt64(sequence)))
        }
        try client.wait()
        client.close()
        let ids = loopback.collect(20_000)
        #expect(ids == Array(0..<20_000), "every sample exactly once, in order")
        #expect(loopback.server.metrics.transport.sessionsResumed >= 100)
    }

    /// A process that dies mid-stream and its replacement (a restarted actor) share a session
    /// id: the replacement learns what the server committed and carries on from there, so the
    /// stream arrives whole, once, in order, whatever the dead one left in flight.
    @Test func aReplacementClientContinuesADeadOnesSession() throws {
        let loopback = try LoopbackServer(batchSize: 10)
        let session = SessionID.random()
        var first: TcpClient? = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema,
                                              window: 64, session: session)
        #expect(first?.sessionStart == 0, "a session the server does not know starts at 0")
        for sequence in 0..<500 { try first?.send(Tagged.small.sample(UInt64(sequence))) }
        try first?.wait()
        for sequence in 500..<560 { try first?.send(Tagged.small.sample(UInt64(sequence))) }
        first?.breakConnection()
        first = nil  // dies with its unacked samples
        let second = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema,
                                   window: 64, session: session)
        #expect((500...560).contains(second.sessionStart))
        for sequence in second.sessionStart..<1_000 { try second.send(Tagged.small.sample(sequence)) }
        try second.wait()
        #expect(loopback.collect(1_000) == Array(0..<1_000), "every sample exactly once, in order")
        #expect(throws: ClientError.invalidArgument("only the chorus protocol (v2) has sessions to continue")) {
            try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema, protocol: .echo,
                          session: session)
        }
    }

    @Test func aWrongSecretIsRefused() throws {
        let loopback = try LoopbackServer(secret: Array("s3cret".utf8))
        #expect(throws: ClientError.refused(status: 2, reason: "authentication failed: the client's secret does not match the server's")) {
            try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema, secret: Array("wrong".utf8))
        }
        #expect(throws: ClientError.refused(status: 2, reason: "the server requires a secret and none was given")) {
            try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        }
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema, secret: Array("s3cret".utf8))
        try client.send(Tagged.small.sample(7))
        try client.wait()
        #expect(loopback.collect(1) == [7])
        #expect(loopback.server.metrics.transport.refusals[.authenticationFailed] == 1)
    }

    @Test func connectionsAndRefusalsAreLoggedWithTheirReasons() throws {
        let log = CapturedLog()
        let loopback = try LoopbackServer(logger: log.logger())
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        try client.send(Tagged.small.sample(1))
        client.close()
        let other = try Schema(["id": .leaf(.int64), "pad": .leaf(.uint8, 12)])
        #expect(throws: ClientError.self) { try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: other) }
        #expect(loopback.collect(1) == [1])
        loopback.stop()
        let lines = log.captured
        #expect(lines.contains { $0.message == "listening" && $0.level == .info })
        #expect(lines.contains { $0.message == "connection accepted" && $0.metadata["wire"] == "chorus" })
        #expect(lines.contains { $0.message == "connection closed" && $0.metadata["reason"] == "peer closed" })
        let refusal = try #require(lines.first { $0.metadata["refusal"] == "schemaMismatch" })
        #expect(refusal.level == .warning && refusal.message.contains(#"leaf "id""#))
    }

    @Test func aMismatchedSchemaIsRefusedWithTheLeafNamed() throws {
        let loopback = try LoopbackServer()
        let other = try Schema(["id": .leaf(.int64), "pad": .leaf(.uint8, 12)])
        #expect(throws: ClientError.refused(status: 1, reason: #"leaf "id": client int64[], server uint64[]"#)) {
            try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: other)
        }
        let wider = try Schema(["id": .leaf(.uint64), "pad": .leaf(.uint8, 13)])
        #expect(throws: ClientError.refused(status: nil, reason: #"leaf "pad" (position 1): client uint8[13] (item size 1, dims [13]), server item size 1, dims [12]"#)) {
            try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: wider, protocol: .echo)
        }
        loopback.stop()
        #expect(loopback.server.metrics.transport.refusals[.schemaMismatch] == 1)
    }

    @Test func aSilentPeerTimesOutInTheHandshake() throws {
        // Short enough for a test, long enough that the good client's own handshake below
        // never races it, even under ThreadSanitizer on a loaded machine.
        var options = TransportOptions()
        options.handshakeTimeout = .seconds(1)
        let loopback = try LoopbackServer(options: options)
        let peer = try RawPeer(port: loopback.chorusPort)
        #expect(peer.closedByServer())
        #expect(loopback.server.metrics.transport.refusals[.handshakeTimeout] == 1)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        try client.send(Tagged.small.sample(1))
        try client.wait()
        #expect(loopback.collect(1) == [1], "the server keeps serving")
    }

    @Test func acksComeOnlyAfterTheCommit() throws {
        let loopback = try LoopbackServer(batchSize: 4, numBuffers: 2, consume: false)
        var clientOptions = ClientOptions()
        clientOptions.ackTimeout = .milliseconds(300)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema,
                                   window: 20, options: clientOptions)
        for id in 0..<20 { try client.send(Tagged.small.sample(UInt64(id))) }
        #expect(eventually { loopback.server.metrics.transport.stalls >= 1 })
        #expect(throws: ClientError.timedOut(unacked: 12)) { try client.wait() }
        #expect(loopback.server.metrics.ring.samplesCommitted == 8)
        var received: [UInt64] = []
        while received.count < 20, let batch = loopback.server.next() { received += try Tagged.small.ids(in: batch) }
        try client.wait()
        #expect(client.unacked == 0)
        #expect(received == Array(0..<20))
        loopback.stop()
    }

    @Test func beyondMaxConnectionsClientsAreRefused() throws {
        var options = TransportOptions()
        options.maxConnections = 2
        let loopback = try LoopbackServer(options: options)
        let first = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        let second = try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema, protocol: .echo)
        #expect(throws: ClientError.refused(status: 4, reason: "server full: 2 connections")) {
            try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        }
        #expect(throws: ClientError.self) {
            try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema, protocol: .echo)
        }
        first.close()
        second.close()
        loopback.stop()
        #expect(loopback.server.metrics.transport.refusals[.serverFull] == 2)
    }

    /// Samples this large are read straight into ring slots when whole ones are waiting; odd
    /// chunk sizes make the receive buffer and the direct path take turns.
    @Test func largeSamplesArriveIntactOverEveryPath() throws {
        let large = Tagged.large
        let loopback = try LoopbackServer(large, batchSize: 8)
        let peer = try RawPeer(port: loopback.echoPort)
        _ = try peer.read(EchoWire.handshake(for: large.schema).count)
        let bytes = large.packed(900_000..<900_040)  // apart from the clients' ids
        for start in stride(from: 0, to: bytes.count, by: 5_003) {
            try peer.send(Array(bytes[start..<min(start + 5_003, bytes.count)]))
        }
        let (finished, sent) = loopback.feed(clients: 4, perClient: 300, tagged: large, window: 32, breakEvery: 50)
        #expect(finished)
        #expect(try peer.read(40).count == 40)
        let ids = loopback.collect(40 + 1200)
        #expect(ids.count == 1240)
        #expect(Set(ids) == sent.union(900_000..<900_040))
        #expect(loopback.errors.isEmpty)
        let metrics = loopback.server.metrics.transport
        #expect(metrics.samplesReadDirectly > 0 && metrics.samplesReadDirectly < metrics.samplesReceived,
                "both the direct path and the receive buffer carried samples")
    }

    /// A sample larger than the kernel's cap on SO_RCVLOWAT (half the largest receive buffer)
    /// wakes the poll before it has fully arrived; its last bytes then come alone, after a pause.
    /// The server must wake for them (a receive left at the poll's low-water mark would wait
    /// for more data forever).
    @Test func aHugeSampleWhoseTailArrivesAloneIsAcked() throws {
        let fields = try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_rmem", encoding: .utf8).split(separator: "\t")
        let cap = (Int(fields.last!.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) / 2
        try #require(cap > 0 && cap <= 64 << 20, "needs a low-water cap a test can exceed, found \(cap)")
        let huge = Tagged(padding: cap + (1 << 20))
        let loopback = try LoopbackServer(huge)
        let peer = try RawPeer(port: loopback.echoPort)
        _ = try peer.read(EchoWire.handshake(for: huge.schema).count)
        let bytes = huge.packed([7])
        let head = Array(bytes.dropLast(512 << 10))
        try peer.send(head)
        // The server has taken in the head before the tail is sent.
        #expect(eventually { loopback.server.metrics.transport.bytesReceived >= UInt64(head.count) })
        try peer.send(Array(bytes.suffix(512 << 10)))
        #expect(try peer.read(1, seconds: 10) == [EchoWire.ack])
        #expect(loopback.collect(1) == [7])
    }

    /// A direct read into ring slots that comes up short (here forced: each read takes at most
    /// two and a half samples) falls back: the whole samples stay, the partial one is finished
    /// through the receive buffer, the rest of the reservation goes back to the ring. Every
    /// sample arrives once and intact, over both wires, and nothing is counted as an error.
    @Test func aShortDirectReadFallsBackWithoutLoss() throws {
        var options = TransportOptions()
        options.directReadLimit = Tagged.large.schema.sampleSize * 5 / 2
        let loopback = try LoopbackServer(.large, batchSize: 8, options: options)
        let (finished, sent) = loopback.feed(clients: 2, perClient: 300, tagged: .large, window: 64)
        #expect(finished)
        let ids = loopback.collect(600)
        #expect(ids.count == 600)
        #expect(Set(ids) == sent)
        #expect(loopback.errors.isEmpty)
        let transport = loopback.server.metrics.transport
        #expect(transport.shortDirectReads > 0, "the forced short reads happened")
        #expect(transport.samplesReadDirectly > 0)
        #expect(transport.internalErrors == 0 && transport.samplesVoided == 0)
    }

    @Test func shutdownEndsConnectionsAndListening() throws {
        let loopback = try LoopbackServer(batchSize: 2)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema, protocol: .echo)
        try client.send(contentsOf: [Tagged.small.sample(1), Tagged.small.sample(2)])
        try client.wait()
        #expect(loopback.collect(2) == [1, 2])
        #expect(loopback.server.metrics.transport.connectionsActive == 0)
        #expect(throws: ClientError.self) {
            try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema, protocol: .echo)
        }
    }

    /// `wait(timeout:)` gives up while the server holds acks back (its ring is full and nobody
    /// consumes), keeps the samples in flight, and completes once the learner drains the ring.
    @Test func waitWithATimeoutGivesUpThenCompletes() throws {
        let server = try Server(schema: Tagged.small.schema, batchSize: 1, numBuffers: 2)
        try server.withListening([.chorus(port: 0)]) { bound in
            let client = try TcpClient(host: "127.0.0.1", port: bound[0].port, schema: Tagged.small.schema, window: 8)
            for id in 0..<5 as Range<UInt64> { try client.send(Tagged.small.sample(id)) }
            #expect(throws: ClientError.timedOut(unacked: 3)) { try client.wait(timeout: .milliseconds(300)) }
            var ids: [UInt64] = []
            for _ in 0..<5 { ids += try Tagged.small.ids(in: try #require(server.next())) }
            try client.wait(timeout: .seconds(30))
            #expect(ids == Array(0..<5))
            #expect(client.unacked == 0)
        }
    }
}

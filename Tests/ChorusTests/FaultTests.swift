@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import Foundation
import Testing

/// Fault injection against a real server over loopback: peers that vanish at any point, crowds,
/// a stalled learner, shutdown under load, and bad input. The claim each test checks is the
/// README's: every acked sample reaches exactly one batch, nothing partial or corrupt does, and
/// the server keeps serving the good clients.
/// `make soak` sets CHORUS_SOAK to a factor (e.g. 10) that lengthens the churn test.
let soakFactor = ProcessInfo.processInfo.environment["CHORUS_SOAK"].flatMap { Int($0) }.map { max(1, $0) } ?? 1

@Suite(.timeLimit(.minutes(5 * soakFactor))) struct FaultTests {
    /// One raw connection's life: handshake, `complete` whole samples, maybe part of another,
    /// read acks for the first `acked` of them, close. Returns the ids it saw acked.
    static func churn(
        _ loopback: LoopbackServer, wire: WireProtocol, ids: [UInt64], partial: Int, acked: Int
    ) throws -> [UInt64] {
        let peer = try RawPeer(port: wire == .echo ? loopback.echoPort : loopback.chorusPort)
        defer { peer.socket.close() }
        switch wire {
        case .echo:
            _ = try peer.read(EchoWire.handshake(for: Tagged.small.schema).count)
        case .chorus:
            let schemaText = Array(Tagged.small.schema.canonicalJSON.utf8)
            _ = try peer.read(ChorusWire.serverHelloHeaderSize + schemaText.count)
            try peer.send(ChorusWire.ClientHello(sessionID: .random(), lowestUnacked: 0, mac: Array(repeating: 0, count: 32),
                                                 schemaText: schemaText).encoded())
            _ = try peer.read(9)
        }
        let next = ids.last.map { $0 + 1 } ?? 1 << 40
        try peer.send(Tagged.small.packed(ids) + Tagged.small.packed([next]).prefix(partial))
        guard acked > 0 else { return [] }
        switch wire {
        case .echo: _ = try peer.read(acked)
        case .chorus: _ = try peer.readAcks(until: UInt64(acked))
        }
        return Array(ids.prefix(acked))
    }

    @Test func tenThousandConnectionChurnsLoseAndDuplicateNothing() throws {
        let loopback = try LoopbackServer(batchSize: 1)
        let threads = 4, perThread = 2_500 * soakFactor
        let acked = Locked<Set<UInt64>>([])
        let sent = Locked<Set<UInt64>>([])
        let partials = Locked(0)
        let group = ThreadGroup(threads) { thread in
            var random = SystemRandomNumberGenerator()
            for index in 0..<perThread {
                let connection = UInt64(thread * perThread + index)
                let complete = Int.random(in: 0...6, using: &random)
                let ids = (0..<UInt64(complete)).map { connection << 8 | $0 }
                let partial = Bool.random(using: &random) ? Int.random(in: 1..<Tagged.small.schema.sampleSize, using: &random) : 0
                let wire: WireProtocol = connection % 2 == 0 ? .echo : .chorus
                do {
                    let seen = try FaultTests.churn(loopback, wire: wire, ids: ids, partial: partial,
                                         acked: Int.random(in: 0...complete, using: &random))
                    acked.withLock { $0.formUnion(seen) }
                    sent.withLock { $0.formUnion(ids) }
                    if partial > 0 { partials.withLock { $0 += 1 } }
                } catch {
                    Issue.record("connection \(connection): \(error)")
                }
            }
        }
        #expect(group.join(seconds: 240 * Double(soakFactor)))
        let allAcked = acked.withLock { $0 }, allSent = sent.withLock { $0 }
        // Every acked sample arrives; wait for them, then for the stragglers that were sent whole.
        _ = eventually(seconds: 60) { loopback.server.metrics.transport.connectionsActive == 0 }
        let received = loopback.collect(allSent.count, seconds: 30)
        #expect(received.count == Set(received).count, "no sample is delivered twice")
        #expect(allAcked.isSubset(of: Set(received)), "every acked sample is in a batch")
        #expect(Set(received).isSubset(of: allSent), "no partial or invented sample")
        #expect(loopback.errors.isEmpty, "no sample is corrupt")
        // A partial sample is dropped at EOF and counted; a peer that closes with acks unread sends
        // RST instead, and the kernel discards what the server had not read yet, partial or not.
        #expect(loopback.server.metrics.transport.samplesTruncated <= UInt64(partials.withLock { $0 }))
        #expect(loopback.server.metrics.transport.connectionsAccepted == UInt64(threads * perThread))
        print("churn: \(threads * perThread) connections, \(allSent.count) whole samples sent, \(allAcked.count) acked, "
              + "\(received.count) delivered, \(partials.withLock { $0 }) partial tails sent, "
              + "\(loopback.server.metrics.transport.samplesTruncated) counted truncated")
    }

    @Test func aThousandConcurrentConnectionsOnOneServer() throws {
        var options = TransportOptions()
        options.maxConnections = 1_100
        let loopback = try LoopbackServer(batchSize: 100, options: options)
        let handshake = EchoWire.handshake(for: Tagged.small.schema).count
        var peers: [RawPeer] = []
        for _ in 0..<1_000 {
            let peer = try RawPeer(port: loopback.echoPort)
            _ = try peer.read(handshake)
            peers.append(peer)
        }
        #expect(eventually { loopback.server.metrics.transport.connectionsActive == 1_000 })
        for (index, peer) in peers.enumerated() {
            try peer.send(Tagged.small.packed((0..<10).map { UInt64(index) << 8 | $0 }))
        }
        for peer in peers { #expect(try peer.read(10) == [UInt8](repeating: 1, count: 10)) }
        for peer in peers { peer.socket.close() }
        let received = loopback.collect(10_000)
        #expect(received.count == 10_000 && Set(received).count == 10_000)
    }

    /// A learner that stops consuming: the ring fills, the server stops reading, TCP pushes back
    /// on the producer; nothing is buffered beyond the ring and the socket buffers.
    @Test func aStalledLearnerBackPressuresProducers() throws {
        let loopback = try LoopbackServer(batchSize: 64, numBuffers: 2, consume: false)
        let capacity = 128
        let total = 200_000   // 4 MB of samples, far more than the ring and the socket buffers hold
        let sender = ThreadGroup(1) { _ in
            let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
            for id in 0..<UInt64(total) { try client.send(Tagged.small.sample(id)) }
            try client.wait()
            client.close()
        }
        #expect(eventually { loopback.server.metrics.ring.samplesCommitted == UInt64(capacity) })
        // The transport found the ring full and stopped reading the connection.
        #expect(eventually { loopback.server.metrics.transport.stalls >= 1 })
        let stalled = loopback.server.metrics
        #expect(stalled.ring.samplesCommitted == UInt64(capacity), "nothing beyond the ring is taken in")
        #expect(!sender.hasFinished(waiting: 0.1), "the producer is held back")
        var received: [UInt64] = []
        while received.count < total, let batch = loopback.server.next() {
            received += try Tagged.small.ids(in: batch)
        }
        #expect(sender.join(seconds: 60))
        #expect(received == Array(0..<UInt64(total)))
        loopback.stop()
    }

    /// Shutdown while clients send: the learner still gets every committed sample, then `nil`;
    /// everything acked is among them, and only the last batch may have empty slots.
    @Test func shutdownUnderLoadDeliversTheCompleteBatchesThenEnds() throws {
        let loopback = try LoopbackServer(batchSize: 32, consume: false)
        let acked = Locked<[UInt64]>([])
        let handshake = EchoWire.handshake(for: Tagged.small.schema).count
        let senders = ThreadGroup(4) { index in
            // Chunks of 100 samples, each acked before the next, until the server goes away.
            guard let peer = try? RawPeer(port: loopback.echoPort), (try? peer.read(handshake)) != nil else { return }
            for chunk in 0..<UInt64(1_000) {
                let ids = (0..<UInt64(100)).map { UInt64(index) << 32 | chunk * 100 + $0 }
                guard (try? peer.send(Tagged.small.packed(ids))) != nil, (try? peer.read(100, seconds: 5)) != nil else { return }
                acked.withLock { $0 += ids }
            }
        }
        var received: [UInt64] = []
        var invalidCounts: [Int] = []
        func take(_ batch: Batch) throws {
            received += try Tagged.small.ids(in: batch)
            invalidCounts.append(try batch.invalidCount)
        }
        while received.count < 2_000, let batch = loopback.server.next() { try take(batch) }
        loopback.server.shutdown()
        while let batch = loopback.server.next() { try take(batch) }
        #expect(loopback.server.next() == nil)
        #expect(invalidCounts.dropLast().allSatisfy { $0 == 0 }, "only the last batch has empty slots")
        #expect(received.count + (invalidCounts.last ?? 0) == invalidCounts.count * 32)
        #expect(Set(received).count == received.count)
        #expect(senders.join(seconds: 30))
        #expect(Set(acked.withLock { $0 }).isSubset(of: Set(received)))
    }

    /// Bad peers are refused or timed out, each counted by reason, while a good client is served.
    @Test func badPeersAreRefusedAndCountedWhileGoodClientsAreServed() throws {
        // Short enough for a test, long enough that the good client's own handshake never races it.
        var options = TransportOptions()
        options.handshakeTimeout = .seconds(1)
        let loopback = try LoopbackServer(options: options)
        let schemaText = Array(Tagged.small.schema.canonicalJSON.utf8)
        let serverHello = ChorusWire.serverHelloHeaderSize + schemaText.count

        // Garbage instead of a hello.
        let garbage = try RawPeer(port: loopback.chorusPort)
        _ = try garbage.read(serverHello)
        try garbage.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0xAB, count: 200))
        #expect(garbage.closedByServer())
        // A hello announcing a schema text beyond the limit.
        let oversized = try RawPeer(port: loopback.chorusPort)
        _ = try oversized.read(serverHello)
        var header = ChorusWire.ClientHello(sessionID: .random(), lowestUnacked: 0, mac: Array(repeating: 0, count: 32),
                                            schemaText: schemaText).encoded()
        header.removeLast(schemaText.count)
        let length = UInt32(ChorusWire.maximumSchemaText + 1)
        header.replaceSubrange(header.count - 4 ..< header.count, with: withUnsafeBytes(of: length.littleEndian, Array.init))
        try oversized.send(header)
        #expect(oversized.closedByServer())
        // An empty schema text.
        let empty = try RawPeer(port: loopback.chorusPort)
        _ = try empty.read(serverHello)
        try empty.send(ChorusWire.ClientHello(sessionID: .random(), lowestUnacked: 0, mac: Array(repeating: 0, count: 32),
                                              schemaText: []).encoded())
        #expect(empty.closedByServer())
        // A handshake never completed.
        let silent = try RawPeer(port: loopback.chorusPort)
        #expect(silent.closedByServer())
        // A v1 client whose samples are a different size: refused by the client itself, which
        // compares the server's handshake (the server has no client hello to refuse in v1).
        let wider = try Schema(["id": .leaf(.uint64), "pad": .leaf(.uint8, 13)])
        #expect(throws: ClientError.self) { try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: wider, protocol: .echo) }

        let good = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        for id in 0..<100 as Range<UInt64> { try good.send(Tagged.small.sample(id)) }
        try good.wait()
        #expect(loopback.collect(100).sorted() == Array(0..<100))
        let refusals = loopback.server.metrics.transport.refusals
        #expect(refusals[.malformedHello, default: 0] + refusals[.schemaMismatch, default: 0] == 3)
        #expect(refusals[.handshakeTimeout] == 1)
    }

    /// A peer that sends but never reads its acks: once the acks fill its receive window and the
    /// server's send buffer, the server's send makes no progress; after `sendTimeout` the
    /// connection is closed and counted. Nothing waits on the peer meanwhile: what it sent was
    /// taken in, and a good client is served alongside.
    @Test func aPeerThatNeverReadsAcksIsTimedOut() throws {
        var options = TransportOptions()
        options.sendTimeout = .milliseconds(500)
        let loopback = try LoopbackServer(batchSize: 1_000, options: options)
        let deaf = try RawPeer(port: loopback.echoPort)
        _ = try deaf.read(EchoWire.handshake(for: Tagged.small.schema).count)
        let chunk = Tagged.small.packed((0..<10_000).map { UInt64($0) })
        var sent = 0
        let start = ContinuousClock.now
        // Bounded: 100 M samples or 60 s, far beyond what the socket buffers hold.
        while sent < 100_000_000, ContinuousClock.now - start < .seconds(60), (try? deaf.send(chunk)) != nil {
            sent += 10_000
        }
        #expect(eventually { loopback.server.metrics.transport.refusals[.sendTimeout] == 1 })
        #expect(deaf.closedByServer())

        let good = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema)
        for id in 1_000_000..<1_001_000 as Range<UInt64> { try good.send(Tagged.small.sample(id)) }
        try good.wait()
        // The deaf peer's last batch may be partial (the server closed it mid-chunk): a batch's
        // worth of filler behind the good samples completes every batch that holds one of them.
        for id in 2_000_000..<2_001_000 as Range<UInt64> { try good.send(Tagged.small.sample(id)) }
        try good.wait()
        good.close()
        #expect(eventually { loopback.ids.filter { (1_000_000..<1_001_000).contains($0) }.count == 1_000 })
        #expect(loopback.errors.isEmpty)
        loopback.stop()
        print("never-reading peer: \(sent) samples sent before the server gave up on it")
    }
}

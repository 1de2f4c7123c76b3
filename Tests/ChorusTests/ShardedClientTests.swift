@testable import Chorus
import ChorusClient
import Foundation
import Testing

/// `ShardedClient` against real servers on loopback: how it spreads samples, and what it does
/// when a shard stops answering or comes up late.
@Suite struct ShardedClientTests {
    static let tagged = Tagged.small

    static func shard(_ server: LoopbackServer) -> ShardedClient.Shard {
        .init(host: "127.0.0.1", port: server.chorusPort)
    }

    /// Round-robin gives each of three shards every third sample; a key always reaches shard
    /// `key % 3`.
    @Test func roundRobinTakesTurnsAndAKeyKeepsToItsShard() throws {
        let servers = try (0..<3).map { _ in try LoopbackServer(Self.tagged) }
        let client = try ShardedClient(shards: servers.map(Self.shard), schema: Self.tagged.schema, window: 32)
        for id in UInt64(0)..<300 { try client.send(Self.tagged.sample(id)) }
        for id in UInt64(300)..<600 { try client.send(Self.tagged.sample(id), key: id % 7) }
        try client.wait()
        client.close()
        #expect(client.samplesSent == [200, 200, 200].enumerated().map { index, _ in
            100 + (300..<600).filter { ($0 % 7) % 3 == index }.count
        })
        for (index, server) in servers.enumerated() {
            let expected = (0..<300).filter { $0 % 3 == index } + (300..<600).filter { ($0 % 7) % 3 == index }
            #expect(server.collect(expected.count).sorted() == expected.map(UInt64.init))
        }
    }

    /// A shard that refuses (here: it wants a secret the client does not have) is an error
    /// with the server's reason, not a shard to wait for.
    @Test func aShardThatRefusesIsAnErrorNotADownShard() throws {
        let (open, guarded) = (try LoopbackServer(Self.tagged), try LoopbackServer(Self.tagged, secret: Array("k".utf8)))
        #expect {
            _ = try ShardedClient(shards: [Self.shard(open), Self.shard(guarded)], schema: Self.tagged.schema)
        } throws: { error in
            guard case ClientError.refused = error else { return false }
            return true
        }
    }

    /// The second shard stops acknowledging (its ring is full and nobody reads it): its client
    /// times out, the shard is taken down, and what it had not acknowledged goes to the first.
    /// Every sample arrives; only one the second committed but whose ack was still on its way
    /// could arrive on both.
    @Test func aShardThatStopsAnsweringIsSkippedAndItsUnackedSamplesGoElsewhere() throws {
        let first = try LoopbackServer(Self.tagged)
        let second = try LoopbackServer(Self.tagged, batchSize: 4, numBuffers: 2, consume: false)
        var options = ClientOptions()
        options.ackTimeout = .milliseconds(200)
        options.reconnectAttempts = 1
        let client = try ShardedClient(shards: [Self.shard(first), Self.shard(second)], schema: Self.tagged.schema,
                                       window: 16, options: options, retryDelay: .seconds(60), maximumRetryDelay: .seconds(60))
        let ids = UInt64(0)..<200
        for id in ids { try client.send(Self.tagged.sample(id)) }
        try client.wait()
        #expect(client.shardsUp == [true, false])
        client.close()
        var committed: [UInt64] = []
        second.server.shutdown()
        while let batch = second.server.next() { committed += try Self.tagged.ids(in: batch) }
        let delivered = first.collect(ids.count - committed.count)
        #expect(committed.count == 8, "the second server's ring holds 8")
        #expect(Set(delivered).count == delivered.count, "nothing twice on one shard")
        #expect(Set(delivered).union(committed) == Set(ids))
        #expect(delivered.count + committed.count - ids.count <= 8)
    }

    /// A shard down when the client starts is tried again after its back-off and gets its turn
    /// once its server is up; nothing is lost or repeated meanwhile.
    @Test func aShardThatComesUpLateJoinsTheRotation() throws {
        let first = try LoopbackServer(Self.tagged)
        let port: Int = try {
            let probe = try LoopbackServer(Self.tagged)
            probe.stop()
            return probe.chorusPort
        }()
        let client = try ShardedClient(shards: [Self.shard(first), .init(host: "127.0.0.1", port: port)],
                                       schema: Self.tagged.schema, window: 32, retryDelay: .milliseconds(20),
                                       maximumRetryDelay: .milliseconds(100))
        #expect(client.shardsUp == [true, false])
        var next = UInt64(0)
        for _ in 0..<100 {
            try client.send(Self.tagged.sample(next))
            next += 1
        }
        let late = try LoopbackServer(Self.tagged, chorusPort: port)
        let joined = eventually(seconds: 10) {
            (try? client.send(Self.tagged.sample(next))) != nil && { next += 1; return client.shardsUp == [true, true] }()
        }
        #expect(joined)
        for _ in 0..<100 {
            try client.send(Self.tagged.sample(next))
            next += 1
        }
        try client.wait()
        client.close()
        let sent = client.samplesSent
        let (toFirst, toLate) = (first.collect(sent[0]), late.collect(sent[1]))
        #expect(toLate.count >= 50, "the late shard takes its turn")
        #expect((toFirst + toLate).sorted() == Array(0..<next))
    }
}

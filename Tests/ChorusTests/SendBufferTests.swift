@testable import Chorus
@testable import ChorusClient
import Testing

/// `ClientOptions.sendBuffer`: a client gathers small samples and writes them together, and no
/// sample is held back past a flush, a full window, `wait()` or `close()`, or lost or doubled
/// by a resume.
@Suite struct SendBufferTests {
    private func options(sendBuffer: Int) -> ClientOptions {
        var options = ClientOptions()
        options.sendBuffer = sendBuffer
        return options
    }

    @Test(arguments: [WireProtocol.echo, .chorus])
    func gatheredSamplesWaitForAFlushThenArriveOnceInOrder(_ wireProtocol: WireProtocol) throws {
        let loopback = try LoopbackServer(batchSize: 1)
        let port = wireProtocol == .echo ? loopback.echoPort : loopback.chorusPort
        let client = try TcpClient(host: "127.0.0.1", port: port, schema: Tagged.small.schema,
                                   protocol: wireProtocol, window: 64, options: options(sendBuffer: 1 << 20))
        for id in 0..<5 as Range<UInt64> { try client.send(Tagged.small.sample(id)) }
        #expect(!eventually(seconds: 0.2) { loopback.server.metrics.transport.samplesReceived > 0 },
                "gathered samples stay in the client until something writes them")
        try client.flush()
        #expect(eventually { loopback.server.metrics.transport.samplesReceived == 5 })
        // 200 more through a window of 64: each full window writes what is gathered, or the
        // client would wait for acks of samples the server never got.
        for id in 5..<205 as Range<UInt64> { try client.send(Tagged.small.sample(id)) }
        try client.wait()
        #expect(client.unacked == 0)
        client.close()
        #expect(loopback.collect(205) == Array(0..<205))
    }

    @Test func closeWritesWhatIsGathered() throws {
        let loopback = try LoopbackServer(batchSize: 1)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema,
                                   protocol: .echo, options: options(sendBuffer: 1 << 20))
        for id in 0..<3 as Range<UInt64> { try client.send(Tagged.small.sample(id)) }
        client.close()
        #expect(loopback.collect(3) == [0, 1, 2])
    }

    @Test func aGatheringSessionSurvivesForcedDisconnectsExactlyOnce() throws {
        let loopback = try LoopbackServer(batchSize: 10)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.chorusPort, schema: Tagged.small.schema,
                                   window: 64, options: options(sendBuffer: 500))
        for sequence in 0..<10_000 {
            if sequence % 300 == 299 { client.breakConnection() }
            try client.send(Tagged.small.sample(UInt64(sequence)))
        }
        try client.wait()
        client.close()
        #expect(loopback.collect(10_000) == Array(0..<10_000), "every sample exactly once, in order")
        #expect(loopback.server.metrics.transport.sessionsResumed >= 30)
    }

    @Test func aBufferCanBeSetLaterAndANegativeOneIsRefused() throws {
        let loopback = try LoopbackServer(batchSize: 1)
        let client = try TcpClient(host: "127.0.0.1", port: loopback.echoPort, schema: Tagged.small.schema,
                                   protocol: .echo)
        try client.send(Tagged.small.sample(0))
        try client.setSendBuffer(1 << 16)
        for id in 1..<100 as Range<UInt64> { try client.send(Tagged.small.sample(id)) }
        #expect(throws: ClientError.self) { try client.setSendBuffer(-1) }
        try client.wait()
        client.close()
        #expect(loopback.collect(100) == Array(0..<100))
    }
}

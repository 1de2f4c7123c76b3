@testable import Chorus
@testable import ChorusClient
@testable import ChorusCore
import Foundation
import Logging
import Testing

/// Samples that carry an id, with padding derived from it, so a test can check that each
/// arrived exactly once and intact. `small` is 20 bytes; `large` is above the size the
/// transport reads straight into ring slots.
struct Tagged: Sendable {
    let schema: Schema
    let padding: Int

    static let small = Tagged(padding: 12)
    static let large = Tagged(padding: 8192)

    /// Bytes 0, 1, …, 255, 0, 1, … — a sample's padding is this pattern shifted by its id, so
    /// building and checking it is a copy and a compare, not per-byte arithmetic.
    private let pattern: [UInt8]

    init(padding: Int) {
        self.padding = padding
        schema = try! Schema(["id": .leaf(.uint64), "pad": .leaf(.uint8, padding)])
        pattern = (0..<padding + 256).map { UInt8(truncatingIfNeeded: $0) }
    }

    private func pad(_ id: UInt64) -> ArraySlice<UInt8> {
        let shift = Int(id &* 7 % 256)
        return pattern[shift..<shift + padding]
    }

    func packed(_ ids: some Sequence<UInt64>) -> [UInt8] {
        ids.flatMap { id -> [UInt8] in
            var bytes: [UInt8] = []
            bytes.appendLittleEndian(id)
            return bytes + Array(pad(id))
        }
    }

    func sample(_ id: UInt64) -> Sample {
        var sample = Sample(schema: schema)
        try! sample.set("id", to: id)
        try! sample.set("pad", to: Array(pad(id)))
        return sample
    }

    /// The ids of a batch's valid samples, after checking each one's padding.
    func ids(in batch: Batch) throws -> [UInt64] {
        let ids = try batch["id", as: UInt64.self].toArray()
        let valid = try ids.indices.filter { try batch.isValid($0) }
        try batch["pad", as: UInt8.self].withSpan { pad in
            for index in valid {
                let id = ids[index]
                let expected = self.pad(id)
                for offset in 0..<padding where pad[index * padding + offset] != expected[expected.startIndex + offset] {
                    throw HarnessError("sample \(id) arrived torn")
                }
            }
        }
        return valid.map { ids[$0] }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A server listening on free loopback ports, echo and chorus, with a consumer thread that
/// collects every id it receives.
final class LoopbackServer: Sendable {
    let server: Server
    let echoPort: Int
    let chorusPort: Int
    private let inbox = Inbox()
    private let consumer: ThreadGroup?

    /// What the consumer thread collected.
    private final class Inbox: Sendable {
        let received = Locked<[UInt64]>([])
        let failures = Locked<[String]>([])
    }

    /// `chorusPort` 0 picks a free one.
    init(_ tagged: Tagged = .small, batchSize: Int = 1, numBuffers: Int = 3, secret: [UInt8]? = nil,
         options: TransportOptions = TransportOptions(), consume: Bool = true, chorusPort: Int = 0,
         logger: Logger = Logger(label: "chorus.server")) throws {
        server = try Server(schema: tagged.schema, batchSize: batchSize, numBuffers: numBuffers, logger: logger)
        let bound = try server.listen([.echo(port: 0), .chorus(port: chorusPort, secret: secret)], options: options)
        echoPort = bound[0].port
        self.chorusPort = bound[1].port
        guard consume else {
            consumer = nil
            return
        }
        consumer = ThreadGroup(1) { [server, inbox] _ in
            while let batch = server.next() {
                do {
                    let ids = try tagged.ids(in: batch)
                    inbox.received.withLock { $0 += ids }
                } catch {
                    inbox.failures.withLock { $0.append("\(error)") }
                }
            }
        }
    }

    var ids: [UInt64] { inbox.received.withLock { $0 } }
    var errors: [String] { inbox.failures.withLock { $0 } }

    /// Waits until `count` samples arrived (bounded), then shuts down and returns them.
    func collect(_ count: Int, seconds: Double = 60) -> [UInt64] {
        _ = eventually(seconds: seconds) { inbox.received.withLock { $0.count } >= count }
        stop()
        return ids
    }

    func stop() {
        server.shutdown()
        consumer?.join()
    }

    /// A test that fails before `stop()` still leaves no server or consumer thread behind.
    deinit {
        stop()
    }
}

extension LoopbackServer {
    /// Feeds the server from `clients` threads, alternately echo and chorus `TcpClient`s, each
    /// sending `perClient` samples with ids `client × 10,000 + sequence`; the chorus clients break
    /// their connection every `breakEvery` samples when given. Returns whether every client
    /// finished (bounded), and the ids sent.
    func feed(clients: Int, perClient: Int, tagged: Tagged = .small, window: Int, breakEvery: Int? = nil)
        -> (finished: Bool, sent: Set<UInt64>)
    {
        let group = ThreadGroup(clients) { [echoPort, chorusPort] index in
            let wireProtocol: WireProtocol = index % 2 == 0 ? .echo : .chorus
            let client = try TcpClient(host: "127.0.0.1", port: wireProtocol == .echo ? echoPort : chorusPort,
                                        schema: tagged.schema, protocol: wireProtocol, window: window)
            for sequence in 0..<perClient {
                if wireProtocol == .chorus, let breakEvery, sequence % breakEvery == breakEvery - 1 {
                    client.breakConnection()
                }
                try client.send(tagged.sample(UInt64(index * 10_000 + sequence)))
            }
            try client.wait()
            client.close()
        }
        let sent = Set((0..<clients).flatMap { index in (0..<perClient).map { UInt64(index * 10_000 + $0) } })
        return (group.join(), sent)
    }
}

/// A raw socket for tests that speak the wire protocols by hand.
final class RawPeer {
    let socket: BlockingSocket

    init(port: Int) throws {
        socket = try BlockingSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
    }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try socket.send([$0]) }
    }

    /// Sends each byte with its own system call.
    func sendByteByByte(_ bytes: [UInt8]) throws {
        for byte in bytes { try send([byte]) }
    }

    /// Reads exactly `count` bytes (bounded by `seconds`).
    func read(_ count: Int, seconds: Double = 10) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < count {
            let want = min(count - result.count, buffer.count)
            let got = try buffer.withUnsafeMutableBytes {
                try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<want]), timeout: .seconds(seconds))
            }
            result += buffer[..<got]
        }
        return result
    }

    /// Reads v2 acks (coalesced: one may cover many samples) until one reaches `target`.
    func readAcks(until target: UInt64) throws -> [UInt64] {
        var acks: [UInt64] = []
        while acks.last.map({ $0 < target }) ?? true {
            var reader = WireReader(try read(8)[...])
            acks.append(reader.read(UInt64.self)!)
        }
        return acks
    }

    /// True once the server has closed the connection (bounded by `seconds`).
    func closedByServer(seconds: Double = 10) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            do {
                _ = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0, timeout: .seconds(seconds)) }
            } catch BlockingSocket.Failure.closed {
                return true
            } catch {
                return false
            }
        }
    }
}

import ArgumentParser
import Chorus
import ChorusCore
import Foundation

/// `chorus load`: a load generator for any echo v1 or Chorus v2 server (id-echo's too).
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Stream generated samples to a server over K connections (TCP or shared memory) and report the rate.",
        discussion: "The bytes follow a fixed pattern with a per-sample id, so a receiver can check them (see LoadPattern)."
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int?
    @Option(help: "A server's shared-memory socket (instead of --port): write straight into its ring.")
    var shm: String?
    @Option(help: "The sample schema file (must match the server's).") var schema: String
    @Option(name: .customLong("protocol"), help: "echo (id-echo wire v1) or chorus (wire v2).")
    var wireProtocol: String = "chorus"
    @Option(help: "Parallel connections, one thread each.") var connections = 1
    @Option(help: "Number of the first connection (ids are connection << 40 | sequence), so several load processes can feed one server with distinct ids.")
    var firstConnection = 0
    @Option(help: "Stop after this many seconds (default 10 unless --count is given).") var seconds: Double?
    @Option(help: "Samples to send on each connection.") var count: Int?
    @Option(help: "Unacked samples allowed per connection (default: what fits in 16 MiB, at most 1024).")
    var window: Int?
    @Option(help: "A file with the v2 shared secret.") var secretFile: String?
    @Option(help: "The replay table to write (chorus protocol only); each sample carries --priority.")
    var table: String?
    @Option(help: "The priority of every sample sent to --table.") var priority = 1.0

    func validate() throws {
        guard WireProtocol(rawValue: wireProtocol) != nil else { throw ValidationError("--protocol is echo or chorus") }
        guard (port == nil) != (shm == nil) else { throw ValidationError("give --port or --shm") }
        if shm != nil && (table != nil || wireProtocol != "chorus") {
            throw ValidationError("--shm writes the ring with the chorus handshake: no --table or --protocol echo")
        }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard firstConnection >= 0, firstConnection + connections <= 1 << 24 else {
            throw ValidationError("connection numbers must stay within 0..<2^24")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if table != nil && wireProtocol != "chorus" { throw ValidationError("--table needs --protocol chorus") }
        guard priority.isFinite && priority >= 0 else { throw ValidationError("--priority must be finite and at least 0") }
    }

    func run() throws {
        let schema = try loadSchema(schema)
        let wireProtocol = WireProtocol(rawValue: self.wireProtocol)!
        let secret = try loadSecret(secretFile)
        let duration = seconds ?? (count == nil ? 10 : .infinity)
        let deadline = Date().addingTimeInterval(duration)
        // Shared memory asks the server for slots once per block: bigger blocks, fewer asks (with
        // 4 MiB blocks one producer spent a quarter of its time waiting for grants).
        let blockBytes = shm == nil ? 64 * 1024 : 16 << 20
        let blockSize = max(1, min(shm == nil ? 64 : 4096, blockBytes / schema.sampleSize, count ?? .max))
        let tally = Tally()
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for connection in firstConnection..<firstConnection + connections {
            group.enter()
            Thread { [host, port, shm, window, count, tally, table, priority] in
                defer { group.leave() }
                do {
                    let client: any LoadSender = if let shm {
                        try ShmClient(path: shm, schema: schema, secret: secret)
                    } else {
                        try PrioritySender(client: TcpClient(host: host, port: port!, schema: schema, protocol: wireProtocol,
                                                             window: window, secret: secret, table: table),
                                           priority: priority)
                    }
                    var pattern = LoadPattern(schema: schema, blockSize: blockSize)
                    var sequence: UInt64 = 0
                    let limit = UInt64(count ?? .max)
                    while sequence < limit && Date() < deadline {
                        let samples = Int(min(UInt64(blockSize), limit - sequence))
                        pattern.number(connection: connection, from: sequence)
                        try pattern.block.withUnsafeBytes {
                            try client.send(packed: UnsafeRawBufferPointer(rebasing: $0[..<(samples * schema.sampleSize)]))
                        }
                        sequence += UInt64(samples)
                    }
                    try client.wait()
                    client.close()
                    tally.sent.withLock { $0 += sequence }
                } catch {
                    tally.failures.withLock { $0.append("connection \(connection): \(error)") }
                }
            }.start()
        }
        group.wait()
        let elapsed = (ContinuousClock.now - start).seconds
        let total = tally.sent.withLock { $0 }
        let errors = tally.failures.withLock { $0 }
        say(String(format: "sent %d samples (%d B each) on %d %@ connections in %.2f s: %.0f samples/s, %.1f MB/s",
                   total, schema.sampleSize, connections, shm == nil ? wireProtocol.rawValue : "shared-memory", elapsed,
                   Double(total) / elapsed, Double(total) * Double(schema.sampleSize) / elapsed / 1e6))
        if !errors.isEmpty { throw CommandFailure(errors.joined(separator: "\n")) }
    }
}

/// What a `chorus load` connection sends through: a TCP client or a shared-memory one.
private protocol LoadSender {
    func send(packed bytes: UnsafeRawBufferPointer) throws
    func wait() throws
    func close()
}

extension ShmClient: LoadSender {
    fileprivate func wait() throws { try wait(timeout: nil) }
}

/// A TCP client whose samples all carry one priority (used when it writes a table).
private struct PrioritySender: LoadSender {
    let client: TcpClient
    let priority: Double

    func send(packed bytes: UnsafeRawBufferPointer) throws { try client.send(packed: bytes, priorities: [priority]) }
    func wait() throws { try client.wait() }
    func close() { client.close() }
}

/// What the connection threads of `chorus load` report, shared by reference.
private final class Tally: Sendable {
    let sent = Locked<UInt64>(0)
    let failures = Locked<[String]>([])
}

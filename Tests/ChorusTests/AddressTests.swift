@testable import Chorus
@testable import ChorusClient
import Foundation
import Testing

/// Listeners and clients on IPv4, IPv6 and host names.
@Suite(.timeLimit(.minutes(2))) struct AddressTests {
    /// A name no resolver knows, rejected by the C library itself (a label over 63 bytes), so the
    /// test sends no DNS query.
    static let unknownName = String(repeating: "x", count: 64) + ".invalid"

    /// Sends `count` samples with `client` and waits for their acks (committed to the ring).
    static func send(_ count: Int, with client: TcpClient) throws {
        for id in 0..<UInt64(count) { try client.send(Tagged.small.sample(id)) }
        try client.wait()
        client.close()
    }

    @Test func listenersOnIPv6ServeBothWires() throws {
        let server = try Server(schema: Tagged.small.schema, batchSize: 100)
        try server.withListening([.chorus(host: "::1", port: 0), .echo(host: "::1", port: 0)]) { bound in
            #expect(bound.map(\.host) == ["::1", "::1"])
            try Self.send(100, with: TcpClient(host: "::1", port: bound[0].port, schema: Tagged.small.schema))
            try Self.send(100, with: TcpClient(host: "::1", port: bound[1].port, schema: Tagged.small.schema,
                                              protocol: .echo))
            #expect(server.metrics.ring.samplesCommitted == 200)
        }
    }

    @Test func clientsConnectByAHostNameFromEtcHosts() throws {
        // "localhost" is in /etc/hosts on every machine this runs on; any other name there for
        // 127.0.0.1 is tried too.
        let hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ""
        let names = hosts.split(separator: "\n").compactMap { line -> [Substring]? in
            let fields = line.split(whereSeparator: \.isWhitespace)
            return fields.first == "127.0.0.1" ? Array(fields.dropFirst()) : nil
        }.flatMap { $0 }.map(String.init)
        try #require(names.contains("localhost"), "/etc/hosts maps localhost to 127.0.0.1")
        let server = try Server(schema: Tagged.small.schema, batchSize: 10, numBuffers: 2 * names.count + 2)
        try server.withListening([.chorus(host: "localhost", port: 0)]) { bound in
            for name in names {
                try Self.send(10, with: TcpClient(host: name, port: bound[0].port, schema: Tagged.small.schema))
            }
            #expect(server.metrics.ring.samplesCommitted == UInt64(10 * names.count))
        }
    }

    @Test func anUnknownNameIsAClearError() throws {
        #expect {
            try TcpClient(host: Self.unknownName, port: 7000, schema: Tagged.small.schema)
        } throws: { error in
            guard case ClientError.unresolvedHost(let host, let reason) = error else { return false }
            return host == Self.unknownName && !reason.isEmpty
                && "\(error)".hasPrefix("cannot resolve host \"\(Self.unknownName)\"")
        }
        let server = try Server(schema: Tagged.small.schema, batchSize: 1)
        #expect {
            try server.listen([.chorus(host: Self.unknownName, port: 0)])
        } throws: { error in
            guard case TransportError.invalidAddress(let reason) = error else { return false }
            return reason.contains(Self.unknownName)
        }
        #expect(throws: ClientError.self, "a bad literal is an error too, not a crash") {
            try TcpClient(host: "::1::2", port: 7000, schema: Tagged.small.schema)
        }
    }
}

import ChorusES
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// What both coordinators (Evochi's epochs, steady state) share: their gRPC server, the
/// tokens and join secrets of their workers, and the status codes of the engine's refusals.
enum CoordinatorSupport {
    /// Serves `service` over plaintext HTTP/2 on `host` (an address with a colon is IPv6, e.g.
    /// "::1", "::") while `body` runs, given the bound address (the port chosen for port 0);
    /// then shuts the server down gracefully.
    static func serve(
        _ service: any RegistrableRPCService, host: String, port: Int, maxRequestBytes: Int,
        isolation: isolated (any Actor)? = #isolation,
        whileListening body: (_ host: String, _ port: Int) async throws -> Void
    ) async throws {
        let transport = HTTP2ServerTransport.Posix(
            address: host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port),
            transportSecurity: .plaintext,
            config: .defaults { $0.rpc.maxRequestPayloadSize = maxRequestBytes }
        )
        let server = GRPCServer(transport: transport, services: [service])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            do {
                let listening = try await transport.listeningAddress
                guard let (host, port) = listening.ipv4.map({ ($0.host, $0.port) }) ?? listening.ipv6.map({ ("[\($0.host)]", $0.port) }) else {
                    throw RPCError(code: .internalError, message: "the coordinator is not listening on IPv4 or IPv6")
                }
                try await body(host, port)
            } catch {
                server.beginGracefulShutdown()
                throw error
            }
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// 128 random bits as hex: opaque to workers, bound to one worker record.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Whether a worker's join secret is `expected`, in time that does not depend on where they differ.
    static func secretMatches(_ given: String?, _ expected: String) -> Bool {
        let x = Array((given ?? "").utf8), y = Array(expected.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func statusCode(for kind: EngineRejection.Kind) -> RPCError.Code {
        switch kind {
        case .unknownWorker: .unauthenticated
        case .unknownTask: .notFound
        case .invalid: .invalidArgument
        case .poolFull: .resourceExhausted
        }
    }
}

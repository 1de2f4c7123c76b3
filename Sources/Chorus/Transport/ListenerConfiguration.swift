import ChorusCore

/// One listener of a ``Server``: a TCP protocol and address, or a shared-memory socket path;
/// for `chorus` and shared memory an optional secret.
public struct ListenerConfiguration: Hashable, Sendable {
    public var wireProtocol: WireProtocol
    /// An IPv4 or IPv6 address or a host name; the default accepts only connections from this
    /// machine.
    public var host: String
    /// 0 picks a free port (see ``BoundListener/port``).
    public var port: Int
    /// When set (chorus only), clients must prove they know it: HMAC-SHA256 over the server's
    /// nonce and their session id.
    public var secret: [UInt8]?
    /// For a shared-memory listener: the Unix socket's path (`host` repeats it, `port` is 0).
    public var path: String?

    public static func echo(host: String = "127.0.0.1", port: Int) -> ListenerConfiguration {
        ListenerConfiguration(wireProtocol: .echo, host: host, port: port, secret: nil)
    }

    public static func chorus(host: String = "127.0.0.1", port: Int, secret: [UInt8]? = nil) -> ListenerConfiguration {
        ListenerConfiguration(wireProtocol: .chorus, host: host, port: port, secret: secret)
    }

    /// Same-host producers (``ShmClient``) connect to the Unix socket at `path` (created with
    /// mode 0600; a stale socket there is replaced), pass the v2 handshake, and then write
    /// straight into the ring's memory.
    public static func sharedMemory(path: String, secret: [UInt8]? = nil) -> ListenerConfiguration {
        ListenerConfiguration(wireProtocol: .chorus, host: path, port: 0, secret: secret, path: path)
    }
}

/// A listener that is accepting connections.
public struct BoundListener: Hashable, Sendable, CustomStringConvertible {
    public let wireProtocol: WireProtocol
    public let host: String
    public let port: Int
    /// A shared-memory listener's socket path (nil for TCP).
    public let path: String?

    init(wireProtocol: WireProtocol, host: String, port: Int, path: String? = nil) {
        self.wireProtocol = wireProtocol
        self.host = host
        self.port = port
        self.path = path
    }

    public var description: String { path.map { "shared memory at \($0)" } ?? "\(wireProtocol) on \(host):\(port)" }
}

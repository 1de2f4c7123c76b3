import ChorusCore

/// One TCP listener of a ``Server``: a protocol, an address, and for `chorus` an optional secret.
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

    public static func echo(host: String = "127.0.0.1", port: Int) -> ListenerConfiguration {
        ListenerConfiguration(wireProtocol: .echo, host: host, port: port, secret: nil)
    }

    public static func chorus(host: String = "127.0.0.1", port: Int, secret: [UInt8]? = nil) -> ListenerConfiguration {
        ListenerConfiguration(wireProtocol: .chorus, host: host, port: port, secret: secret)
    }
}

/// A listener that is accepting connections.
public struct BoundListener: Hashable, Sendable, CustomStringConvertible {
    public let wireProtocol: WireProtocol
    public let host: String
    public let port: Int

    public var description: String { "\(wireProtocol) on \(host):\(port)" }
}

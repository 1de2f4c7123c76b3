import ChorusCore

/// Timeouts and resume policy of a ``TcpClient``.
public struct ClientOptions: Hashable, Sendable {
    /// Connecting and the handshake must each finish within this time.
    public var connectTimeout: Duration = .seconds(10)
    /// When set, waiting for acks (a full window, or `wait()`) fails after this time.
    public var ackTimeout: Duration?
    /// v2: how many times to reconnect and resume after the connection breaks, before giving up.
    public var reconnectAttempts = 10
    /// v2: the pause before the first reconnect; it doubles up to one second.
    public var reconnectDelay: Duration = .milliseconds(10)

    public init() {}
}

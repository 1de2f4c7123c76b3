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
    /// Bytes of samples a client may gather before it writes them: 0 writes every `send` at once;
    /// more trades a little latency for far fewer system calls when samples are small. Gathered
    /// samples go out once this many bytes wait, and on `flush()`, `wait()`, a full window and
    /// `close()`: a producer that pauses should `flush()`.
    public var sendBuffer = 0

    public init() {}
}

import ChorusCore

/// Limits and timeouts of a server's TCP transport: every way a peer could hang or swamp the
/// learner is bounded by one of these.
public struct TransportOptions: Hashable, Sendable {
    /// I/O threads, each with its own io_uring and its own share of the connections.
    public var ioThreads = 1
    /// Connections served at once; beyond this a v2 client is refused with status 4 (server
    /// full) and a v1 client is closed at once.
    public var maxConnections = 1024
    /// A v2 client must complete its hello, and a v1 client must take the server's handshake,
    /// within this time.
    public var handshakeTimeout: Duration = .seconds(10)
    /// A send (handshake, verdict or acks) that makes no progress for this long means the peer
    /// stopped reading: the connection is closed.
    public var sendTimeout: Duration = .seconds(30)
    /// When set, a connection that sends nothing for this long is closed.
    public var idleTimeout: Duration?
    /// Bytes each connection reads at once (at least two samples' worth is always used).
    public var receiveBufferSize = 256 * 1024
    /// A same-host producer that holds granted ring slots this long without committing any
    /// (stopped, deadlocked, stuck in its fill closure) is killed with SIGKILL, through a pidfd
    /// taken at its handshake so that no other process can be hit; once it is gone (its socket
    /// closes) its slots are completed as invalid and the ring goes on. Voiding the slots of a
    /// producer still alive would not be safe: it keeps the ring mapped and could write them
    /// after they were granted to someone else. `nil`: never; the ring then waits for it.
    public var sharedMemoryGrantLease: Duration? = .seconds(30)
    /// v2 sessions remembered for resume; the least recently seen idle ones are forgotten first.
    public var sessionCapacity = 4096
    /// A v2 session with no connection for this long is forgotten.
    public var sessionExpiry: Duration = .seconds(600)

    /// Tests only: a direct read into ring slots takes at most this many bytes, as a short read
    /// by the kernel would, to drive the fallback path.
    var directReadLimit: Int?

    public init() {}
}

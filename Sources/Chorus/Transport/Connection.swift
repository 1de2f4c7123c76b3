import ChorusCore

/// One TCP connection of an I/O loop: where its handshake stands (``Phase``), what its receive
/// side is doing (``ReceiveState``), and its send side (``SendQueue``).
///
/// Owned and touched only by its loop's thread. Each state is one enum case, so the legal
/// combinations are the cases, not guards spread over the loop.
final class Connection {
    enum Phase: Equatable {
        /// v2: waiting for the client's hello; the nonce its MAC must cover.
        case awaitingHello(nonce: [UInt8])
        /// Samples flow in, acks flow out.
        case streaming
        /// A verdict refusing the client is on its way; then the connection closes.
        case refusing
        /// Shut down; waiting for the operations in flight to complete before the fd closes.
        case closing
    }

    /// The receive side: at most one operation in flight, and why nothing is when none is.
    enum ReceiveState: Equatable {
        /// Nothing in flight; the loop arms the next read.
        case idle
        /// A receive into `buffer` is in flight.
        case receiving
        /// A poll for a whole waiting sample is in flight (large samples, nothing staged).
        case polling
        /// The ring was full: nothing is read until the ring has space. `peerClosed`: the peer
        /// closed first, and what is buffered still goes to the ring before the connection ends.
        case stalled(peerClosed: Bool)
        /// The peer closed its side (EOF or error): what was received is still committed, then
        /// the connection closes.
        case peerClosed

        var isInFlight: Bool { self == .receiving || self == .polling }
        var isStalled: Bool { if case .stalled = self { true } else { false } }
    }

    let owner: ConnectionOwner
    let fd: Int32
    let listener: Int
    let wireProtocol: WireProtocol
    var phase: Phase
    var receive: ReceiveState = .idle
    var send: SendQueue

    /// Received bytes not yet consumed; a receive, when in flight, writes into its free space.
    var buffer: ReceiveBuffer
    /// The socket's SO_RCVLOWAT: the sample size while polling, else 1 (the kernel's default).
    var receiveLowWater = 1

    /// v2, once the hello was accepted: the session, and the sequence number of the next sample.
    var session: Session?
    var nextSequence: UInt64 = 0
    /// The replay table the samples go to; nil: the ring.
    var table: ReplayTable?
    /// Whether each sample comes after its 8-byte priority (v2 clients that named a table).
    var carriesPriorities = false
    /// Bytes per sample on the wire: the sample, after its priority when it carries one.
    var recordSize: Int

    /// When the handshake (or the refusal's goodbye) must be done.
    var deadline: ContinuousClock.Instant?
    var lastReceive: ContinuousClock.Instant

    init(owner: ConnectionOwner, fd: Int32, listener: Int, wireProtocol: WireProtocol, phase: Phase,
         receiveCapacity: Int, helloSize: Int, sampleSize: Int, now: ContinuousClock.Instant) {
        recordSize = sampleSize
        self.owner = owner
        self.fd = fd
        self.listener = listener
        self.wireProtocol = wireProtocol
        self.phase = phase
        buffer = ReceiveBuffer(capacity: receiveCapacity)
        send = SendQueue(helloSize: helloSize)
        lastReceive = now
    }

    var isStreaming: Bool { phase == .streaming }
    var isClosing: Bool { phase == .closing }
    /// Nothing of the kernel's points into this connection's buffers any more.
    var isIdleForClose: Bool { !receive.isInFlight && !send.isInFlight }
}

/// One TCP connection of an I/O loop: its phase, its receive buffer, and what it has to send.
///
/// Owned and touched only by its loop's thread.
final class Connection {
    enum Phase: Equatable {
        /// v2: waiting for the client's hello.
        case awaitingHello
        /// Samples flow in, acks flow out.
        case streaming
        /// A verdict refusing the client is on its way; then the connection closes.
        case refusing
        /// Shut down; waiting for the operations in flight to complete before the fd closes.
        case closing
    }

    let owner: ConnectionOwner
    let fd: Int32
    let listener: Int
    let wireProtocol: WireProtocol
    var phase: Phase

    /// Received bytes not yet consumed; a receive, when in flight, writes into its free space.
    var buffer: ReceiveBuffer
    var receiving = false
    /// A poll for a whole waiting sample is in flight (large samples, nothing staged).
    var polling = false
    /// The socket's SO_RCVLOWAT: the sample size while polling, else 1 (the kernel's default).
    var receiveLowWater = 1
    /// The ring was full: the loop stopped receiving until it has space again.
    var stalled = false
    /// The peer closed its side (EOF or error); what was received is still committed.
    var peerClosed = false

    // Send invariant: `outbox` segments point into `ownBuffer` (freed in `deinit`, which the loop
    // lets happen only when no send is in flight, as it does for `buffer`'s receives) or into
    // buffers the loop keeps for its whole life. The first segment is the one in flight while
    // `sending` is true.
    let ownBuffer: UnsafeMutableRawBufferPointer
    var outbox: [UnsafeRawBufferPointer] = []
    var sending = false
    var lastSendProgress: ContinuousClock.Instant?
    var echoAcksOwed = 0
    var chorusAckOwed = false
    /// v1: the handshake has not been fully sent yet.
    var handshakeUnsent = false

    /// v2: this connection's nonce, and its session once the hello was accepted.
    var nonce: [UInt8] = []
    var session: Session?
    var nextSequence: UInt64 = 0

    /// When the handshake (or the refusal's goodbye) must be done.
    var deadline: ContinuousClock.Instant?
    var lastReceive: ContinuousClock.Instant

    /// Offsets in `ownBuffer`: the 8-byte v2 ack, then a verdict, then the v2 server hello.
    static let ackOffset = 0
    static let verdictOffset = 8
    static let helloOffset = verdictOffset + 3 + ChorusWire.maximumReason + 8

    init(owner: ConnectionOwner, fd: Int32, listener: Int, wireProtocol: WireProtocol,
         receiveCapacity: Int, helloSize: Int, now: ContinuousClock.Instant) {
        self.owner = owner
        self.fd = fd
        self.listener = listener
        self.wireProtocol = wireProtocol
        phase = wireProtocol == .chorus ? .awaitingHello : .streaming
        buffer = ReceiveBuffer(capacity: receiveCapacity)
        ownBuffer = .allocate(byteCount: Self.helloOffset + helloSize, alignment: 8)
        lastReceive = now
    }

    deinit {
        ownBuffer.deallocate()
    }

    /// Copies `bytes` into `ownBuffer` at `offset` and queues them for sending.
    func queueOwn(_ bytes: [UInt8], at offset: Int) {
        precondition(offset + bytes.count <= ownBuffer.count)
        let destination = UnsafeMutableRawBufferPointer(rebasing: ownBuffer[offset..<offset + bytes.count])
        bytes.withUnsafeBytes { destination.copyMemory(from: $0) }
        outbox.append(UnsafeRawBufferPointer(destination))
    }

    var isIdleForClose: Bool { !receiving && !polling && !sending }
}

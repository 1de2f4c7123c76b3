import CLibURing
import ChorusClient
import ChorusCore
import Crypto
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One I/O thread's event loop: its listeners, its connections, one io_uring.
///
/// Every connection has at most one receive and one send in flight. A receive reads as much as
/// the buffer holds (many samples at once); whole samples are reserved in the ring, copied in
/// and committed, and only then acked, with one ack write per receive. When the ring is full the
/// connection stops receiving (TCP back-pressure reaches the client) and the ring wakes the loop
/// through an eventfd when the consumer frees space. A 100 ms tick enforces the timeouts.
final class TransportLoop: @unchecked Sendable {
    /// What an io_uring tag names: bits 0–7 the operation, 8–31 the generation, 32–63 the slot.
    private enum Operation: UInt64 {
        case accept = 1, receive, send, wake, tick, poll
    }

    struct Listener {
        let configuration: ListenerConfiguration
        let fd: Int32
        /// The bound port, for log lines.
        let port: Int
        var accepting = false
        var open = true
        let key: SymmetricKey?
    }

    let index: Int
    let ring: Ring
    let tables: ReplayTables
    let options: TransportOptions
    let counters: TransportCounters
    let logger: Logger
    let sessions: SessionRegistry
    private let uring: IOURing
    private(set) var listeners: [Listener]
    private var slots: [Connection?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private(set) var stopping = false
    private let stopRequested = Atomic<Bool>(false)
    /// This loop's registration with the ring while `run` runs (see `Ring.addSpaceListener`).
    private(set) var spaceListener: Int?
    /// This loop's registration with each replay table while `run` runs, by table name.
    private(set) var insertListeners: [String: Int] = [:]
    private var lastExpiry = ContinuousClock.now
    private let receiveCapacity: Int
    private let helloSize: Int
    private let schemaText: [UInt8]

    // Invariant: these buffers are allocated in `init` and freed in `deinit`, after `run` has
    // returned with no connection left and the io_uring closed, so nothing the kernel still
    // holds points into them.
    private let wakeFD: Int32
    private let wakeBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
    private let tickInterval = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)
    /// `0x01` bytes: v1 acks for up to this many samples in one write.
    private let echoAcks = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    private let echoHandshake: UnsafeMutableRawBufferPointer

    var schema: Schema { ring.schema }

    init(index: Int, ring: Ring, tables: ReplayTables, listeners: [(ListenerConfiguration, Int32)],
         options: TransportOptions, counters: TransportCounters, sessions: SessionRegistry, logger: Logger)
        throws(TransportError) {
        self.index = index
        self.ring = ring
        self.tables = tables
        self.options = options
        self.counters = counters
        self.logger = logger
        self.sessions = sessions
        uring = try IOURing(entries: 1024)
        self.listeners = listeners.map { configuration, fd in
            Listener(configuration: configuration, fd: fd, port: Socket.boundPort(fd),
                     key: configuration.secret.map { SymmetricKey(data: $0) })
        }
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw .system("eventfd", errno: errno) }
        let sampleSize = ring.schema.sampleSize
        let (twoSamples, overflow) = sampleSize.multipliedReportingOverflow(by: 2)
        schemaText = Array(ring.schema.canonicalJSON.utf8)
        helloSize = ChorusWire.serverHelloHeaderSize + schemaText.count
        receiveCapacity = max(options.receiveBufferSize, overflow ? sampleSize : twoSamples,
                              ChorusWire.clientHelloHeaderSize + ChorusWire.maximumSchemaText)
        tickInterval.pointee = __kernel_timespec(tv_sec: 0, tv_nsec: 100_000_000)
        echoAcks.initializeMemory(as: UInt8.self, repeating: EchoWire.ack)
        let handshake = EchoWire.handshake(for: ring.schema)
        echoHandshake = .allocate(byteCount: handshake.count, alignment: 8)
        handshake.withUnsafeBytes { echoHandshake.copyMemory(from: $0) }
    }

    deinit {
        close(wakeFD)
        wakeBuffer.deallocate()
        tickInterval.deallocate()
        echoAcks.deallocate()
        echoHandshake.deallocate()
    }

    /// Asks the loop to close its listeners and connections and return from `run`. Any thread.
    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Runs until stopped, on the calling (dedicated) thread.
    func run() {
        let wake: @Sendable () -> Void = { [wakeFD] in
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        spaceListener = ring.addSpaceListener(wake)
        for table in tables.all { insertListeners[table.name] = table.addInsertListener(wake) }
        for index in listeners.indices { armAccept(index) }
        armWake()
        armTick()
        while !(stopping && slots.allSatisfy { $0 == nil }) {
            uring.submitAndWait(handle)
        }
        closeListeners()
        uring.close()
        if let spaceListener { ring.removeSpaceListener(spaceListener) }
        spaceListener = nil
        for table in tables.all { insertListeners[table.name].map(table.removeInsertListener) }
        insertListeners = [:]
    }

    /// Closes the listening sockets; for a loop whose thread never started, the whole cleanup.
    func closeListeners() {
        for index in listeners.indices where listeners[index].open {
            close(listeners[index].fd)
            listeners[index].open = false
        }
    }

    // MARK: Completions

    private func tag(_ operation: Operation, slot: Int, generation: UInt32 = 0) -> UInt64 {
        UInt64(slot) << 32 | UInt64(generation & 0xFF_FFFF) << 8 | operation.rawValue
    }

    private func handle(_ completion: IOURing.Completion) {
        let slot = Int(completion.tag >> 32)
        let generation = UInt32((completion.tag >> 8) & 0xFF_FFFF)
        switch Operation(rawValue: completion.tag & 0xFF) {
        case .accept: accepted(completion, listener: slot)
        case .receive: connection(slot, generation).map { received(completion.result, on: $0) }
        case .send: connection(slot, generation).map { sent(completion.result, on: $0) }
        case .poll: connection(slot, generation).map { polled(on: $0) }
        case .wake: woken()
        case .tick: ticked()
        case nil: counters.internalError("a completion with an unknown tag \(completion.tag)")
        }
    }

    private func connection(_ slot: Int, _ generation: UInt32) -> Connection? {
        guard slot < slots.count, let connection = slots[slot],
              connection.owner.generation & 0xFF_FFFF == generation else { return nil }
        return connection
    }

    private func armAccept(_ index: Int) {
        guard listeners[index].open, !listeners[index].accepting, !stopping else { return }
        listeners[index].accepting = true
        uring.acceptMultishot(listener: listeners[index].fd, tag: tag(.accept, slot: index))
    }

    private func armWake() {
        uring.read(fd: wakeFD, into: wakeBuffer, tag: tag(.wake, slot: 0))
    }

    private func armTick() {
        uring.timeout(tickInterval, tag: tag(.tick, slot: 0))
    }

    private func accepted(_ completion: IOURing.Completion, listener index: Int) {
        if !completion.hasMore { listeners[index].accepting = false }
        guard completion.result >= 0 else { return }  // re-armed by the next tick, so errors cannot spin
        let fd = completion.result
        if !listeners[index].accepting { armAccept(index) }
        guard !stopping else {
            close(fd)
            return
        }
        counters.accepted(on: index)
        SocketOptions.setNoDelay(fd)
        let configuration = listeners[index].configuration
        let active = counters.active.load(ordering: .relaxed)
        let full = active >= options.maxConnections
        // Over the limit, v1 has no way to say why: close at once. v2 gets a verdict, within a
        // small allowance of extra connections so a flood cannot grow memory without bound.
        if full && (configuration.wireProtocol == .echo || active >= options.maxConnections + 64) {
            refused(.serverFull, "server full: \(active) connections", listener: index)
            close(fd)
            return
        }
        let phase: Connection.Phase
        switch configuration.wireProtocol {
        case .echo:
            phase = .streaming
        case .chorus:
            var generator = SystemRandomNumberGenerator()
            phase = .awaitingHello(nonce: (0..<16).map { _ in generator.next() })
        }
        let connection = open(fd, listener: index, protocol: configuration.wireProtocol, phase: phase)
        logger.debug("connection accepted", metadata: metadata(of: connection))
        connection.deadline = .now + options.handshakeTimeout
        switch phase {
        case .awaitingHello(let nonce):
            let hello = ChorusWire.ServerHello(authenticationRequired: configuration.secret != nil,
                                               nonce: nonce, schemaText: schemaText)
            connection.send.queue(hello.encoded(), at: SendQueue.Slot.hello)
            if full {
                refuse(connection, .serverFull, "server full: \(options.maxConnections) connections", .serverFull)
            }
        default:
            // v1: the handshake is sent first; the connection streams as soon as it is out, to
            // the default table if the server has one.
            connection.table = tables.defaultTable
            connection.send.queue(shared: UnsafeRawBufferPointer(echoHandshake))
        }
        sendNext(connection)
        receiveNext(connection)
    }

    private func open(_ fd: Int32, listener: Int, protocol wireProtocol: WireProtocol, phase: Connection.Phase) -> Connection {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(nil)
            generations.append(0)
        }
        generations[slot] &+= 1
        let owner = ConnectionOwner(loop: index, slot: slot, generation: generations[slot])
        let connection = Connection(owner: owner, fd: fd, listener: listener, wireProtocol: wireProtocol, phase: phase,
                                    receiveCapacity: receiveCapacity, helloSize: helloSize,
                                    sampleSize: schema.sampleSize, now: .now)
        slots[slot] = connection
        counters.active.add(1, ordering: .relaxed)
        return connection
    }

    private func received(_ result: Int32, on connection: Connection) {
        guard connection.receive == .receiving else {
            return violated("a receive completed on a connection with none in flight", connection)
        }
        connection.receive = .idle
        if result > 0 {
            guard Int(result) <= connection.buffer.freeSpace().count else {
                return violated("a receive returned \(result) bytes, more than the free space", connection)
            }
            connection.buffer.didReceive(Int(result))
            connection.lastReceive = .now
            counters.received(Int(result), on: connection.listener)
        } else {
            connection.receive = .peerClosed
            if result < 0 && result != -ECANCELED && !connection.isClosing {
                counters.reset.add(1, ordering: .relaxed)
            }
        }
        process(connection)
    }

    /// Something the kernel reported does not fit the connection's state: an error of ours or
    /// of the kernel, never a reason to stop the learner. The connection is closed and counted.
    func violated(_ what: String, _ connection: Connection) {
        counters.internalError("connection \(connection.owner.slot): \(what)")
        logger.error("internal error: \(what)", metadata: metadata(of: connection))
        connection.receive = connection.receive.isInFlight ? connection.receive : .peerClosed
        closeConnection(connection, because: "internal error")
    }

    /// Counts a refusal and logs it with its reason.
    func refused(_ refusal: TransportMetrics.Refusal, _ reason: String, _ connection: Connection) {
        counters.refused(refusal)
        logger.warning("refused: \(reason)", metadata: metadata(of: connection).merging(["refusal": "\(refusal)"]) { $1 })
    }

    /// A refusal before a connection exists (the server is full).
    private func refused(_ refusal: TransportMetrics.Refusal, _ reason: String, listener index: Int) {
        counters.refused(refusal)
        logger.warning("refused: \(reason)", metadata: [
            "refusal": "\(refusal)", "listener": "\(listeners[index].port)",
        ])
    }

    /// What a log line says about `connection`: which loop and slot, its listener, its wire.
    func metadata(of connection: Connection) -> Logger.Metadata {
        ["connection": "\(index).\(connection.owner.slot)",
         "listener": "\(listeners[connection.listener].port)",
         "wire": "\(connection.wireProtocol)"]
    }

    private func sent(_ result: Int32, on connection: Connection) {
        guard connection.send.isInFlight else {
            return violated("a send completed on a connection with none in flight", connection)
        }
        guard result >= 0 else {
            connection.send.failed()
            closeConnection(connection, because: "send failed: errno \(-result)")
            return
        }
        let drained = connection.send.completed(Int(result), now: .now)
        guard !connection.isClosing else {
            finishClosing(connection)
            return
        }
        if drained {
            // v1's handshake is out: the handshake deadline no longer applies.
            if connection.isStreaming { connection.deadline = nil }
            if connection.phase == .refusing {
                // Let the client read the verdict before the socket goes: half-close, then wait
                // (bounded) for its EOF, so our close sends FIN and not RST.
                shutdown(connection.fd, Int32(SHUT_WR))
                connection.deadline = .now + min(options.handshakeTimeout, .seconds(2))
            }
        }
        sendNext(connection)
    }

    private func woken() {
        armWake()
        if stopRequested.load(ordering: .acquiring) && !stopping { beginStop() }
        for case let connection? in slots {
            guard case .stalled(let peerClosed) = connection.receive else { continue }
            connection.receive = peerClosed ? .peerClosed : .idle
            process(connection)
        }
    }

    private func ticked() {
        armTick()
        let now = ContinuousClock.now
        for case let connection? in slots where !connection.isClosing {
            if let deadline = connection.deadline, now >= deadline {
                if connection.phase != .refusing { refused(.handshakeTimeout, "no hello in time", connection) }
                closeConnection(connection, because: connection.phase == .refusing ? "refused" : "handshake timeout")
            } else if connection.send.isInFlight, let progress = connection.send.lastProgress,
                      now - progress >= options.sendTimeout {
                refused(.sendTimeout, "the peer took no data for \(options.sendTimeout)", connection)
                closeConnection(connection, because: "send timeout")
            } else if let idle = options.idleTimeout, connection.isStreaming, !connection.receive.isStalled,
                      now - connection.lastReceive >= idle {
                refused(.idleTimeout, "nothing received for \(idle)", connection)
                closeConnection(connection, because: "idle timeout")
            } else if let session = connection.session, !session.isOwned(by: connection.owner) {
                closeConnection(connection, because: "a reconnect took its session over")
            }
        }
        for index in listeners.indices { armAccept(index) }
        if index == 0 && now - lastExpiry >= .seconds(1) {
            sessions.expire(now: now)
            lastExpiry = now
        }
    }

    // MARK: Connections

    /// Acts on what the connection has received, then receives more, or closes it.
    func process(_ connection: Connection) {
        switch connection.phase {
        case .awaitingHello(let nonce): readHello(connection, nonce: nonce)
        case .streaming: ingest(connection)
        case .refusing:
            connection.buffer.removeAll()
        case .closing:
            finishClosing(connection)
            return
        }
        guard !connection.isClosing else { return }
        switch connection.receive {
        case .idle:
            receiveNext(connection)
        case .peerClosed:
            let truncated = connection.isStreaming && !connection.buffer.isEmpty
            if truncated { counters.truncated.add(1, ordering: .relaxed) }
            closeConnection(connection, because: truncated ? "peer closed mid-sample (the partial sample was dropped)" : "peer closed")
        case .stalled, .receiving, .polling:
            return
        }
    }

    /// Whether samples are large enough to be read straight into the ring (see `readDirectly`).
    var readsDirectly: Bool { schema.sampleSize >= Self.directReadMinimumSampleSize }

    /// Arms the next read. Large samples with nothing staged: take the whole ones waiting, then
    /// poll until another whole one waits (SO_RCVLOWAT). Otherwise: receive into the buffer.
    private func receiveNext(_ connection: Connection) {
        guard connection.receive == .idle, !connection.isClosing else { return }
        if connection.isStreaming, connection.buffer.isEmpty, readsDirectly, connection.table == nil {
            readDirectly(connection)
            guard connection.receive == .idle, !connection.isClosing else { return }
            guard connection.buffer.isEmpty else {
                // A direct read fell back: the tail it staged is completed by a receive.
                return receiveIntoBuffer(connection)
            }
            // Readable only once a whole sample waits. Only while polling: a receive waits on
            // the same readiness, and must wake for any byte (a tail, a hello).
            setLowWater(connection, schema.sampleSize)
            connection.receive = .polling
            uring.pollReadable(fd: connection.fd,
                               tag: tag(.poll, slot: connection.owner.slot, generation: connection.owner.generation))
            return
        }
        receiveIntoBuffer(connection)
    }

    private func setLowWater(_ connection: Connection, _ bytes: Int) {
        guard connection.receiveLowWater != bytes else { return }
        Socket.setReceiveLowWater(connection.fd, bytes: bytes)
        connection.receiveLowWater = bytes
    }

    /// A poll found the socket readable: read the whole samples waiting; if there were none (a
    /// partial sample, EOF, or a low-water mark the kernel capped), receive into the buffer,
    /// which consumes what is there, so polling cannot spin.
    private func polled(on connection: Connection) {
        guard connection.receive == .polling else {
            return violated("a poll completed on a connection with none in flight", connection)
        }
        connection.receive = .idle
        guard connection.isStreaming else {
            finishClosing(connection)
            return
        }
        if readDirectly(connection) > 0 {
            receiveNext(connection)
        } else if connection.receive == .idle, !connection.isClosing {
            receiveIntoBuffer(connection)
        }
    }

    private func receiveIntoBuffer(_ connection: Connection) {
        guard !connection.buffer.isFull else { return }
        setLowWater(connection, 1)
        // Large samples: receive only up to the end of the sample in progress; whole samples
        // waiting behind it go straight to the ring (`readDirectly`) instead of through the buffer.
        let space = connection.buffer.freeSpace(
            endingAtSampleOf: connection.isStreaming && readsDirectly ? schema.sampleSize : nil)
        connection.receive = .receiving
        uring.receive(fd: connection.fd, into: space,
                      tag: tag(.receive, slot: connection.owner.slot, generation: connection.owner.generation))
    }

    func sendNext(_ connection: Connection) {
        guard !connection.isClosing,
              let (segment, isAck) = connection.send.startNext(
                  echoAcks: UnsafeRawBufferPointer(echoAcks),
                  chorusAck: { ChorusWire.ack(connection.nextSequence) }, now: .now)
        else { return }
        if isAck { counters.ackWrites.add(1, ordering: .relaxed) }
        uring.send(fd: connection.fd, from: segment,
                   tag: tag(.send, slot: connection.owner.slot, generation: connection.owner.generation))
    }

    /// Shuts the socket down (which completes its operations in flight) and frees the
    /// connection once none is left.
    /// Safe to call again on a closing connection: it then only tries to finish (an operation
    /// that completes with an error on a closing connection must still let it be freed).
    func closeConnection(_ connection: Connection, because reason: String) {
        if !connection.isClosing {
            logger.debug("connection closed", metadata: metadata(of: connection).merging(["reason": "\(reason)"]) { $1 })
            connection.session?.release(by: connection.owner, now: .now)
            connection.phase = .closing
            shutdown(connection.fd, Int32(SHUT_RDWR))
        }
        finishClosing(connection)
    }

    private func finishClosing(_ connection: Connection) {
        guard connection.isClosing, connection.isIdleForClose,
              slots[connection.owner.slot] === connection else { return }
        close(connection.fd)
        slots[connection.owner.slot] = nil
        freeSlots.append(connection.owner.slot)
        counters.active.subtract(1, ordering: .relaxed)
    }

    private func beginStop() {
        stopping = true
        for listener in listeners where listener.open { shutdown(listener.fd, Int32(SHUT_RDWR)) }
        closeListeners()
        for case let connection? in slots { closeConnection(connection, because: "server stopping") }
    }
}

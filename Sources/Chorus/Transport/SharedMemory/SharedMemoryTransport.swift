import CLibURing
import CSharedMemory
import ChorusClient
import ChorusCore
import Crypto
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A shared-memory listener (``ListenerConfiguration/sharedMemory(path:secret:)``): same-host
/// producers connect to a Unix socket (mode 0600), pass the v2 handshake (schema with reasons,
/// secret), and receive the ring's memory, a control lane of their own and the doorbell. From
/// then on they write samples straight into ring slots; no byte crosses the socket.
///
/// Two threads: one accepts and hands shakes (with the handshake timeout, so a stalled peer
/// only delays other newcomers), one pumps every producer's lane: it reserves ring slots for
/// what a producer asks (grants), commits what it filled, acknowledges, and completes as
/// invalid what a producer that left, died or broke the protocol had not filled (its socket
/// closing is how the pump learns that a process died). The pump sleeps in `poll` when nothing
/// moves; producers ring its doorbell (an eventfd) only when it said it sleeps. A producer that
/// holds granted slots past the grant lease without committing is killed, so a stopped or
/// deadlocked process cannot wedge the ring (``TransportOptions/sharedMemoryGrantLease``).
final class SharedMemoryTransport: Sendable {
    let listener: BoundListener
    private let ring: Ring
    private let listenFD: Int32
    private let doorbell: Int32
    private let stopFD: Int32
    private let key: SymmetricKey?
    private let listenerIndex: Int
    private let options: TransportOptions
    private let counters: TransportCounters
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Producers that passed the handshake, on their way to the pump.
    private let arrivals = Locked<[SharedMemoryProducer]>([])
    private let threads = Mutex<[IOThread]>([])

    /// Creates the socket file at `path` (mode 0600; a stale socket file there is replaced) and
    /// starts both threads.
    init(ring: Ring, path: String, secret: [UInt8]?, listenerIndex: Int, options: TransportOptions,
         counters: TransportCounters, logger: Logger) throws(TransportError)
    {
        guard ring.storage.memory.fd >= 0 else {
            throw .notStartable("shared memory needs memory files (memfd_create), which this system refused")
        }
        guard let address = UnixSocketAddress(path: path) else {
            throw .invalidAddress("\(path): not a usable Unix socket path (1 to 107 bytes)")
        }
        listenFD = try Self.listen(at: path, address: address)
        doorbell = eventfd(0, Int32(EFD_CLOEXEC))
        stopFD = eventfd(0, Int32(EFD_CLOEXEC))
        self.ring = ring
        self.key = secret.map { SymmetricKey(data: $0) }
        self.listenerIndex = listenerIndex
        self.options = options
        self.counters = counters
        self.logger = logger
        listener = BoundListener(wireProtocol: .chorus, host: path, port: 0, path: path)
        guard doorbell >= 0, stopFD >= 0 else {
            closeDescriptors()
            throw .system("eventfd", errno: errno)
        }
        do throws(TransportError) {
            let accepting = try IOThread(name: "chorus-shm-hs") { [self] in acceptLoop() }
            threads.withLock { $0.append(accepting) }
            let pumping = try IOThread(name: "chorus-shm") { [self] in pumpLoop() }
            threads.withLock { $0.append(pumping) }
        } catch {
            stop()
            throw error
        }
    }

    private static func listen(at path: String, address: UnixSocketAddress) throws(TransportError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        // Only a stale socket is replaced, never another kind of file.
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
        // Made 0600 before it listens: nobody else can connect in between (and the process-wide
        // umask, which other threads may rely on, stays as it is).
        let bound = address.withSockaddr { bind(fd, $0, $1) } == 0
        guard bound, chmod(path, 0o600) == 0, Glibc.listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            if bound { unlink(path) }
            throw .system("bind/listen on \(path)", errno: code)
        }
        return fd
    }

    /// Stops both threads, cuts every producer off (their unfilled grants complete as invalid)
    /// and removes the socket file.
    func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        ring(stopFD)
        ring(doorbell)
        threads.withLock { $0 }.forEach { $0.join() }
        unlink(listener.host)
        closeDescriptors()
    }

    private func closeDescriptors() {
        for fd in [listenFD, doorbell, stopFD] where fd >= 0 { close(fd) }
    }

    private func ring(_ eventFD: Int32) {
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }

    // MARK: Accepting

    private func acceptLoop() {
        var waits = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                     pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        while !stopping.load(ordering: .relaxed) {
            guard poll(&waits, 2, -1) > 0, waits[1].revents == 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else {
                if errno == EMFILE || errno == ENFILE {
                    counters.internalError("accept on \(listener.host): out of file descriptors")
                    var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
                    nanosleep(&pause, nil)  // the pending connection stays; try again shortly
                }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            counters.accepted(on: listenerIndex)
            if let producer = handshake(fd) {
                arrivals.withLock { $0.append(producer) }
                ring(doorbell)
            } else {
                close(fd)
            }
        }
    }

    /// The v2 handshake on a new connection, bounded by the handshake timeout; then the offer
    /// with the ring's memory, a new lane and the doorbell. Nil (after a verdict saying why)
    /// when the producer is refused.
    private func handshake(_ fd: Int32) -> SharedMemoryProducer? {
        var timeout = timeval(tv_sec: Int(options.handshakeTimeout.components.seconds),
                              tv_usec: Int(options.handshakeTimeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hello = ChorusWire.ServerHello(authenticationRequired: key != nil, nonce: nonce,
                                           schemaText: Array(ring.schema.canonicalJSON.utf8))
        guard send(hello.encoded(), on: fd) else { return nil }
        guard let clientHello = receiveHello(on: fd) else { return nil }
        if let refusal = refusal(of: clientHello, nonce: nonce) {
            refuse(fd, refusal.status, refusal.reason, refusal.counted)
            return nil
        }
        guard let laneMemory = SharedMapping.create(name: "chorus-lane", byteCount: ProducerLane.byteCount),
              laneMemory.fd >= 0
        else {
            refuse(fd, .serverFull, "the server could not make a control lane (memfd_create failed)", .serverFull)
            return nil
        }
        let offer = SharedMemoryOffer(batchSize: UInt64(ring.batchSize), numBuffers: UInt64(ring.numBuffers),
                                      ringBytes: UInt64(ring.storage.layout.byteCount), laneBytes: UInt64(ProducerLane.byteCount))
        // The descriptors travel with the offer alone: the client reads the verdict a byte at a
        // time with plain reads, which would drop descriptors attached to those bytes.
        guard send(ChorusWire.Verdict(status: .accepted).encoded(), on: fd) else { return nil }
        let descriptors = [ring.storage.memory.fd, laneMemory.fd, doorbell]
        let sent = offer.encoded().withUnsafeBytes { bytes in
            descriptors.withUnsafeBufferPointer {
                chorus_send_with_fds(fd, bytes.baseAddress, bytes.count, $0.baseAddress, Int32($0.count))
            }
        }
        guard sent == SharedMemoryOffer.encodedSize else { return nil }
        let pid = chorus_peer_pid(fd)
        logger.debug("same-host producer connected", metadata: ["listener": "\(listener)", "pid": "\(pid)"])
        return SharedMemoryProducer(socket: fd, pid: pid, lane: ProducerLane(mapping: laneMemory), counters: counters)
    }

    private func receiveHello(on fd: Int32) -> ChorusWire.ClientHello? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch ChorusWire.ClientHello.decode(received[...]) {
            case .complete(let hello, _):
                return hello
            case .malformed(let reason):
                refuse(fd, .malformedHello, reason, .malformedHello)
                return nil
            case .incomplete:
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else {
                    if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                        refuse(fd, .malformedHello, "no hello within \(options.handshakeTimeout)", .handshakeTimeout)
                    }
                    return nil
                }
                received += chunk[..<count]
            }
        }
    }

    private func refusal(of hello: ChorusWire.ClientHello, nonce: [UInt8])
        -> (status: ChorusWire.Status, reason: String, counted: TransportMetrics.Refusal)?
    {
        if stopping.load(ordering: .relaxed) { return (.shuttingDown, "the server is shutting down", .shuttingDown) }
        if let key, !HMAC<SHA256>.isValidAuthenticationCode(hello.mac, authenticating: nonce + hello.sessionID.bytes, using: key) {
            return (.authenticationFailed, "authentication failed: the client's secret does not match the server's",
                    .authenticationFailed)
        }
        let clientSchema: Schema
        do {
            clientSchema = try Schema(jsonBytes: hello.schemaText)
        } catch {
            return (.schemaMismatch, "the client's schema is invalid: \(error)", .schemaMismatch)
        }
        if let reason = ring.schema.difference(fromClient: clientSchema) { return (.schemaMismatch, reason, .schemaMismatch) }
        if let table = hello.table {
            return (.unknownTable, "shared-memory producers write the learner's ring; table \"\(table)\" is not served here",
                    .unknownTable)
        }
        return nil
    }

    private func refuse(_ fd: Int32, _ status: ChorusWire.Status, _ reason: String, _ counted: TransportMetrics.Refusal) {
        counters.refused(counted)
        logger.warning("refused a same-host producer", metadata: ["listener": "\(listener)", "reason": "\(reason)"])
        _ = send(ChorusWire.Verdict(status: status, reason: reason).encoded(), on: fd)
    }

    private func send(_ bytes: [UInt8], on fd: Int32) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    // MARK: Pumping

    private func pumpLoop() {
        var producers: [SharedMemoryProducer] = []
        let spaceListener = ring.addSpaceListener { [doorbell] in
            var one: UInt64 = 1
            _ = write(doorbell, &one, 8)
        }
        defer { ring.removeSpaceListener(spaceListener) }
        let lease = options.sharedMemoryGrantLease
        var nextLeaseCheck = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            let arrived = arrivals.withLock { arrivals in
                defer { arrivals.removeAll() }
                return arrivals
            }
            producers += arrived
            counters.active.add(arrived.count, ordering: .relaxed)
            if let lease, case let now = ContinuousClock.now, now >= nextLeaseCheck {
                enforce(lease, on: producers, now: now)
                nextLeaseCheck = now + min(lease, Self.leaseCheckInterval)
            }
            var (progressed, needsSpace) = pass(over: &producers)
            if progressed { continue }
            // About to sleep: say so, then look once more, so a producer that wrote just
            // before reading the flag is not missed.
            producers.forEach { $0.announcePumpSleeping() }
            (progressed, needsSpace) = pass(over: &producers)
            if progressed { continue }
            if needsSpace { ring.armSpaceListener(spaceListener) }
            let leaseRunning = lease != nil && producers.contains { $0.holdsGrants && !$0.isKilled }
            sleep(watching: &producers, until: leaseRunning ? nextLeaseCheck : nil)
        }
        for producer in producers { retire(producer, because: "the server stopped") }
    }

    /// One look at every lane: commits, acknowledgements, grants. Cuts off a producer whose
    /// lane cannot be right.
    private func pass(over producers: inout [SharedMemoryProducer]) -> (progressed: Bool, needsSpace: Bool) {
        var progressed = false
        var needsSpace = false
        producers.removeAll { producer in
            do throws(SharedMemoryProducer.Violation) {
                if try producer.absorbCommits(into: ring, counted: count) > 0 { progressed = true }
                let granted = producer.granted
                if !(try producer.grantRequests(from: ring)) { needsSpace = true }
                if producer.granted != granted { progressed = true }
                return false
            } catch {
                counters.refused(.protocolViolation)
                logger.warning("cut off a same-host producer that broke the protocol",
                               metadata: ["listener": "\(listener)", "pid": "\(producer.pid)", "reason": "\(error)"])
                retire(producer, because: "protocol violation")
                return true
            }
        }
        return (progressed, needsSpace)
    }

    /// How often the pump looks for producers past the grant lease (at most; at least once per
    /// lease), while it runs or sleeps.
    private static let leaseCheckInterval = Duration.milliseconds(100)

    /// Kills every producer that has held granted slots for `lease` (as of `now`) without
    /// committing. Its slots are voided when its socket closes, that is once the process, and
    /// its mapping of the ring, are gone: until then it could still write them.
    private func enforce(_ lease: Duration, on producers: [SharedMemoryProducer], now: ContinuousClock.Instant) {
        for producer in producers where !producer.isKilled {
            let held = producer.heldWithoutCommitting(now: now)
            guard held >= lease else { continue }
            let metadata: Logger.Metadata = ["listener": "\(listener)", "pid": "\(producer.pid)", "held": "\(held)"]
            if let failure = producer.kill() {
                logger.error("a same-host producer holds ring slots past the grant lease and cannot be killed: the ring waits for it",
                             metadata: metadata.merging(["reason": "\(failure)"]) { $1 })
            } else {
                counters.producersKilled.add(1, ordering: .relaxed)
                logger.warning("killed a same-host producer that held ring slots past the grant lease without committing",
                               metadata: metadata)
            }
        }
    }

    /// Sleeps until the doorbell rings, a producer's socket says it left, or `deadline` passes.
    private func sleep(watching producers: inout [SharedMemoryProducer], until deadline: ContinuousClock.Instant?) {
        var waits = [pollfd(fd: doorbell, events: Int16(POLLIN), revents: 0)]
            + producers.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
        let timeout = deadline.map { max($0 - .now, .zero).pollMilliseconds } ?? -1
        guard poll(&waits, nfds_t(waits.count), timeout) > 0 else { return }
        if waits[0].revents != 0 {
            var count: UInt64 = 0
            _ = read(doorbell, &count, 8)
            counters.pumpWakeups.add(1, ordering: .relaxed)
        }
        let leaving = Set(waits.indices.dropFirst().filter { waits[$0].revents != 0 }.map { producers[$0 - 1].socket })
        guard !leaving.isEmpty else { return }
        producers.removeAll { producer in
            guard leaving.contains(producer.socket) else { return false }
            var byte: UInt8 = 0
            let count = recv(producer.socket, &byte, 1, Int32(MSG_DONTWAIT))
            if count < 0, errno == EAGAIN || errno == EINTR { return false }
            retire(producer, because: count > 0 ? "it sent bytes after the handshake" : "it closed its socket")
            if count > 0 { counters.refused(.protocolViolation) }
            return true
        }
    }

    /// Counts `samples` committed by a producer (their bytes never crossed a socket, but they
    /// arrived all the same).
    private func count(_ samples: Int) {
        counters.committed(samples, on: listenerIndex)
        counters.received(samples * ring.schema.sampleSize, on: listenerIndex)
    }

    /// Takes what the producer committed, completes the rest of its grants as invalid, and
    /// forgets it.
    private func retire(_ producer: SharedMemoryProducer, because reason: String) {
        _ = try? producer.absorbCommits(into: ring, counted: count)
        let voided = producer.voidOpenGrants(in: ring) { counters.samplesVoided.add(UInt64($0), ordering: .relaxed) }
        counters.active.subtract(1, ordering: .relaxed)
        logger.debug("same-host producer left", metadata: [
            "listener": "\(listener)", "pid": "\(producer.pid)", "reason": "\(reason)", "voided": "\(voided)",
        ])
    }
}

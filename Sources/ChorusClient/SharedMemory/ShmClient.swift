import CSharedMemory
import ChorusCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes samples straight into a same-host learner's ring through shared memory: each sample
/// is written once, by this process, into the slot the learner will read.
///
/// ```swift
/// let client = try ShmClient(path: "/run/chorus/learner.sock", schema: schema)
/// try client.send(sample)
/// try client.reserve(256) { slots in                  // zero-copy: fill the ring's memory
///     render(into: slots.leaf(0))                     //   leaf 0 of these samples, C order
/// }                                                   // committed when the closure returns
/// try client.wait()                                   // every sample is in the learner's ring
/// client.close()
/// ```
///
/// The server (`Server.listen([.sharedMemory(path:secret:)])`) grants ring slots as this client
/// asks for them; the client writes them and commits; the server commits to the ring. While it
/// waits for the server, the client sleeps on a futex in the shared control page. If this
/// process dies at any point, the server notices (the socket closes) and completes whatever it
/// had granted and not yet received as invalid samples (``Batch/invalidCount``): nothing
/// committed is lost and the learner goes on. If it stops instead (SIGSTOP, a deadlock) while
/// it holds granted slots, the server kills it once its grant lease runs out (30 s by default),
/// so keep slow work out of a ``reserve(_:_:)`` closure. Use one client from one thread.
public final class ShmClient {
    public let schema: Schema
    public let path: String
    /// Times this client slept waiting for the server (for grants or acknowledgements).
    public private(set) var sleeps: UInt64 = 0
    private var socket: BlockingSocket?
    private let ring: SharedMapping
    private let layout: RingLayout
    let lane: ProducerLane
    private let doorbell: Int32
    private let options: ClientOptions
    private var requested: UInt64 = 0
    private var committed: UInt64 = 0
    private var grantsTaken: UInt64 = 0
    /// The grant being filled: its first slot's sequence number, its size, how much is used.
    private var grant = (first: UInt64(0), count: 0, used: 0)

    /// Connects to the learner's socket at `path` and completes the v2 handshake (the schema
    /// is checked; `secret` when the server wants one); then maps the ring.
    public init(path: String, schema: Schema, secret: [UInt8]? = nil, options: ClientOptions = ClientOptions())
        throws(ClientError)
    {
        let socket: BlockingSocket
        do {
            socket = try BlockingSocket.connect(unixPath: path, timeout: options.connectTimeout)
        } catch {
            throw .connectFailed("\(path): \(error)")
        }
        _ = try ChorusHandshake.perform(on: socket, schema: schema, secret: secret, sessionID: .random(), lowestUnacked: 0,
                                        table: nil, timeout: options.connectTimeout)
        let (offer, descriptors) = try Self.receiveOffer(on: socket, timeout: options.connectTimeout)
        let layout = RingLayout(schema: schema, batchSize: Int(clamping: offer.batchSize), numBuffers: Int(clamping: offer.numBuffers))
        // Each mapping takes its descriptor (closing it on failure); the rest are closed here.
        let mismatch = ClientError.protocolViolation("the server's shared memory does not match its offer")
        guard offer.batchSize >= 1, offer.numBuffers >= 2, offer.ringBytes == UInt64(layout.byteCount),
              offer.laneBytes >= UInt64(ProducerLane.byteCount)
        else {
            descriptors.forEach { Glibc.close($0) }
            throw mismatch
        }
        guard let ring = SharedMapping.map(fd: descriptors[0], byteCount: layout.byteCount) else {
            descriptors.dropFirst().forEach { Glibc.close($0) }
            throw mismatch
        }
        guard let laneMemory = SharedMapping.map(fd: descriptors[1], byteCount: ProducerLane.byteCount) else {
            Glibc.close(descriptors[2])
            throw mismatch
        }
        self.schema = schema
        self.path = path
        self.socket = socket
        self.ring = ring
        self.layout = layout
        lane = ProducerLane(mapping: laneMemory)
        doorbell = descriptors[2]
        self.options = options
    }

    deinit {
        close()
        if doorbell >= 0 { Glibc.close(doorbell) }
    }

    private static func receiveOffer(on socket: BlockingSocket, timeout: Duration) throws(ClientError)
        -> (SharedMemoryOffer, [Int32])
    {
        var bytes = [UInt8](repeating: 0, count: SharedMemoryOffer.encodedSize)
        do {
            let (count, descriptors) = try bytes.withUnsafeMutableBytes { (buffer) throws(BlockingSocket.Failure) in
                try socket.receiveWithDescriptors(into: buffer, timeout: timeout)
            }
            guard descriptors.count == SharedMemoryOffer.descriptorCount else {
                descriptors.forEach { Glibc.close($0) }
                throw ClientError.protocolViolation("the offer came with \(descriptors.count) descriptors, not 3")
            }
            var received = count
            while received < bytes.count {
                received += try bytes.withUnsafeMutableBytes { (buffer) throws(BlockingSocket.Failure) in
                    try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[received...]), timeout: timeout)
                }
            }
            guard case .complete(let offer, _) = SharedMemoryOffer.decode(bytes[...]) else {
                descriptors.forEach { Glibc.close($0) }
                throw ClientError.protocolViolation("no shared-memory offer after the verdict")
            }
            return (offer, descriptors)
        } catch let error as ClientError {
            throw error
        } catch {
            throw .connectFailed("receiving the shared memory: \(error)")
        }
    }

    // MARK: Sending

    /// Reserves `count` slots of the learner's ring and lets `fill` write them in place,
    /// possibly in several pieces (a reservation never crosses a batch): each call gets the
    /// next consecutive samples, and they are committed when it returns. Waits for room while
    /// the ring is full. If `fill` throws, the samples not yet committed are completed as
    /// invalid by the server and the client closes.
    public func reserve(_ count: Int, _ fill: (ShmSlots) throws -> Void) throws {
        guard count >= 1 else { throw ClientError.invalidArgument("reserve at least one sample") }
        guard socket != nil else { throw ClientError.closed }
        requested += UInt64(count)
        lane[word: .requested].store(requested, ordering: .sequentiallyConsistent)
        ringDoorbellIfPumpSleeps()
        var done = 0
        while done < count {
            if grant.used == grant.count { try takeGrant() }
            let piece = min(grant.count - grant.used, count - done)
            let firstSlot = Int((grant.first + UInt64(grant.used)) % UInt64(layout.capacity))
            do {
                try fill(ShmSlots(layout: layout, base: ring.base, firstSlot: firstSlot, count: piece, offset: done))
            } catch {
                close()
                throw error
            }
            grant.used += piece
            done += piece
            committed += UInt64(piece)
            lane[word: .committed].store(committed, ordering: .sequentiallyConsistent)
            ringDoorbellIfPumpSleeps()
        }
    }

    /// Sends packed samples (each `schema.sampleSize` bytes, leaves in flatten order): one copy,
    /// into the ring.
    public func send(packed bytes: UnsafeRawBufferPointer) throws {
        let sampleSize = schema.sampleSize
        guard bytes.count > 0, bytes.count % sampleSize == 0 else {
            throw ClientError.wrongSampleSize(sampleSize: sampleSize, given: bytes.count)
        }
        try reserve(bytes.count / sampleSize) { slots in
            slots.copy(packed: UnsafeRawBufferPointer(rebasing: bytes[slots.offset * sampleSize..<(slots.offset + slots.count) * sampleSize]))
        }
    }

    /// Sends one sample.
    public func send(_ sample: Sample) throws {
        guard sample.schema == schema else { throw ClientError.schemaMismatch(expected: schema, given: sample.schema) }
        try sample.withUnsafeBytes { try send(packed: $0) }
    }

    /// Blocks until the server has taken every committed sample into the ring, at most
    /// `timeout` (`ClientOptions.ackTimeout`, else forever, when nil).
    public func wait(timeout: Duration? = nil) throws(ClientError) {
        let deadline = (timeout ?? options.ackTimeout).map { ContinuousClock.now + $0 }
        try sleep(until: deadline, unacked: { Int(committed - lane[word: .acknowledged].load(ordering: .sequentiallyConsistent)) }) {
            lane[word: .acknowledged].load(ordering: .sequentiallyConsistent) >= committed
        }
    }

    /// Leaves: the server completes any granted slot not committed as invalid.
    public func close() {
        socket?.close()
        socket = nil
    }

    // MARK: Waiting for the server

    private func takeGrant() throws(ClientError) {
        try sleep(until: nil, unacked: { 0 }) { lane[word: .grants].load(ordering: .sequentiallyConsistent) > grantsTaken }
        let (first, count) = lane.grant(grantsTaken)
        let slot = Int(first % UInt64(layout.capacity))
        guard count >= 1, count <= requested - committed, layout.isWithinOneBatch(firstSlot: slot, count: Int(count)) else {
            close()
            throw .protocolViolation("grant \(grantsTaken) of \(count) slots at \(first) cannot be right")
        }
        grantsTaken += 1
        grant = (first, Int(count), 0)
    }

    /// Sleeps on the lane's futex until `ready`, checking every 100 ms that the server is still
    /// there (its end of the socket closes when it stops or dies).
    private func sleep(until deadline: ContinuousClock.Instant?, unacked: () -> Int, _ ready: () -> Bool) throws(ClientError) {
        while !ready() {
            guard let socket else { throw .closed }
            if let deadline, ContinuousClock.now >= deadline { throw .timedOut(unacked: unacked()) }
            var hangup = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            if poll(&hangup, 1, 0) > 0 {
                close()
                throw .connectionLost("the server closed the shared-memory connection", unacked: unacked())
            }
            let seen = lane[flag: .signal].load(ordering: .sequentiallyConsistent)
            lane[flag: .producerSleeping].store(1, ordering: .sequentiallyConsistent)
            if !ready() {
                sleeps += 1
                lane.sleep(onSignalSeen: seen, nanoseconds: 100_000_000)
            }
            lane[flag: .producerSleeping].store(0, ordering: .sequentiallyConsistent)
        }
    }

    private func ringDoorbellIfPumpSleeps() {
        guard lane[flag: .pumpAsleep].exchange(0, ordering: .sequentiallyConsistent) != 0 else { return }
        var one: UInt64 = 1
        _ = write(doorbell, &one, 8)
    }
}

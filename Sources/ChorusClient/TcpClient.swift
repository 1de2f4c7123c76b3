import ChorusCore

/// Streams samples to a Chorus server (or any id-echo v1 server) over TCP.
///
/// ```swift
/// let client = try TcpClient(host: "127.0.0.1", port: 50051, schema: schema, protocol: .chorus)
/// try client.send(sample)          // blocks only while `window` samples are unacked
/// try client.wait()                // every sample sent so far is in the server's ring
/// client.close()
/// ```
///
/// At most `window` samples are in flight unacked. v1 sends straight from the caller's memory.
/// v2 keeps a copy of each unacked sample, and when the connection breaks it reconnects,
/// learns from the server where the session stands and sends the rest again: while the server
/// process lives, every sample lands in its ring exactly once. Use one client from one thread.
///
/// With ``ClientOptions/sendBuffer`` set, small samples are gathered (in those copies, which
/// v1 then keeps too) and written together: one system call for many `send`s.
///
/// A v2 client may name one of the server's replay tables: its samples go there, each with a
/// priority (``send(_:priority:)``).
public final class TcpClient {
    public let schema: Schema
    public let wireProtocol: WireProtocol
    /// The replay table the samples go to; nil: the server's default (its ring, usually).
    public let table: String?
    /// The most samples unacked at once.
    public let window: Int
    /// Bytes per sample on the wire: the sample, after its priority when writing a table.
    private let recordSize: Int
    private let host: String
    private let port: Int
    private let secret: [UInt8]?
    private var options: ClientOptions
    private var socket: BlockingSocket?
    private var ackBytes = [UInt8](repeating: 0, count: 4096)
    /// Bytes of a v2 ack received so far (acks may arrive split).
    private var partialAck: [UInt8] = []

    /// The sequence number of the next new sample (v1 counts samples the same way).
    private var nextSequence: UInt64 = 0
    /// Every sample below this is acked.
    private var ackedBelow: UInt64 = 0
    private let sessionID: SessionID
    /// True until the first verdict for a client that continues a session it did not begin: that
    /// verdict says where the session stands, and this client's numbering starts there.
    private var continuesSession: Bool
    private var retained: RetainedSamples?
    /// Every sample below this has been written to the socket; the rest, up to `nextSequence`,
    /// wait in `retained` for a flush.
    private var writtenBelow: UInt64 = 0

    /// Samples sent and not yet acked.
    public var unacked: Int { Int(nextSequence - ackedBelow) }

    /// Where the session stood when this client connected: the samples of it the server had
    /// already committed. 0 for a new session; for a process that continues the session of one
    /// that died (``init(host:port:schema:protocol:window:secret:table:session:options:)``), the
    /// samples the dead one delivered, so it can carry on from the next.
    public private(set) var sessionStart: UInt64 = 0

    /// Samples this client has taken so far (sent, or gathered to send): after a failed call,
    /// how many of its samples the client took before it failed.
    package var samplesTaken: UInt64 { nextSequence }

    /// Connects and completes the handshake. `window` defaults to as many samples as fit in
    /// 16 MiB (at most 1,024); `secret` is for v2 servers that require authentication; `table`
    /// (v2 only) names the replay table to write. `session` (v2 only) continues a session that
    /// another client began, e.g. a restarted process's: the server's count of what it committed
    /// is ``sessionStart``, and new samples are numbered from there (nil: a new random session).
    public init(host: String, port: Int, schema: Schema, protocol wireProtocol: WireProtocol = .chorus,
                window: Int? = nil, secret: [UInt8]? = nil, table: String? = nil, session: SessionID? = nil,
                options: ClientOptions = ClientOptions()) throws(ClientError)
    {
        guard session == nil || wireProtocol == .chorus else {
            throw .invalidArgument("only the chorus protocol (v2) has sessions to continue")
        }
        if let table {
            guard wireProtocol == .chorus else { throw .invalidArgument("only the chorus protocol (v2) can name a table") }
            guard (1...ChorusWire.maximumTableName).contains(table.utf8.count) else {
                throw .invalidArgument("a table name must be 1 to \(ChorusWire.maximumTableName) bytes")
            }
        }
        self.host = host
        self.port = port
        self.schema = schema
        self.wireProtocol = wireProtocol
        self.table = table
        recordSize = schema.sampleSize + (table == nil ? 0 : ChorusWire.priorityPrefixSize)
        self.window = max(1, window ?? min(1024, max(1, 16 * 1024 * 1024 / recordSize)))
        self.secret = secret
        self.options = options
        sessionID = session ?? .random()
        continuesSession = session != nil
        if wireProtocol == .chorus || options.sendBuffer > 0 {
            retained = RetainedSamples(capacity: self.window, sampleSize: recordSize)
        }
        try connect()
    }

    deinit {
        close()
    }

    // MARK: Sending

    /// Sends one sample; `priority` is its priority in the client's table (only with one).
    public func send(_ sample: Sample, priority: Double = 1) throws(ClientError) {
        guard sample.schema == schema else { throw .schemaMismatch(expected: schema, given: sample.schema) }
        try sample.withUnsafeBytes { (bytes) throws(ClientError) in try send(packed: bytes, priorities: [priority]) }
    }

    /// Sends many samples, gathering them into as few system calls as the window allows.
    public func send(contentsOf samples: [Sample]) throws(ClientError) {
        for sample in samples where sample.schema != schema {
            throw .schemaMismatch(expected: schema, given: sample.schema)
        }
        if table != nil {
            for sample in samples { try send(sample) }
            return
        }
        var start = 0
        while start < samples.count {
            try waitForWindowSpace()
            let count = min(samples.count - start, window - unacked, 64)
            try sendGathered(samples[start..<start + count])
            start += count
        }
    }

    /// Sends packed samples: each `schema.sampleSize` bytes, leaves in flatten order. With a
    /// table, `priorities` holds one priority per sample, or one for all.
    public func send(packed bytes: UnsafeRawBufferPointer, priorities: [Double] = [1]) throws(ClientError) {
        let sampleSize = schema.sampleSize
        let total = bytes.count / sampleSize
        guard total > 0, total * sampleSize == bytes.count else {
            throw .wrongSampleSize(sampleSize: sampleSize, given: bytes.count)
        }
        if table != nil { return try sendRecords(bytes, count: total, priorities: priorities) }
        guard priorities == [1] else { throw .invalidArgument("priorities need a table: connect with `table:`") }
        var sent = 0
        while sent < total {
            try waitForWindowSpace()
            let count = min(total - sent, window - unacked)
            try transmitPieces([UnsafeRawBufferPointer(rebasing: bytes[sent * sampleSize..<(sent + count) * sampleSize])])
            sent += count
        }
    }

    /// Sends `count` packed samples to the client's table, each after its priority (v2's
    /// layout), a window's worth at a time.
    private func sendRecords(_ bytes: UnsafeRawBufferPointer, count total: Int, priorities: [Double]) throws(ClientError) {
        guard priorities.count == 1 || priorities.count == total else {
            throw .invalidArgument("\(priorities.count) priorities for \(total) samples")
        }
        if let bad = priorities.first(where: { !$0.isFinite || $0 < 0 }) {
            throw .invalidArgument("a priority must be finite and at least 0, not \(bad)")
        }
        let sampleSize = schema.sampleSize
        var sent = 0
        while sent < total {
            try waitForWindowSpace()
            let count = min(total - sent, window - unacked)
            // A table client speaks v2, so it keeps copies: the records are built right there.
            retained!.store(samples: UnsafeRawBufferPointer(rebasing: bytes[sent * sampleSize..<(sent + count) * sampleSize]),
                            priority: { [sent] in priorities.count == 1 ? priorities[0] : priorities[sent + $0] },
                            first: nextSequence)
            try sendStored(count)
            sent += count
        }
    }

    /// Blocks until every sample sent so far is acked (for v2 and Chorus servers: committed to
    /// the ring).
    public func wait() throws(ClientError) {
        try flush()
        while unacked > 0 { try readAcks(blocking: true) }
    }

    /// `wait()` that gives up after `timeout` with ``ClientError/timedOut(unacked:)``; the
    /// samples stay in flight and a later `wait` goes on waiting for them.
    public func wait(timeout: Duration) throws(ClientError) {
        let deadline = ContinuousClock.now + timeout
        try flush()
        while unacked > 0 {
            try readAcks(blocking: true, timeout: min(options.ackTimeout ?? timeout, max(deadline - .now, .zero)))
        }
    }

    /// Changes ``ClientOptions/sendBuffer``, after writing what is gathered.
    public func setSendBuffer(_ bytes: Int) throws(ClientError) {
        guard bytes >= 0 else { throw .invalidArgument("a send buffer cannot be \(bytes) bytes") }
        try flush()
        options.sendBuffer = bytes
        if retained == nil && bytes > 0 { retained = RetainedSamples(capacity: window, sampleSize: recordSize) }
    }

    /// Writes the samples gathered under ``ClientOptions/sendBuffer`` (nothing without one).
    public func flush() throws(ClientError) {
        do {
            try writeGathered()
        } catch {
            try recover(from: error)
        }
    }

    /// Closes the connection, after writing what is gathered (without waiting for it or retrying).
    /// Samples not yet acked may be lost; call `wait()` first to be sure.
    public func close() {
        try? writeGathered()
        socket?.close()
        socket = nil
    }

    /// Writes the samples waiting in `retained` (`writtenBelow..<nextSequence`) to the socket.
    private func writeGathered() throws(BlockingSocket.Failure) {
        guard let retained, writtenBelow < nextSequence else { return }
        try retained.withSamples(first: writtenBelow, count: Int(nextSequence - writtenBelow)) {
            (copies) throws(BlockingSocket.Failure) in try liveSocket().send(copies)
        }
        writtenBelow = nextSequence
    }

    /// Copies of the samples sent and not acknowledged, oldest first (v2 keeps them, as records
    /// with their priority when writing a table): what a ``ShardedClient`` sends again through
    /// the other shards when this one's server is gone.
    package func unackedRecords() -> [[UInt8]] {
        guard let retained, unacked > 0 else { return [] }
        return retained.withSamples(first: ackedBelow, count: unacked) { pieces in
            pieces.flatMap { piece in
                stride(from: 0, to: piece.count, by: recordSize).map { Array(piece[$0 ..< $0 + recordSize]) }
            }
        }
    }

    /// Breaks the connection as a network fault would (tests of resume use this).
    func breakConnection() {
        socket?.shutdownBoth()
    }

    /// Sends `count` samples gathered from separate `Sample`s, without copying them for v1:
    /// each level of the recursion lends one sample's bytes.
    private func sendGathered(_ samples: ArraySlice<Sample>, lent: [UnsafeRawBufferPointer] = []) throws(ClientError) {
        guard let first = samples.first else {
            return try transmitPieces(lent)
        }
        try first.withUnsafeBytes { (bytes) throws(ClientError) in
            try sendGathered(samples.dropFirst(), lent: lent + [bytes])
        }
    }

    /// Sends samples that fit in the window. With copies (v2, or a send buffer) it stores them
    /// and writes what waits once the buffer is full; otherwise it writes the caller's bytes.
    private func transmitPieces(_ pieces: [UnsafeRawBufferPointer]) throws(ClientError) {
        let count = pieces.reduce(0) { $0 + $1.count } / recordSize
        guard retained == nil else {
            var offset = nextSequence
            for piece in pieces {
                retained!.store(piece, first: offset)
                offset += UInt64(piece.count / recordSize)
            }
            return try sendStored(count)
        }
        nextSequence += UInt64(count)
        do {
            try liveSocket().send(pieces)
        } catch {
            try recover(from: error)
        }
        writtenBelow = nextSequence
        try drainAcks()
    }

    /// Counts the `count` samples just stored in `retained` as sent, and writes what is gathered
    /// once it fills the send buffer.
    private func sendStored(_ count: Int) throws(ClientError) {
        nextSequence += UInt64(count)
        if Int(nextSequence - writtenBelow) * recordSize >= options.sendBuffer { try flush() }
        try drainAcks()
    }

    /// Reads the acks that came, once many written samples are unacked (only written samples
    /// can be acked: gathered ones cost no system call here).
    private func drainAcks() throws(ClientError) {
        if Int(writtenBelow - ackedBelow) > window / 2 { try readAcks(blocking: false) }
    }

    // MARK: Acks

    /// Reads acks until at least one more sample fits in the window (writing what is gathered
    /// first: the server cannot ack what it has not received).
    private func waitForWindowSpace() throws(ClientError) {
        if unacked >= window { try flush() }
        while unacked >= window { try readAcks(blocking: true) }
    }

    /// Reads the acks that are waiting (or, when `blocking`, at least one byte of them).
    private func readAcks(blocking: Bool, timeout: Duration? = nil) throws(ClientError) {
        let count: Int?
        do throws(BlockingSocket.Failure) {
            let socket = try liveSocket()
            count = try ackBytes.withMutableBytes { (buffer) throws(BlockingSocket.Failure) -> Int? in
                blocking ? try socket.receive(into: buffer, timeout: timeout ?? options.ackTimeout)
                         : try socket.receiveAvailable(into: buffer)
            }
        } catch .timedOut {
            throw .timedOut(unacked: unacked)
        } catch {
            return try recover(from: error)
        }
        if let count { try consumeAcks(ackBytes[..<count]) }
    }

    private func consumeAcks(_ bytes: ArraySlice<UInt8>) throws(ClientError) {
        switch wireProtocol {
        case .echo:
            guard bytes.allSatisfy({ $0 == EchoWire.ack }) else {
                throw .protocolViolation("an echo ack byte other than 0x01")
            }
            guard UInt64(bytes.count) <= nextSequence - ackedBelow else {
                throw .protocolViolation("more acks than samples sent")
            }
            ackedBelow += UInt64(bytes.count)
        case .chorus:
            partialAck += bytes
            while partialAck.count >= 8 {
                var reader = WireReader(partialAck[..<8])
                let acked = reader.read(UInt64.self)!
                partialAck.removeFirst(8)
                guard acked >= ackedBelow, acked <= nextSequence else {
                    throw .protocolViolation("ack \(acked) outside \(ackedBelow)…\(nextSequence)")
                }
                ackedBelow = acked
            }
        }
    }

    // MARK: Connecting and resuming

    private func liveSocket() throws(BlockingSocket.Failure) -> BlockingSocket {
        guard let socket else { throw .closed }
        return socket
    }

    /// After a socket failure: v2 reconnects, resumes and resends; v1 reports the loss.
    private func recover(from failure: BlockingSocket.Failure) throws(ClientError) {
        guard socket != nil else { throw .closed }
        let reason = failure == .closed ? "closed by the peer" : "\(failure)"
        guard wireProtocol == .chorus else {
            close()
            throw .connectionLost(reason, unacked: unacked)
        }
        var delay = options.reconnectDelay
        for _ in 0..<options.reconnectAttempts {
            socket?.close()
            do {
                try connect()
                try resend()
                return
            } catch .refused(let status, let why) {
                throw .refused(status: status, reason: why)
            } catch {
                sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
        close()
        throw .connectionLost("\(reason); \(options.reconnectAttempts) reconnects failed", unacked: unacked)
    }

    /// Sends the retained samples the server has not committed (after a resume).
    private func resend() throws(ClientError) {
        guard let retained, unacked > 0 else { return }
        do {
            try retained.withSamples(first: ackedBelow, count: unacked) { (copies) throws(BlockingSocket.Failure) in
                try liveSocket().send(copies)
            }
            writtenBelow = nextSequence
        } catch {
            throw .connectionLost("\(error) while resending", unacked: unacked)
        }
    }

    private func connect() throws(ClientError) {
        let socket: BlockingSocket
        do {
            socket = try BlockingSocket.connect(host: host, port: port, timeout: options.connectTimeout)
        } catch .unresolved(let error) {
            throw .unresolvedHost(host, reason: error.reason)
        } catch {
            throw .connectFailed("\(host):\(port): \(error)")
        }
        self.socket = socket
        partialAck = []
        switch wireProtocol {
        case .echo: try echoHandshake(socket)
        case .chorus: try chorusHandshake(socket)
        }
    }

    private func echoHandshake(_ socket: BlockingSocket) throws(ClientError) {
        let records = try closingOnRefusal { () throws(ClientError) in
            try ChorusHandshake.readMessage(from: socket, until: .now + options.connectTimeout, EchoWire.decodeHandshake)
        }
        if let reason = EchoWire.mismatchReason(server: records, client: schema) {
            close()
            throw .refused(status: nil, reason: reason)
        }
    }

    private func chorusHandshake(_ socket: BlockingSocket) throws(ClientError) {
        let verdict = try closingOnRefusal { () throws(ClientError) in
            try ChorusHandshake.perform(on: socket, schema: schema, secret: secret, sessionID: sessionID,
                                        lowestUnacked: ackedBelow, table: table, timeout: options.connectTimeout)
        }
        if continuesSession {
            continuesSession = false
            sessionStart = verdict.nextSequence
            (nextSequence, writtenBelow, ackedBelow) = (sessionStart, sessionStart, sessionStart)
            return
        }
        guard verdict.nextSequence >= ackedBelow, verdict.nextSequence <= nextSequence else {
            close()
            throw .protocolViolation("resume at \(verdict.nextSequence), but unacked samples are \(ackedBelow)…\(nextSequence)")
        }
        ackedBelow = verdict.nextSequence
    }

    /// Runs a handshake step; a refusal or a protocol violation closes the client (other
    /// failures leave reconnecting to ``recover(from:)``).
    private func closingOnRefusal<T>(_ step: () throws(ClientError) -> T) throws(ClientError) -> T {
        do {
            return try step()
        } catch {
            switch error {
            case .refused, .protocolViolation: close()
            default: break
            }
            throw error
        }
    }
}

func sleep(for duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    nanosleep(&time, nil)
}

#if canImport(Glibc)
import Glibc
#endif

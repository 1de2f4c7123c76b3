import ChorusCore

/// Spreads one worker's samples over the servers of data-parallel learners (each learner its
/// own server and ring), through one v2 ``TcpClient`` per shard, each with its usual guarantees.
///
/// ```swift
/// let client = try ShardedClient(shards: [.init(host: "10.0.0.1", port: 7000), .init(host: "10.0.0.2", port: 7000)],
///                                schema: schema, secret: secret)
/// try client.send(sample)                  // round-robin over the shards that are up
/// try client.send(step, key: episode)      // always the shard `key % shards.count`
/// try client.wait()                        // everything sent is in some learner's ring
/// ```
///
/// Routing, and what happens when a server is down:
/// - ``send(_:)`` goes round-robin over the shards that are up. A shard whose connection fails
///   (its client's own reconnects and resumes failed too) is skipped and tried again after a
///   back-off that doubles from `retryDelay` up to `maximumRetryDelay`; the samples it had not
///   acknowledged are sent again through the other shards. So nothing acknowledged is lost, and
///   nothing sent is lost while one shard lives; a sample the failed server received but never
///   acknowledged can arrive twice (once on each shard), never twice on one.
/// - ``send(_:key:)`` always goes to shard `key % shards.count`, so one key (an episode, an
///   environment) reaches one learner in order. While that shard is down the call waits for it,
///   retrying with the same back-off, at most `timeout`. (Samples the shard had taken and not
///   acknowledged when it failed go to the other shards with the rest of its unacknowledged
///   ones: not lost, but not on their key's shard.)
///
/// Samples go to the servers' rings (no replay table). Use one client from one thread.
public final class ShardedClient {
    /// One server's address.
    public struct Shard: Hashable, Sendable {
        public let host: String
        public let port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let shards: [Shard]
    public let schema: Schema
    /// The longest a call waits for a shard to come back.
    public let timeout: Duration
    private let retryDelay: Duration
    private let maximumRetryDelay: Duration
    private let makeClient: (Shard) throws(ClientError) -> TcpClient
    private var states: [ShardState]
    /// Where the next round-robin send starts looking.
    private var cursor = 0
    private var closed = false

    /// A shard's client while it is up; when it is down, when to try it again.
    private struct ShardState {
        var client: TcpClient?
        var retryAt: ContinuousClock.Instant
        var backOff: Duration
        var sent = 0
    }

    /// Connects to every shard; a shard that cannot be reached now starts down (tried again
    /// later), but at least one must be; a shard that refuses (schema, secret) throws. `window`, `secret` and `options` are each shard's
    /// ``TcpClient``'s.
    public init(shards: [Shard], schema: Schema, window: Int? = nil, secret: [UInt8]? = nil,
                options: ClientOptions = ClientOptions(), retryDelay: Duration = .milliseconds(100),
                maximumRetryDelay: Duration = .seconds(5), timeout: Duration = .seconds(30)) throws(ClientError)
    {
        guard !shards.isEmpty else { throw .invalidArgument("a sharded client needs at least one shard") }
        guard retryDelay > .zero, maximumRetryDelay >= retryDelay, timeout >= .zero else {
            throw .invalidArgument("retryDelay must be positive and at most maximumRetryDelay, timeout not negative")
        }
        self.shards = shards
        self.schema = schema
        self.timeout = timeout
        self.retryDelay = retryDelay
        self.maximumRetryDelay = maximumRetryDelay
        makeClient = { (shard) throws(ClientError) in
            try TcpClient(host: shard.host, port: shard.port, schema: schema, protocol: .chorus, window: window,
                          secret: secret, options: options)
        }
        let now = ContinuousClock.now
        states = Array(repeating: ShardState(retryAt: now, backOff: retryDelay), count: shards.count)
        var failures: [String] = []
        for index in shards.indices {
            if try client(index) == nil { failures.append("\(shards[index].host):\(shards[index].port)") }
        }
        guard failures.count < shards.count else {
            throw .connectFailed("no shard could be reached (\(failures.joined(separator: ", ")))")
        }
    }

    deinit {
        close()
    }

    /// Whether each shard is up now (connected), in `shards` order.
    public var shardsUp: [Bool] { states.map { $0.client != nil } }

    /// Samples handed to each shard so far (those sent again after a failure count again).
    public var samplesSent: [Int] { states.map(\.sent) }

    /// Sends `sample` to the next shard that is up (see the type's notes).
    public func send(_ sample: Sample) throws(ClientError) {
        guard sample.schema == schema else { throw .schemaMismatch(expected: schema, given: sample.schema) }
        try sample.withUnsafeBytes { (bytes) throws(ClientError) in try send(packed: bytes) }
    }

    /// Sends `sample` to shard `key % shards.count`, waiting (at most `timeout`) while it is down.
    public func send(_ sample: Sample, key: UInt64) throws(ClientError) {
        guard sample.schema == schema else { throw .schemaMismatch(expected: schema, given: sample.schema) }
        try sample.withUnsafeBytes { (bytes) throws(ClientError) in try send(packed: bytes, key: key) }
    }

    /// Sends packed samples (each `schema.sampleSize` bytes, leaves in flatten order)
    /// round-robin: one call's samples in as many consecutive runs as there are shards (one
    /// sample each when there are fewer), each run to the next shard that is up.
    public func send(packed bytes: UnsafeRawBufferPointer) throws(ClientError) {
        let (size, count) = (schema.sampleSize, try sampleCount(in: bytes))
        let runs = min(count, shards.count)
        var start = 0
        for run in 0..<runs {
            let length = (count - start) / (runs - run)
            try sendRoundRobin(UnsafeRawBufferPointer(rebasing: bytes[start * size ..< (start + length) * size]))
            start += length
        }
    }

    /// Sends packed samples, all to shard `key % shards.count` (waiting, at most `timeout`,
    /// while it is down).
    public func send(packed bytes: UnsafeRawBufferPointer, key: UInt64) throws(ClientError) {
        let index = Int(key % UInt64(shards.count))
        let deadline = ContinuousClock.now + timeout
        var remaining = try sampleCount(in: bytes)
        while remaining > 0 {
            if let client = try client(index) {
                // What a failing shard did not take waits for it to come back.
                remaining -= try offer(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - remaining * schema.sampleSize)...]),
                                       to: index, client)
                continue
            }
            try sleepUntilRetry(of: [index], deadline: deadline)
        }
    }

    /// How many samples `bytes` holds; throws unless it holds whole samples (or the client is closed).
    private func sampleCount(in bytes: UnsafeRawBufferPointer) throws(ClientError) -> Int {
        guard !closed else { throw .closed }
        let size = schema.sampleSize
        guard !bytes.isEmpty, bytes.count % size == 0 else { throw .wrongSampleSize(sampleSize: size, given: bytes.count) }
        return bytes.count / size
    }

    /// Waits until every sample sent is acknowledged by some shard (samples of a shard that
    /// fails meanwhile are sent again through the others, and waited for too); at most
    /// `timeout` when given (then ``ClientError/timedOut(unacked:)``).
    public func wait(timeout: Duration? = nil) throws(ClientError) {
        guard !closed else { throw .closed }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var settled = false
        while !settled {
            settled = true
            for index in shards.indices {
                guard let client = states[index].client else { continue }
                do throws(ClientError) {
                    if let deadline { try client.wait(timeout: max(.zero, deadline - .now)) } else { try client.wait() }
                } catch {
                    if case .timedOut = error, let deadline, ContinuousClock.now >= deadline {
                        throw .timedOut(unacked: unacked)
                    }
                    try shardFailed(index, error)
                    settled = false
                }
            }
        }
    }

    /// Samples sent and not yet acknowledged, over the shards that are up.
    public var unacked: Int { states.reduce(0) { $0 + ($1.client?.unacked ?? 0) } }

    /// Closes every shard's connection (see ``TcpClient/close()``; call ``wait()`` first).
    public func close() {
        closed = true
        for index in states.indices {
            states[index].client?.close()
            states[index].client = nil
        }
    }

    // MARK: Shards up and down

    /// Shard `index`'s client: its live one, or a new one if its retry time has come and the
    /// server answers; nil while it is down.
    /// Throws what is not a server being down (a refusal: wrong schema or secret).
    private func client(_ index: Int) throws(ClientError) -> TcpClient? {
        if let client = states[index].client { return client }
        guard !closed else { return nil }
        guard ContinuousClock.now >= states[index].retryAt else { return nil }
        do throws(ClientError) {
            let client = try makeClient(shards[index])
            states[index].client = client
            states[index].backOff = retryDelay
            return client
        } catch {
            guard Self.meansDown(error) else { throw error }
            markDown(index)
            return nil
        }
    }

    /// Whether `error` says the server is gone or unreachable for now (a name that does not
    /// resolve yet included, as while a learner's pod starts), rather than that it refuses us.
    private static func meansDown(_ error: ClientError) -> Bool {
        switch error {
        case .connectionLost, .connectFailed, .timedOut, .closed, .unresolvedHost: true
        default: false
        }
    }

    /// Takes shard `index` down after `error` (rethrown unless it says the server is gone) and
    /// sends what it had not acknowledged through the others.
    private func shardFailed(_ index: Int, _ error: ClientError) throws(ClientError) {
        guard Self.meansDown(error) else { throw error }
        let orphans = states[index].client?.unackedRecords() ?? []
        states[index].client?.close()
        states[index].client = nil
        markDown(index)
        for record in orphans {
            try record.withUnsafeBytes { bytes in
                Result { () throws(ClientError) in try sendRoundRobin(bytes) }
            }.get()
        }
    }

    private func markDown(_ index: Int) {
        states[index].retryAt = ContinuousClock.now + states[index].backOff
        states[index].backOff = min(states[index].backOff * 2, maximumRetryDelay)
    }

    /// Sends `bytes` through shard `index`'s `client`; returns how many samples it took: all,
    /// unless the shard failed, then those it took before (acked, or sent on through the other
    /// shards with the rest of its unacked samples).
    private func offer(_ bytes: UnsafeRawBufferPointer, to index: Int, _ client: TcpClient) throws(ClientError) -> Int {
        let before = client.samplesTaken
        do throws(ClientError) {
            try client.send(packed: bytes)
        } catch {
            try shardFailed(index, error)
        }
        let taken = Int(client.samplesTaken - before)
        states[index].sent += taken
        return taken
    }

    /// Packed samples to the next shard that is up, from `cursor` on; what a failing shard did
    /// not take goes on to the next.
    private func sendRoundRobin(_ bytes: UnsafeRawBufferPointer) throws(ClientError) {
        let deadline = ContinuousClock.now + timeout
        var rest = bytes
        while !rest.isEmpty {
            var progressed = false
            for offset in shards.indices where !progressed {
                let index = (cursor + offset) % shards.count
                guard let client = try client(index) else { continue }
                let taken = try offer(rest, to: index, client)
                rest = UnsafeRawBufferPointer(rebasing: rest[(taken * schema.sampleSize)...])
                if taken > 0 {
                    cursor = index + 1
                    progressed = true
                }
            }
            if !rest.isEmpty && !progressed { try sleepUntilRetry(of: Array(shards.indices), deadline: deadline) }
        }
    }

    /// Sleeps until the first of `indices` may be tried again; throws if that is past `deadline`.
    private func sleepUntilRetry(of indices: [Int], deadline: ContinuousClock.Instant) throws(ClientError) {
        let next = indices.map { states[$0].retryAt }.min()!
        guard next <= deadline else {
            throw .connectFailed("no shard came back within \(timeout) (\(indices.map { "\(shards[$0].host):\(shards[$0].port)" }.joined(separator: ", ")))")
        }
        let now = ContinuousClock.now
        if next > now { sleep(for: next - now) }
    }
}

import ChorusCore
import CoreMetrics
import Logging

/// The learner's end: owns the schema and the ring, takes samples from producers and hands the
/// learner full batches as zero-copy views.
///
/// ```swift
/// let server = try Server(schema: schema, batchSize: 32)
/// // producers, on any threads:
/// try server.submit(sample)
/// // the learner:
/// for batch in server.batches() {
///     let obs = try batch["obs", as: Float.self]   // shape (32, 4)
/// }
/// ```
///
/// Rollout workers connect over TCP once the server listens (``listen(_:options:)``): id-echo's
/// wire v1 and Chorus wire v2, each on its own port, both feeding the same ring.
///
/// One consumer at a time: `next()`, `withNextBatch`, and iterating `batches()` all take from
/// the same sequence of batches. Producers may be on any number of threads.
///
/// Beside the ring, a server may hold replay tables (``ReplayTable``) for off-policy learners:
/// v2 clients name a table in their hello, v1 clients write `defaultTable` when one is set, and
/// the learner samples with ``sample(from:batchSize:timeout:)``.
public final class Server: Sendable {
    public let schema: Schema
    public let batchSize: Int
    public let numBuffers: Int
    let ring: Ring
    let replayTables: ReplayTables
    private let metricsPublisher: ServerMetricsPublisher
    /// Where connections, refusals and shutdown are logged (nothing per sample).
    public let logger: Logger
    /// Lock order: outermost. Held while a transport starts (no other lock is taken then: the
    /// loops register with the ring from their own threads) and while its counters are read
    /// (their leaf locks).
    private let transport = Locked<TransportState>(.notListening)

    private enum TransportState {
        case notListening
        case listening(Transport)
        /// Keeps the stopped transport, if any, so its final counters stay readable.
        case shutDown(Transport?)
    }

    /// Allocates the ring: `numBuffers × batchSize` sample slots, zero-filled (refused when more
    /// than the memory this process may use); `tables` (of the same schema, distinct names) are
    /// served beside it, and `defaultTable`, when set, takes the samples of clients that name no
    /// table (v1 clients among them) instead of the ring.
    /// Latency histograms and ``publishMetrics()`` report through `metricsFactory` (by default
    /// swift-metrics' global one, which the application bootstraps); log lines go to `logger`.
    public init(schema: Schema, batchSize: Int, numBuffers: Int = 3, tables: [ReplayTable] = [],
                defaultTable: String? = nil, metricsFactory: (any MetricsFactory)? = nil,
                logger: Logger = Logger(label: "chorus.server")) throws(ServerError) {
        guard batchSize >= 1 else { throw .invalidBatchSize(batchSize) }
        guard numBuffers >= 2 else { throw .invalidBufferCount(numBuffers) }
        let (slots, slotsOverflow) = batchSize.multipliedReportingOverflow(by: numBuffers)
        let (bytes, bytesOverflow) = slots.multipliedReportingOverflow(by: schema.sampleSize)
        // Every slot of a ring is written as it cycles: one larger than memory is refused now.
        guard !slotsOverflow, !bytesOverflow, bytes <= MemoryLimit.bytes ?? .max else {
            throw .ringTooLarge(schema: schema, batchSize: batchSize, numBuffers: numBuffers)
        }
        self.schema = schema
        self.batchSize = batchSize
        self.numBuffers = numBuffers
        replayTables = try ReplayTables(tables, schema: schema, defaultTable: defaultTable)
        let factory = metricsFactory ?? MetricsSystem.factory
        ring = Ring(schema: schema, batchSize: batchSize, numBuffers: numBuffers,
                    timers: BatchTimers(buffers: numBuffers, factory: factory))
        metricsPublisher = ServerMetricsPublisher(factory: factory)
        self.logger = logger
    }

    // MARK: Producers

    /// Copies one sample into the ring, waiting while it is full (at most `timeout`, or until
    /// shutdown when `nil`).
    public func submit(_ sample: Sample, timeout: Duration? = nil) throws(SubmitError) {
        guard sample.schema == schema else {
            throw .schemaMismatch(expected: schema, given: sample.schema)
        }
        try sample.withUnsafeBytes { (bytes) throws(SubmitError) in
            try submit(packed: bytes, timeout: timeout)
        }
    }

    /// Copies packed samples (each `schema.sampleSize` bytes, leaves in flatten order, as on the
    /// wire) into the ring, waiting while it is full. Samples are accepted in order; on
    /// ``SubmitError/timedOut(committed:)`` or ``SubmitError/shutDown(committed:)`` the error
    /// says how many were.
    public func submit(packed bytes: UnsafeRawBufferPointer, timeout: Duration? = nil) throws(SubmitError) {
        let sampleSize = schema.sampleSize
        let total = bytes.count / sampleSize
        guard total > 0, total * sampleSize == bytes.count else {
            throw .wrongSize(sampleSize: sampleSize, given: bytes.count)
        }
        let deadline = timeout.map(Deadline.init(after:))
        var committed = 0
        while committed < total {
            let reservation: Reservation
            do {
                reservation = try ring.reserve(upTo: total - committed, until: deadline)
            } catch .timedOut {
                throw .timedOut(committed: committed)
            } catch {
                throw .shutDown(committed: committed)
            }
            let start = committed * sampleSize
            ring.write(UnsafeRawBufferPointer(
                rebasing: bytes[start..<start + reservation.count * sampleSize]), into: reservation)
            committed += reservation.count
            ring.commit(reservation)
        }
    }

    // MARK: Transport

    /// Starts accepting rollout workers on `listeners` (all served by the same I/O threads),
    /// and returns the bound addresses (a port of 0 is replaced by the one picked). Call once.
    @discardableResult
    public func listen(_ listeners: [ListenerConfiguration], options: TransportOptions = TransportOptions())
        throws(TransportError) -> [BoundListener]
    {
        try transport.withLock { (state) throws(TransportError) -> [BoundListener] in
            guard case .notListening = state else {
                throw .notStartable("the server is already listening, or shut down")
            }
            let started = try Transport(ring: ring, tables: replayTables, configurations: listeners, options: options,
                                        logger: logger)
            state = .listening(started)
            return started.listeners
        }
    }

    // MARK: The learner

    /// Releases the batch held before, then blocks until the next full batch. Returns `nil`
    /// after ``shutdown()`` once every committed sample has been delivered.
    public func next() -> Batch? {
        ring.next().map { Batch(ring: ring, sequenceNumber: $0) }
    }

    /// Releases the batch held before, then waits at most `timeout` for the next full batch: for
    /// callers that must stay responsive (a Python learner that handles Ctrl-C between waits).
    public func next(timeout: Duration) -> NextBatch {
        nextBatch(ring.next(until: Deadline(after: timeout)))
    }

    /// `next(timeout:)` (forever when `nil`) that also returns the counters as the batch was
    /// taken, read under the ring lock the take holds anyway, for a learner that wants both after
    /// every batch (the C ABI): a separate ``metrics`` read would contend with the producers.
    package func nextWithMetrics(timeout: Duration?) -> (found: NextBatch, metrics: ServerMetrics) {
        let (take, ringMetrics) = ring.next(until: timeout.map(Deadline.init(after:)), takingMetrics: true)
        return (nextBatch(take), ServerMetrics(ring: ringMetrics!, transport: transportMetrics))
    }

    private func nextBatch(_ take: Ring.Take) -> NextBatch {
        switch take {
        case .batch(let sequenceNumber): .batch(Batch(ring: ring, sequenceNumber: sequenceNumber))
        case .notReady: .timedOut
        case .finished: .finished
        }
    }

    /// Releases the batch held before and returns the next full batch if one is complete now;
    /// `nil` otherwise. Never waits: for a consumer that also produces (an in-process loop that
    /// submits and drains on one thread).
    public func tryNext() -> Batch? {
        ring.tryNext().map { Batch(ring: ring, sequenceNumber: $0) }
    }

    /// `next()` for async code: suspends rather than blocking a thread; `nil` also when the
    /// task is cancelled.
    public func nextAsync() async -> Batch? {
        await ring.nextAsync().map { Batch(ring: ring, sequenceNumber: $0) }
    }

    /// Runs `body` on the next full batch and releases the batch as soon as `body` returns,
    /// so producers can refill it at once. Returns `nil` when shut down and drained.
    public func withNextBatch<R, E>(_ body: (Batch) throws(E) -> R) throws(E) -> R? {
        guard let batch = next() else { return nil }
        defer { releaseBatch() }
        return try body(batch)
    }

    /// Releases the batch the consumer holds, if any, so producers can refill its slots before
    /// the next `next()`; its views throw ``BatchError/released(batch:)`` from then on.
    public func releaseBatch() {
        ring.releaseHeld()
    }

    /// The batches as a `Sequence` (blocking) and an `AsyncSequence` (suspending); both end
    /// after shutdown once drained.
    public func batches() -> Batches {
        Batches(server: self)
    }

    // MARK: Lifecycle

    /// Listens on `listeners`, runs `body` with the bound addresses, and shuts the server down
    /// when `body` returns or throws: for tests and short programs, so no I/O thread outlives
    /// the scope.
    public func withListening<R>(
        _ listeners: [ListenerConfiguration], options: TransportOptions = TransportOptions(),
        _ body: ([BoundListener]) throws -> R
    ) throws -> R {
        defer { shutdown() }
        return try body(try listen(listeners, options: options))
    }

    /// A server that is dropped shuts down: its I/O threads stop and its ports close.
    deinit {
        shutdown()
    }

    /// Stops accepting samples and wakes every waiting producer (they get
    /// ``SubmitError/shutDown(committed:)``) and the consumer, which still receives every
    /// committed (and so acknowledged) sample, then `nil`: a partly filled last batch comes
    /// with its empty slots marked invalid (``Batch/invalidCount``).
    public func shutdown() {
        ring.shutdown()
        replayTables.all.forEach { $0.close() }
        let (first, stopping) = transport.withLock { state -> (Bool, Transport?) in
            switch state {
            case .notListening:
                state = .shutDown(nil)
                return (true, nil)
            case .listening(let transport):
                state = .shutDown(transport)
                return (true, transport)
            case .shutDown:
                return (false, nil)
            }
        }
        stopping?.stop()
        if first {
            logger.info("server shut down",
                        metadata: ["samples_committed": "\(ring.metrics.samplesCommitted)"])
        }
    }

    public var metrics: ServerMetrics {
        ServerMetrics(ring: ring.metrics, transport: transportMetrics)
    }

    /// Carries the counters (ring, transport, per listener, tables) into swift-metrics, as
    /// their growth since the last call and the current levels: call it before a backend reads
    /// them (the HTTP endpoint does on every scrape) or on a timer. The data plane never pays
    /// for it; the latency histograms are recorded as batches pass.
    public func publishMetrics() {
        metricsPublisher.publish(metrics, tables: replayTables.all.map(\.info))
    }

    private var transportMetrics: TransportMetrics {
        transport.withLock { state -> TransportMetrics in
            switch state {
            case .listening(let transport), .shutDown(let transport?): transport.metrics
            case .notListening, .shutDown(nil): TransportMetrics()
            }
        }
    }
}

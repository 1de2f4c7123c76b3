import CChorus
import Chorus
import ChorusCore
import Logging

/// What a `chorus_server *` points to: the server, the batch its consumer holds, and a buffer
/// for packing submitted samples.
final class ServerHandle {
    let server: Server
    private let packing: Locked<PackingBuffer>
    /// The batch taken by the last `chorus_server_next` (the consumer's; chorus.h allows one
    /// consumer thread at a time, the lock makes a second one safe rather than fast).
    private let held = Locked<Batch?>(nil)

    init(schema: Schema, batchSize: Int, numBuffers: Int, tables: [ReplayTable] = [], defaultTable: String? = nil)
        throws(ABIError)
    {
        do {
            server = try Server(schema: schema, batchSize: batchSize, numBuffers: numBuffers, tables: tables,
                                defaultTable: defaultTable, logger: Self.logger)
        } catch {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "\(error)")
        }
        packing = Locked(PackingBuffer(sampleSize: schema.sampleSize))
    }

    /// The library's host (a Python process) owns stdout: warnings and errors (refusals,
    /// internal errors) go to stderr, nothing else.
    private static let logger = {
        var logger = Logger(label: "chorus.server") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }()

    func listen(_ listeners: [ListenerConfiguration], options: TransportOptions) throws(ABIError) -> [BoundListener] {
        do {
            return try server.listen(listeners, options: options)
        } catch {
            throw ABIError(error)
        }
    }

    /// Submits every sample, or says how many were committed before the failure.
    func submit(_ samples: LeafMajorSamples, timeout: Duration?) -> (committed: Int, error: ABIError?) {
        var committed = 0
        do throws(SubmitError) {
            try packing.withLock { (buffer) throws(SubmitError) in
                try samples.forEachPackedChunk(into: buffer) { (packed, _) throws(SubmitError) in
                    try server.submit(packed: packed, timeout: timeout)
                    committed += packed.count / samples.schema.sampleSize
                }
            }
            return (committed, nil)
        } catch {
            switch error {
            case .timedOut(let chunkCommitted), .shutDown(let chunkCommitted): committed += chunkCommitted
            case .schemaMismatch, .wrongSize: break
            }
            return (committed, ABIError(error))
        }
    }

    /// Takes the next batch: its sequence number, the counters as it was taken, and how many of
    /// its samples hold nothing.
    func next(timeout: Duration?) throws(ABIError) -> (sequence: UInt64, metrics: ServerMetrics, invalid: Int) {
        try held.withLock { (held) throws(ABIError) -> (sequence: UInt64, metrics: ServerMetrics, invalid: Int) in
            held = nil
            let (found, metrics) = server.nextWithMetrics(timeout: timeout)
            switch found {
            case .batch(let batch):
                held = batch
                return (batch.sequenceNumber, metrics, (try? batch.invalidCount) ?? 0)
            case .timedOut: throw ABIError(CHORUS_TIMED_OUT, "no batch completed within the timeout")
            case .finished: throw ABIError(CHORUS_FINISHED, "the server shut down and every batch was delivered")
            }
        }
    }

    func release() {
        held.withLock { held in
            held = nil
            server.releaseBatch()
        }
    }

    /// Writes 1 for each sample of held batch `sequence` that holds data, 0 for each that does not.
    func validity(sequence: UInt64, into valid: UnsafeMutableBufferPointer<UInt8>) throws(ABIError) {
        try held.withLock { (held) throws(ABIError) in
            guard let batch = held, batch.sequenceNumber == sequence else {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "batch \(sequence) is not the one held")
            }
            do throws(BatchError) {
                try batch.writeValidity(into: valid)
            } catch {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "\(error)")
            }
        }
    }

    func leafBytes(sequence: UInt64, leaf: Int) throws(ABIError) -> UnsafeRawBufferPointer {
        guard server.schema.leaves.indices.contains(leaf) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "leaf \(leaf) is outside the schema's \(server.schema.leaves.count)")
        }
        return try held.withLock { (held) throws(ABIError) -> UnsafeRawBufferPointer in
            guard let batch = held, batch.sequenceNumber == sequence else {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "batch \(sequence) is not the batch the consumer holds")
            }
            do {
                return try batch.unscopedBytes(leaf: leaf)
            } catch {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "\(error)")
            }
        }
    }
}

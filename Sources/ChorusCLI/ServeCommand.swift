import ArgumentParser
import Chorus
import ChorusCore
import Foundation

/// `chorus serve`: a learner endpoint that takes samples over TCP and consumes the batches.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Accept rollout workers over TCP (echo v1 and/or Chorus v2) and consume their batches.",
        discussion: """
            Prints batches/s and samples/s once a second. Stops on SIGINT or SIGTERM, or after \
            --seconds or --batches; every committed sample is consumed before it exits.
            """
    )

    @Option(help: "The sample schema file.") var schema: String
    @Option(help: "Samples per batch.") var batchSize: Int
    @Option(help: "Buffers in the ring (at least 2).") var numBuffers = 3
    @Option(help: "Port for id-echo's wire v1 (0 picks one; the chosen port is printed).") var echoPort: Int?
    @Option(help: "Port for Chorus wire v2 (0 picks one).") var port: Int?
    @Option(help: "Address to listen on. Anything but loopback exposes the echo listener, which has no authentication.")
    var bind = "127.0.0.1"
    @Option(help: "A Unix socket path for same-host producers, which then write straight into the ring (shared memory).")
    var shm: String?
    @Option(help: """
        Seconds a same-host producer may hold granted ring slots without committing before it is killed \
        (SIGKILL) and its slots are voided, so a stopped or deadlocked producer cannot wedge the ring; 0: never.
        """)
    var shmLease = 30.0
    @Option(help: "A file holding the shared secret v2 and shared-memory clients must prove (HMAC-SHA256).")
    var secretFile: String?
    @Option(help: "I/O threads.") var ioThreads = 1
    @Option(help: "Stop after this many seconds.") var seconds: Double?
    @Option(help: "Stop after this many batches.") var batches: Int?
    @Option(help: """
        Append every batch to this file: each leaf's bytes in flatten order (batchSize × leaf bytes); \
        samples marked invalid (a same-host producer died holding them, or the empty rest of the last \
        batch at shutdown) are left out of their batch.
        """)
    var record: String?
    @Option(help: ArgumentHelp("A replay table beside the ring (repeatable): \(TableSpecification.help).", valueName: "spec"))
    var table: [TableSpecification] = []
    @Option(help: "The table that v1 clients and v2 clients naming no table write (default: the ring).")
    var defaultTable: String?
    @Option(help: "A directory for table checkpoints: tables found there are restored at start, every table is written there at exit.")
    var checkpointDirectory: String?
    @Option(help: "Seconds between progress lines.") var progressInterval = 1.0
    @Flag(help: "Print no progress lines.") var quiet = false
    @OptionGroup var observability: ObservabilityOptions

    func validate() throws {
        guard echoPort != nil || port != nil || shm != nil else { throw ValidationError("give --echo-port, --port or --shm") }
        guard progressInterval > 0 else { throw ValidationError("--progress-interval must be positive") }
        guard shmLease >= 0, shmLease.isFinite else { throw ValidationError("--shm-lease must be 0 (never) or positive") }
        if secretFile != nil && port == nil && shm == nil {
            throw ValidationError("--secret-file needs --port or --shm (echo v1 has no authentication)")
        }
    }

    func run() throws {
        StopSignals.blockInEveryThread()
        let registry = observability.bootstrap()
        let schema = try loadSchema(schema)
        let tables = try table.map { try restoredOrNew($0, schema: schema) }
        for table in tables { try table.validate(batchSize: batchSize) }
        let server = try Server(schema: schema, batchSize: batchSize, numBuffers: numBuffers, tables: tables,
                                defaultTable: defaultTable)
        var listeners: [ListenerConfiguration] = []
        if let echoPort { listeners.append(.echo(host: bind, port: echoPort)) }
        if let port { listeners.append(.chorus(host: bind, port: port, secret: try loadSecret(secretFile))) }
        if let shm { listeners.append(.sharedMemory(path: shm, secret: try loadSecret(secretFile))) }
        var options = TransportOptions()
        options.ioThreads = ioThreads
        options.sharedMemoryGrantLease = shmLease > 0 ? .seconds(shmLease) : nil
        for listener in try server.listen(listeners, options: options) {
            say("listening: \(listener)")
        }
        let endpoint = try observability.startEndpoint(sources: [server], registry: registry)
        defer { endpoint?.stopBlocking() }
        StopSignals.onSignal { server.shutdown() }
        if let seconds {
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { server.shutdown() }
        }
        let reporter = quiet ? nil : ProgressReporter(server: server, interval: progressInterval)
        let recorder = try record.map { try BatchRecorder(path: $0) }
        let consumed = Locked((batches: 0, samples: 0))
        let countBatch: @Sendable (Int) -> Void = { [batches] samples in
            let taken = consumed.withLock {
                $0.batches += 1
                $0.samples += samples
                return $0.batches
            }
            if taken == batches { server.shutdown() }
        }
        let samplers = TableSamplers(tables: tables, batchSize: batchSize, onBatch: { countBatch(batchSize) })
        let start = ContinuousClock.now
        for batch in server.batches() {
            try recorder?.append(batch)
            countBatch(batchSize - (try batch.invalidCount))
        }
        try samplers.join()
        reporter?.stop()
        if let checkpointDirectory {
            for table in tables {
                let path = Self.checkpointPath(checkpointDirectory, table.name)
                let bytes = try table.checkpoint(to: path)
                say("checkpoint: table \(table.name), \(table.size) items, \(bytes) bytes")
                server.logger.info("checkpoint written", metadata: [
                    "table": "\(table.name)", "items": "\(table.size)", "bytes": "\(bytes)", "path": "\(path)",
                ])
            }
        }
        let (consumedBatches, consumedSamples) = consumed.withLock { $0 }
        let elapsed = (ContinuousClock.now - start).seconds
        let metrics = server.metrics
        say(String(format: "done: %d batches, %d samples in %.2f s; connections %d, refused %d, truncated %d, "
                   + "read straight into the ring %d, voided %d, killed by the lease %d",
                   consumedBatches, consumedSamples, elapsed, metrics.transport.connectionsAccepted,
                   metrics.transport.refusals.values.reduce(0, +), metrics.transport.samplesTruncated,
                   metrics.transport.samplesReadDirectly, metrics.transport.samplesVoided,
                   metrics.transport.sharedMemoryProducersKilled))
        if let reason = metrics.transport.lastInternalError {
            say("connections closed on an internal error: \(metrics.transport.internalErrors); last: \(reason)")
        }
    }
}

extension ServeCommand {
    static func checkpointPath(_ directory: String, _ table: String) -> String { "\(directory)/\(table).table" }

    /// The table `specification` names, restored from the checkpoint directory when it holds one.
    private func restoredOrNew(_ specification: TableSpecification, schema: Schema) throws -> ReplayTable {
        if let checkpointDirectory {
            let path = Self.checkpointPath(checkpointDirectory, specification.name)
            if FileManager.default.fileExists(atPath: path) {
                let table = try ReplayTable(checkpoint: path)
                guard table.schema == schema else {
                    throw CommandFailure("\(path) holds a table of another schema: \(table.schema)")
                }
                guard table.name == specification.name else {
                    throw CommandFailure("\(path) holds table \"\(table.name)\", not \"\(specification.name)\"")
                }
                say("restored: table \(table.name), \(table.size) items from \(path)")
                return table
            }
        }
        return try specification.table(schema: schema)
    }
}

/// The learner's side of `serve` for replay tables: one thread per table sampling batches until
/// the table closes (the server shut down).
final class TableSamplers: Sendable {
    private let group = DispatchGroup()
    private let failures = Locked<[String]>([])

    init(tables: [ReplayTable], batchSize: Int, onBatch: @escaping @Sendable () -> Void) {
        for table in tables {
            group.enter()
            Thread { [group, failures] in
                defer { group.leave() }
                while true {
                    do throws(ReplayError) {
                        _ = try table.sample(batchSize: batchSize, timeout: .seconds(1))
                        onBatch()
                    } catch .timedOut {
                        continue
                    } catch .closed {
                        return
                    } catch {
                        failures.withLock { $0.append("table \(table.name): \(error)") }
                        return
                    }
                }
            }.start()
        }
    }

    /// Waits for every sampler; throws what any of them failed with.
    func join() throws {
        group.wait()
        let failures = failures.withLock { $0 }
        if !failures.isEmpty { throw CommandFailure(failures.joined(separator: "\n")) }
    }
}

/// Prints the server's rates every `interval` seconds from its metrics, on its own thread.
/// Batches/s counts what the learner loop took; samples/s what producers committed.
final class ProgressReporter {
    private let thread: Thread

    init(server: Server, interval: Double) {
        thread = Thread {
            var last = server.metrics
            var lastTables = server.tables.map(\.info)
            var lastTime = ContinuousClock.now
            while !Thread.current.isCancelled {
                Thread.sleep(forTimeInterval: interval)
                let now = ContinuousClock.now
                let metrics = server.metrics
                let interval = (now - lastTime).seconds
                let samples = Double(metrics.ring.samplesCommitted - last.ring.samplesCommitted) / interval
                let batches = Double(metrics.ring.batchesDelivered - last.ring.batchesDelivered) / interval
                let bytes = Double(metrics.transport.bytesReceived - last.transport.bytesReceived) / interval
                say(String(format: "%8.0f batches/s  %10.0f samples/s  %8.1f MB/s  connections %d  total %d batches",
                           batches, samples, bytes / 1e6, metrics.transport.connectionsActive,
                           metrics.ring.batchesDelivered))
                let tables = server.tables.map(\.info)
                for (table, before) in zip(tables, lastTables) {
                    say(String(format: "  table %@: %d items (%llu inserted, %llu sampled)  %10.0f inserts/s  %10.0f samples/s",
                               table.name, table.size, table.inserts, table.samples,
                               Double(table.inserts - before.inserts) / interval,
                               Double(table.samples - before.samples) / interval))
                }
                lastTables = tables
                last = metrics
                lastTime = now
            }
        }
        thread.start()
    }

    func stop() {
        thread.cancel()
    }
}

/// Appends batches to a file, leaf after leaf, for tests and debugging.
final class BatchRecorder {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure("cannot write \(path)")
        }
        self.handle = handle
    }

    func append(_ batch: Batch) throws {
        let valid = try batch.invalidCount == 0 ? nil : (0..<batch.batchSize).filter { try batch.isValid($0) }
        for leaf in batch.schema.leaves {
            try batch.withUnsafeBytes(leaf: leaf.index) { bytes in
                guard let valid else { return handle.write(Data(bytes)) }
                for sample in valid { handle.write(Data(bytes[sample * leaf.byteCount..<(sample + 1) * leaf.byteCount])) }
            }
        }
    }
}

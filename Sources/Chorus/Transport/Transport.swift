import ChorusCore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A server's transport: its TCP listeners and the I/O loops serving them, one thread each,
/// and its shared-memory listeners (``SharedMemoryTransport``). Listeners are numbered TCP
/// first, then shared memory, each in the order given.
final class Transport: Sendable {
    let listeners: [BoundListener]
    let counters: TransportCounters
    private let loops: [TransportLoop]
    private let threads: [IOThread]
    private let sharedMemory: [SharedMemoryTransport]

    /// Binds every listener (so address errors surface here), then starts the I/O threads.
    init(ring: Ring, tables: ReplayTables, configurations: [ListenerConfiguration], options: TransportOptions,
         logger: Logger) throws(TransportError)
    {
        guard options.ioThreads >= 1, options.maxConnections >= 1 else {
            throw .notStartable("ioThreads and maxConnections must be at least 1")
        }
        let shared = configurations.filter { $0.path != nil }
        let configurations = configurations.filter { $0.path == nil }
        for configuration in configurations where configuration.wireProtocol == .echo {
            guard configuration.secret == nil else {
                throw .notStartable("echo v1 has no authentication; a secret needs the chorus protocol")
            }
            if let reason = EchoWire.unrepresentableReason(ring.schema) { throw .unsupportedSchema(reason) }
        }
        // Each loop gets its own socket per listener (SO_REUSEPORT spreads connections over them).
        var sockets: [[Int32]] = Array(repeating: [], count: options.ioThreads)
        var bound: [BoundListener] = []
        do throws(TransportError) {
            for configuration in configurations {
                var port = configuration.port
                for loop in 0..<options.ioThreads {
                    let fd = try Socket.listen(host: configuration.host, port: port, reusePort: options.ioThreads > 1)
                    sockets[loop].append(fd)
                    port = Socket.boundPort(fd)
                }
                bound.append(BoundListener(wireProtocol: configuration.wireProtocol, host: configuration.host, port: port))
            }
        } catch {
            sockets.joined().forEach { _ = close($0) }
            throw error
        }
        counters = TransportCounters(listeners: configurations.count + shared.count)
        var options = options
        options.sessionCapacity = max(options.sessionCapacity, options.maxConnections + 64)
        let sessions = SessionRegistry(capacity: options.sessionCapacity, expiry: options.sessionExpiry)
        var loops: [TransportLoop] = []
        do throws(TransportError) {
            for index in 0..<(configurations.isEmpty ? 0 : options.ioThreads) {
                loops.append(try TransportLoop(
                    index: index, ring: ring, tables: tables, listeners: Array(zip(configurations, sockets[index])),
                    options: options, counters: counters, sessions: sessions, logger: logger))
            }
        } catch {
            sockets.joined().forEach { _ = close($0) }
            throw error
        }
        var threads: [IOThread] = []
        do throws(TransportError) {
            let name = "chorus-io:\(bound.first?.port ?? 0)"
            for loop in loops { threads.append(try IOThread(name: name) { loop.run() }) }
        } catch {
            // No thread outlives a failed start: the started loops stop, the others only close.
            loops.forEach { $0.requestStop() }
            threads.forEach { $0.join() }
            loops.dropFirst(threads.count).forEach { $0.closeListeners() }
            throw error
        }
        var sharedMemory: [SharedMemoryTransport] = []
        do throws(TransportError) {
            for (offset, configuration) in shared.enumerated() {
                sharedMemory.append(try SharedMemoryTransport(
                    ring: ring, path: configuration.path!, secret: configuration.secret,
                    listenerIndex: configurations.count + offset, options: options, counters: counters, logger: logger))
            }
        } catch {
            sharedMemory.forEach { $0.stop() }
            loops.forEach { $0.requestStop() }
            threads.forEach { $0.join() }
            throw error
        }
        self.listeners = bound + sharedMemory.map(\.listener)
        self.loops = loops
        self.threads = threads
        self.sharedMemory = sharedMemory
        for listener in listeners { logger.info("listening", metadata: ["listener": "\(listener)"]) }
    }

    var metrics: TransportMetrics { counters.snapshot(listeners: listeners) }

    /// Closes the listeners and every connection, and waits for the I/O threads to finish.
    func stop() {
        loops.forEach { $0.requestStop() }
        threads.forEach { $0.join() }
        sharedMemory.forEach { $0.stop() }
    }
}

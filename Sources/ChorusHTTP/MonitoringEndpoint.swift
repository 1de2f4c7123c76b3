import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The HTTP endpoint operators and their tools read: `GET /metrics` (Prometheus text format,
/// rendered by swift-prometheus from `registry`), `GET /api/status` (a JSON snapshot of every
/// source) and `GET /` (the dashboard, one self-contained page). Other paths get 404, other
/// methods 405; Hummingbird's limits cut off oversized headers and idle connections.
///
/// It only reads counters (each source's snapshot and publish take no ring lock on the data
/// path), on its own event loop, so a scraper can never slow the learner.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory.chorus(registry: registry))
/// let server = try Server(schema: schema, batchSize: 256)
/// let endpoint = MonitoringEndpoint(port: 9090, sources: [server], registry: registry)
/// let port = try await endpoint.start()     // `startBlocking()` outside async code
/// ```
public final class MonitoringEndpoint: Sendable {
    public let host: String
    public let port: Int
    private let sources: [any StatusSource]
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let idleTimeout: Duration
    /// The server ``start()`` started: its task, and the group that shuts it down gracefully.
    private let running = Mutex<(task: Task<Void, any Error>, group: ServiceGroup)?>(nil)

    /// An endpoint on `host:port` (port 0 picks a free one) reporting on `sources`.
    public init(host: String = "127.0.0.1", port: Int, sources: [any StatusSource],
                registry: PrometheusCollectorRegistry, idleTimeout: Duration = .seconds(30),
                logger: Logger = Logger(label: "chorus.http")) {
        self.host = host
        self.port = port
        self.sources = sources
        self.registry = registry
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// Serves until the task is cancelled; `onRunning` gets the bound port once it listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await makeGroup(onRunning: onRunning).run()
    }

    /// The application in a service group of its own, which ``stop()`` shuts down gracefully
    /// (a cancelled application logs its connections' cancellation as errors).
    private func makeGroup(onRunning: @escaping @Sendable (Int) async -> Void) -> ServiceGroup {
        let application = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "chorus"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        return ServiceGroup(configuration: .init(services: [application], logger: logger))
    }

    /// Starts serving on a task of its own and returns the bound port once it listens.
    /// ``stop()`` ends it.
    public func start() async throws -> Int {
        let (ports, announce) = AsyncThrowingStream<Int, any Error>.makeStream()
        let group = makeGroup { port in announce.yield(port) }
        let task = Task {
            do {
                try await group.run()
                announce.finish()
            } catch {
                announce.finish(throwing: error)
                throw error
            }
        }
        running.withLock { $0 = (task, group) }
        for try await port in ports { return port }
        throw CancellationError()  // it ended before it listened
    }

    /// ``start()`` for programs that are not async (never call it from a task: it blocks the
    /// thread until the server listens).
    public func startBlocking() throws -> Int {
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        Task {
            let result: Result<Int, any Error>
            do { result = .success(try await start()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            ready.signal()
        }
        ready.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Stops a started server and waits until it has closed its socket.
    public func stop() async {
        guard let (task, group) = running.withLock({ $0.take() }) else { return }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// ``stop()`` for programs that are not async (never call it from a task).
    public func stopBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await stop()
            done.signal()
        }
        done.wait()
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MethodGuard(paths: ["/", "/metrics", "/api/status"]))
        router.get("/metrics") { [self] _, _ -> Response in
            sources.forEach { $0.publishMetrics() }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Self.response(bytes, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/status") { [self] _, _ -> Response in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let document = StatusDocument(time: Date().timeIntervalSince1970,
                                          sections: sources.map { ($0.statusSection, $0.status()) })
            return Self.response(Array(try encoder.encode(document)), contentType: "application/json")
        }
        router.get("/") { _, _ -> Response in
            Self.response(PackageResources.dashboard_html, contentType: "text/html; charset=utf-8")
        }
        return router
    }

    private static func response(_ bytes: [UInt8], contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// `/api/status`: the time, then each source's section under its key.
private struct StatusDocument: Encodable {
    let time: Double
    let sections: [(String, any Encodable & Sendable)]

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(time, forKey: Key(stringValue: "time"))
        for (key, section) in sections { try container.encode(section, forKey: Key(stringValue: key)) }
    }
}

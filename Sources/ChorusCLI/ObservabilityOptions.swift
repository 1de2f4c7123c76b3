import ArgumentParser
import ChorusHTTP
import Logging
import Metrics
import Prometheus

/// `--http-port`, `--http-bind`, `--log-level`, `--log-format`: what `serve`, `coordinator` and
/// `demo` share to be watched. ``bootstrap()`` sets up swift-log and swift-metrics for the
/// process (once, before the first server or coordinator exists).
struct ObservabilityOptions: ParsableArguments {
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Serve /metrics (Prometheus), /api/status (JSON) and the dashboard (/) on this port (0 picks one).")
    var httpPort: Int?
    @Option(help: "Address the HTTP endpoint listens on.") var httpBind = "127.0.0.1"
    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (debug shows every connection).", valueName: "level"))
    var logLevel: Logger.Level = .info
    @Option(help: "Log lines as text or as JSON objects, one per line, on stderr.") var logFormat: LogFormat = .text

    func validate() throws {
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be 0…65535") }
    }

    /// Routes swift-log to stderr in the chosen format and level, and swift-metrics to a
    /// Prometheus registry, which it returns.
    func bootstrap() -> PrometheusCollectorRegistry {
        let (level, format) = (logLevel, logFormat)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory.chorus(registry: registry))
        return registry
    }

    /// Starts the HTTP endpoint on `sources` when `--http-port` was given, and says where.
    func startEndpoint(sources: [any StatusSource], registry: PrometheusCollectorRegistry) throws -> MonitoringEndpoint? {
        guard let httpPort else { return nil }
        let endpoint = MonitoringEndpoint(host: httpBind, port: httpPort, sources: sources, registry: registry)
        let port = try endpoint.startBlocking()
        say("http: http://\(httpBind):\(port)/ (dashboard), /metrics, /api/status")
        return endpoint
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

import Logging
import Synchronization

/// A swift-log handler that keeps every line, for tests that check what a server or a
/// coordinator logs.
public final class CapturedLog: Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    public init() {}

    /// A logger at `level` writing here.
    public func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "chorus.test") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    public var captured: [Line] { lines.withLock { $0 } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            log.lines.withLock { $0.append(Line(level: event.level, message: "\(event.message)", metadata: merged)) }
        }
    }
}

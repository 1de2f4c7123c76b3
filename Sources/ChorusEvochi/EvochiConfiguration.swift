import ChorusES

/// How an ``EvochiCoordinator`` serves a run.
public struct EvochiConfiguration: Sendable {
    /// The run itself (population, epochs, deadlines, checkpoint).
    public var engine: EngineConfiguration
    /// An IPv4 or IPv6 address to listen on (`127.0.0.1` by default; `::1`, `0.0.0.0`, `::`).
    public var host: String
    /// `0` picks a free port (see ``EvochiCoordinator/run(onListening:)``).
    public var port: Int
    /// When set, `Subscribe` must carry metadata `x-chorus-join-secret` with this value. The
    /// PyPI evochi worker sends no metadata on `Subscribe`, so it cannot join a secured pool.
    public var joinSecret: String?
    /// Largest request accepted (initial and shared states travel in requests).
    public var maxRequestBytes: Int
    /// States above this size get a warning: default Python clients refuse to receive more
    /// than 4 MiB, so they could not join.
    public var stateWarningBytes: Int
    /// How often deadlines and stragglers are checked.
    public var tickInterval: Duration
    /// After the run stops, how long the coordinator waits for workers to read STOP before it exits.
    public var stopGrace: Duration

    public init(
        engine: EngineConfiguration,
        host: String = "127.0.0.1",
        port: Int = 8080,
        joinSecret: String? = nil,
        maxRequestBytes: Int = 256 << 20,
        stateWarningBytes: Int = 4 << 20,
        tickInterval: Duration = .milliseconds(250),
        stopGrace: Duration = .seconds(2)
    ) {
        self.engine = engine
        self.host = host
        self.port = port
        self.joinSecret = joinSecret
        self.maxRequestBytes = maxRequestBytes
        self.stateWarningBytes = stateWarningBytes
        self.tickInterval = tickInterval
        self.stopGrace = stopGrace
    }
}

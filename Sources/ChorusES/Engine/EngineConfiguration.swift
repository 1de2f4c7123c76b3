/// How an ``EpochEngine`` runs an ES training run.
public struct EngineConfiguration: Sendable, Hashable {
    /// Members per epoch (the population); even for antithetic strategies.
    public var populationSize: Int
    /// Epochs to run; `0` runs until stopped.
    public var maxEpochs: Int
    /// Ask for the state every this many epochs (and after the last). In between, joiners are
    /// brought up to date by replaying the reward vectors since the last upload.
    public var shareInterval: Int
    /// An idle worker not heard from for this long is evicted.
    public var heartbeatTimeout: Duration
    /// A worker whose current task has run this long is evicted (`nil`: never). Measured from
    /// when the worker could start the task (its previous one finished).
    public var taskTimeout: Duration?
    /// When nothing is left to hand out, idle workers get copies of slices outstanding for
    /// at least this long (speculative re-execution; the first result wins).
    public var reissueAfter: Duration
    /// Refuse joins beyond this many workers (`nil`: no limit).
    public var maxWorkers: Int?
    /// Where the checkpoint lives (`nil`: in memory only).
    public var checkpointPath: String?

    public init(
        populationSize: Int,
        maxEpochs: Int = 0,
        shareInterval: Int = 1,
        heartbeatTimeout: Duration = .seconds(60),
        taskTimeout: Duration? = nil,
        reissueAfter: Duration = .seconds(1),
        maxWorkers: Int? = nil,
        checkpointPath: String? = nil
    ) {
        self.populationSize = populationSize
        self.maxEpochs = maxEpochs
        self.shareInterval = shareInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.taskTimeout = taskTimeout
        self.reissueAfter = reissueAfter
        self.maxWorkers = maxWorkers
        self.checkpointPath = checkpointPath
    }

    /// The interval workers are told to heartbeat at: half the timeout, never below a second.
    public var heartbeatInterval: Duration {
        max(.seconds(1), heartbeatTimeout / 2)
    }

    func validate() throws(EngineError) {
        guard populationSize > 0, populationSize <= Int(Int32.max) else {
            throw .invalidConfiguration("population size must be in 1...\(Int32.max), got \(populationSize)")
        }
        guard maxEpochs >= 0 else { throw .invalidConfiguration("max epochs must be ≥ 0, got \(maxEpochs)") }
        guard shareInterval >= 1 else { throw .invalidConfiguration("share interval must be ≥ 1, got \(shareInterval)") }
        guard heartbeatTimeout > .zero else { throw .invalidConfiguration("heartbeat timeout must be positive") }
        if let maxWorkers, maxWorkers < 1 { throw .invalidConfiguration("max workers must be ≥ 1") }
    }
}

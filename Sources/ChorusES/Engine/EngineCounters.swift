/// What an ``EpochEngine`` has done since it started, for monitoring: membership changes,
/// evaluation results by outcome, and straggling slices handed out again.
public struct EngineCounters: Hashable, Sendable {
    public var joins = 0
    public var leaves = 0
    public var evictions = 0
    /// Evaluation results that rewarded at least one member.
    public var evaluationsAccepted = 0
    /// Late or duplicate evaluation results, answered without an error.
    public var evaluationsStale = 0
    /// Evaluation results refused with a reason (wrong slices, a non-finite reward, …).
    public var evaluationsRefused = 0
    /// Slices outstanding past `reissueAfter` handed to another worker.
    public var reissues = 0

    public init() {}

    mutating func count(evaluation reply: FinishReply) {
        switch reply {
        case .accepted: evaluationsAccepted += 1
        case .stale: evaluationsStale += 1
        case .rejected: evaluationsRefused += 1
        }
    }
}

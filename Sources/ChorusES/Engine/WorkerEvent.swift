/// What the engine tells a worker, in the order the worker must process it (one at a time).
/// Mirrors Evochi v1's events.
public enum WorkerEvent: Hashable, Sendable {
    /// The greeting, always first: the state to start from (`nil`: none exists yet) and the
    /// epoch it is the start of.
    case hello(Hello)
    /// Create the initial state.
    case initialize(TaskID)
    /// Evaluate these members of `epoch`, in this order.
    case evaluate(TaskID, epoch: Int, slices: [MemberRange])
    /// Apply `epoch`'s update from the rewards of its whole population.
    case optimize(TaskID, epoch: Int, rewards: [Float])
    /// Upload the current state (which starts epoch `epoch + 1`).
    case shareState(TaskID, epoch: Int)
    /// The run is over.
    case stop(TaskID)

    /// The greeting's content.
    public struct Hello: Hashable, Sendable {
        public let worker: WorkerID
        public let state: [UInt8]?
        /// The epoch `state` starts (`nil` with no state).
        public let stateEpoch: Int?
        public let populationSize: Int
        public let maxEpochs: Int
        /// How often the worker should send heartbeats.
        public let heartbeatInterval: Duration
    }
}

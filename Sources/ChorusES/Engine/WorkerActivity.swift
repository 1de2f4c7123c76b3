/// What a worker in an ``EpochEngine``'s pool is doing, for monitoring.
public enum WorkerActivity: String, Hashable, Sendable, CaseIterable {
    /// Joined, waiting for its greeting (the initial state is still being made).
    case joining
    /// Greeted, with no task.
    case idle
    /// Working on a task.
    case busy
}

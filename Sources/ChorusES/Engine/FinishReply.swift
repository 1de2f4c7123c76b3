/// The engine's answer to a worker's Finish call.
public enum FinishReply: Hashable, Sendable {
    /// Taken into account.
    case accepted
    /// Harmless but useless (a late or duplicate result, a task of an epoch that is over):
    /// answered without an error so a peer that dies on errors keeps running.
    case stale(String)
    /// Wrong: refused with a reason; nothing of it was consumed.
    case rejected(EngineRejection)
}

/// Why the engine refused a request.
public struct EngineRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The worker is not (or no longer) in the pool.
        case unknownWorker
        /// No such task for this worker.
        case unknownTask
        /// The request contradicts the task (slices, counts, values, empty state).
        case invalid
        /// The pool is full.
        case poolFull
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

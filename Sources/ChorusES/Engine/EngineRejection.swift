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

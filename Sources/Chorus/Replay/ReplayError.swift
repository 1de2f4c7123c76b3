import ChorusCore

/// Why a replay table refused a call; nothing changed in the table.
public enum ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTable(String)
    case invalidRateLimiter(String)
    case invalidPriority(Double)
    /// A call's priorities do not pair up with its items (or keys).
    case priorityCount(Int, items: Int)
    case unknownTable(String, known: [String])
    case unknownKey(UInt64)
    case schemaMismatch(expected: Schema, given: Schema)
    case wrongSize(sampleSize: Int, given: Int)
    case invalidBatchSize(Int, reason: String)
    /// The rate limiter did not let the call proceed within its timeout; `completed` items of
    /// a multi-item insert went in before (a sample draws all or nothing: 0).
    case timedOut(completed: Int)
    /// The table was closed (its server shut down) while the call waited, or before it.
    case closed(completed: Int)
    case checkpoint(String)

    public var description: String {
        switch self {
        case .invalidTable(let reason): "invalid table: \(reason)"
        case .invalidRateLimiter(let reason): "invalid rate limiter: \(reason)"
        case .invalidPriority(let priority): "a priority must be finite and at least 0, not \(priority)"
        case .priorityCount(let count, let items): "\(count) priorities for \(items) items"
        case .unknownTable(let name, let known): "no table named \"\(name)\" (the server has \(known.map { "\"\($0)\"" }.joined(separator: ", ")))"
        case .unknownKey(let key): "no item with key \(key) in the table"
        case .schemaMismatch(let expected, let given): "the sample's schema \(given) is not the table's \(expected)"
        case .wrongSize(let sampleSize, let given): "\(given) bytes are not a whole number of \(sampleSize)-byte samples"
        case .invalidBatchSize(let size, let reason): "a batch of \(size) cannot be sampled: \(reason)"
        case .timedOut(let completed): "timed out: the rate limiter did not allow the call in time (\(completed) items done)"
        case .closed(let completed): "the table is closed (\(completed) items done)"
        case .checkpoint(let reason): "checkpoint: \(reason)"
        }
    }
}

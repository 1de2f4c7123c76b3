/// Why an ``EpochEngine`` could not start.
public enum EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// The checkpoint file exists but cannot be used.
    case badCheckpoint(path: String, reason: String)
    /// The checkpoint file could not be written.
    case checkpointWriteFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid engine configuration: \(reason)"
        case .badCheckpoint(let path, let reason): "checkpoint \(path) unusable: \(reason)"
        case .checkpointWriteFailed(let path, let reason): "cannot write checkpoint \(path): \(reason)"
        }
    }
}

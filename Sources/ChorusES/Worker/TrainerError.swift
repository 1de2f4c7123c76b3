/// Why a ``Trainer`` refused its configuration or an input, before anything ran.
public enum TrainerError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// Parameters given to ``Trainer/evaluateFitness(_:)`` do not fit the trainer's layout.
    case wrongParameterCount(expected: Int, given: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid trainer configuration: \(reason)"
        case .wrongParameterCount(let expected, let given): "expected \(expected) parameters, given \(given)"
        }
    }
}

/// Where a run is. Epochs count from 1; epoch `n` evaluates the population around state `Sₙ`
/// and its optimize turns `Sₙ` into `Sₙ₊₁`.
public enum EnginePhase: Hashable, Sendable, CustomStringConvertible {
    /// No state exists yet; one worker is (or will be) asked to create it.
    case initializing
    /// Workers evaluate epoch `n`'s population.
    case evaluating(Int)
    /// Every index of epoch `n` has a reward; workers apply the update.
    case optimizing(Int)
    /// One worker that applied epoch `n`'s update uploads `Sₙ₊₁`.
    case sharing(Int)
    /// The run is over (the epoch limit was reached or it was stopped).
    case stopped

    public var description: String {
        switch self {
        case .initializing: "initializing"
        case .evaluating(let n): "evaluating(\(n))"
        case .optimizing(let n): "optimizing(\(n))"
        case .sharing(let n): "sharing(\(n))"
        case .stopped: "stopped"
        }
    }
}

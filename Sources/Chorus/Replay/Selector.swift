/// How a ``ReplayTable`` picks an item, as its sampler (which item a sample returns) or its
/// remover (which item makes room when the table is full). The names are Reverb's.
public enum Selector: Sendable, Hashable, CustomStringConvertible {
    /// The oldest item first.
    case fifo
    /// The newest item first.
    case lifo
    /// Every item with the same probability, `1 / size`.
    case uniform
    /// Item `i` with probability `pᵢ^α / Σⱼ pⱼ^α` (α = `priorityExponent`); a priority of 0 is
    /// never picked unless every priority is 0, when the pick is uniform.
    case prioritized(priorityExponent: Double)
    /// The highest priority first; of equal priorities, the one inserted or updated longest ago.
    case maxHeap
    /// The lowest priority first; of equal priorities, the one inserted or updated longest ago.
    case minHeap

    public var description: String {
        switch self {
        case .fifo: "fifo"
        case .lifo: "lifo"
        case .uniform: "uniform"
        case .prioritized(let exponent): "prioritized(\(exponent))"
        case .maxHeap: "maxHeap"
        case .minHeap: "minHeap"
        }
    }

    /// Whether a pick depends on the random generator (the others are deterministic, drawn with
    /// probability 1).
    var isRandom: Bool {
        switch self {
        case .uniform, .prioritized: true
        case .fifo, .lifo, .maxHeap, .minHeap: false
        }
    }

    /// The reason this selector cannot be used, if any.
    var invalidReason: String? {
        guard case .prioritized(let exponent) = self else { return nil }
        guard exponent.isFinite, exponent >= 0 else {
            return "the priority exponent must be finite and at least 0, not \(exponent)"
        }
        return nil
    }
}

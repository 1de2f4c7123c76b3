import ChorusCore

/// Why a ``TrajectoryAccumulator`` refused a schema or an item.
public enum AccumulatorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The schema's root must be a dict of timescales.
    case rootNotADict
    /// A buffered timescale's leaves must share their leading dimension.
    case mismatchedLeadingDimensions(timescale: String, dimensions: [Int])
    case unknownTimescale(String, known: [String])
    /// Every slot of the timescale is filled; `build()` or `reset()` first.
    case full(timescale: String, capacity: Int)
    /// The item was built for another schema than the timescale's item schema.
    case itemSchemaMismatch(timescale: String, expected: Schema, given: Schema)

    public var description: String {
        switch self {
        case .rootNotADict:
            "a trajectory schema is a dict of timescales, e.g. {\"step\": {…}, \"episode\": {…}}"
        case .mismatchedLeadingDimensions(let timescale, let dimensions):
            "all leaves of buffered timescale \"\(timescale)\" must share their leading dimension (got \(dimensions)); "
                + "make a leaf 0-d, or every leading dimension 1, to mark it single-item"
        case .unknownTimescale(let name, let known):
            "unknown timescale \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .full(let timescale, let capacity):
            "timescale \"\(timescale)\" has \(capacity) slots, all filled"
        case .itemSchemaMismatch(let timescale, let expected, let given):
            "item for \"\(timescale)\" has schema \(given.canonicalJSON), expected \(expected.canonicalJSON)"
        }
    }
}

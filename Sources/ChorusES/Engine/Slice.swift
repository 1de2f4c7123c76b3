/// A contiguous range `[start, end)` of population members, the unit of work an evaluation
/// covers.
public struct Slice: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let start: Int
    public let end: Int

    public init(_ start: Int, _ end: Int) {
        precondition(start >= 0 && start <= end, "invalid slice [\(start), \(end))")
        self.start = start
        self.end = end
    }

    public var count: Int { end - start }
    public var indices: Range<Int> { start ..< end }
    public var description: String { "[\(start), \(end))" }

    public static func < (lhs: Slice, rhs: Slice) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }
}

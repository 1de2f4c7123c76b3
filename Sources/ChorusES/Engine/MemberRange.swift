/// A contiguous range `[start, end)` of population members, the unit of work an evaluation
/// covers (the Evochi wire calls it a slice).
public struct MemberRange: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
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

    public static func < (lhs: MemberRange, rhs: MemberRange) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }
}

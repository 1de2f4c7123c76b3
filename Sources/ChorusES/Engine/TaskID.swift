/// One task handed to a worker (initialize, evaluate, optimize, share, stop); issued in
/// increasing order, never reused.
public struct TaskID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "task \(rawValue)" }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }
}

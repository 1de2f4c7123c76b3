/// Turns raw rewards into the weights an update uses. Shaping makes the update invariant to
/// the reward scale and robust to outliers.
public struct FitnessShaping: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable {
        /// Rewards as they are.
        case raw
        /// Rank `0 … n−1` mapped to `[−0.5, 0.5]` (`rank/(n−1) − 0.5`); ties share their mean rank.
        case centeredRanks
        /// `(r − mean) / (std + 1e−8)` (population standard deviation).
        case zScore
    }

    public var method: Method
    /// Shape within consecutive groups of this many members instead of the whole population
    /// (must divide the population and be even, so a group holds whole antithetic pairs).
    public var groupSize: Int?

    public init(_ method: Method, groupSize: Int? = nil) {
        self.method = method
        self.groupSize = groupSize
    }

    public static let centeredRanks = FitnessShaping(.centeredRanks)
    public static let zScore = FitnessShaping(.zScore)
    public static let raw = FitnessShaping(.raw)

    /// The shaped weights of `rewards`, in member order.
    public func shape(_ rewards: [Float]) -> [Float] {
        let size = groupSize ?? rewards.count
        precondition(size > 0 && rewards.count % size == 0, "group size \(size) does not divide the population \(rewards.count)")
        var shaped = [Float]()
        shaped.reserveCapacity(rewards.count)
        for start in stride(from: 0, to: rewards.count, by: size) {
            shaped += shapeGroup(Array(rewards[start ..< start + size]))
        }
        return shaped
    }

    private func shapeGroup(_ rewards: [Float]) -> [Float] {
        switch method {
        case .raw:
            return rewards
        case .centeredRanks:
            guard rewards.count > 1 else { return [0] }
            let ranks = Self.ranks(rewards)
            let top = Float(rewards.count - 1)
            return ranks.map { $0 / top - 0.5 }
        case .zScore:
            let n = Double(rewards.count)
            let mean = rewards.reduce(0.0) { $0 + Double($1) } / n
            let variance = rewards.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            let scale = 1 / (variance.squareRoot() + 1e-8)
            return rewards.map { Float((Double($0) - mean) * scale) }
        }
    }

    /// Zero-based ranks; equal rewards get the mean of the ranks they span.
    private static func ranks(_ rewards: [Float]) -> [Float] {
        let order = rewards.indices.sorted { rewards[$0] < rewards[$1] }
        var ranks = [Float](repeating: 0, count: rewards.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && rewards[order[end]] == rewards[order[start]] { end += 1 }
            let mean = Float(start + end - 1) / 2
            for k in start..<end { ranks[order[k]] = mean }
            start = end
        }
        return ranks
    }
}

/// Running statistics of observations (count, sum, sum of squares per component) and the
/// normalisation they define, as in the ES (Salimans et al. 2017) and ARS (Mania et al. 2018)
/// papers: `clip((o − mean) / std, −5, 5)` with the variance floored at 0.01.
///
/// Part of the training state every worker holds, so it must only change the same way on
/// every worker (``LocomotionWorker`` feeds it the centre policy's episode, which all of them run).
public struct ObservationStatistics: Sendable, Hashable, Codable {
    public private(set) var count: Int
    public private(set) var sums: [Double]
    public private(set) var sumsOfSquares: [Double]

    public init(width: Int) {
        count = 0
        sums = [Double](repeating: 0, count: width)
        sumsOfSquares = sums
    }

    public var width: Int { sums.count }

    public mutating func add(_ observation: [Double]) {
        precondition(observation.count == width, "observations have \(width) values, got \(observation.count)")
        count += 1
        for index in observation.indices {
            sums[index] += observation[index]
            sumsOfSquares[index] += observation[index] * observation[index]
        }
    }

    /// `observation` normalised (the identity before the first observation), as the policy's input.
    public func normalize(_ observation: [Double]) -> [Float] {
        guard count > 0 else { return observation.map { Float(min(max($0, -5), 5)) } }
        let n = Double(count)
        return observation.indices.map { index in
            let mean = sums[index] / n
            let variance = max(sumsOfSquares[index] / n - mean * mean, 1e-2)
            return Float(min(max((observation[index] - mean) / variance.squareRoot(), -5), 5))
        }
    }
}

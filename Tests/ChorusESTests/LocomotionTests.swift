import Testing
@testable import ChorusES

/// The parts of the MuJoCo tasks that need no MuJoCo: normalisation, start-state noise, Hopper's
/// health rule. (Stepping the tasks is checked against Gymnasium in `Tests/Interop`.)
@Suite struct LocomotionTests {
    @Test func observationsAreStandardizedWithAFlooredVarianceAndClipped() {
        var statistics = ObservationStatistics(width: 3)
        #expect(statistics.normalize([1, -7, 0.5]) == [1, -5, 0.5], "before any observation: clipped identity")
        for observation: [Double] in [[1, 10, 3], [3, 10, 3.2], [5, 10, 2.8]] {
            statistics.add(observation)
        }
        // Means 3, 10, 3; variances 8/3, 0 (floored to 0.01), 0.08/3 (above the floor).
        let normalized = statistics.normalize([7, 10.3, 3.1])
        #expect(abs(normalized[0] - Float(4 / (8.0 / 3).squareRoot())) < 1e-6)
        #expect(abs(normalized[1] - 3) < 1e-5)
        #expect(abs(normalized[2] - Float(0.1 / (0.08 / 3).squareRoot())) < 1e-5)
        #expect(statistics.normalize([100, 10, 3]) [0] == 5)
        #expect(statistics.count == 3)
    }

    @Test func normalValuesHaveMeanZeroAndVarianceOne() {
        var random = PhiloxRandom(seed: 11, stream: 3)
        let values = (0 ..< 200_000).map { _ in random.normal() }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.01)
        #expect(values.filter { abs($0) > 3 }.count < values.count / 200, "tails as thin as a normal's (0.27 %)")
    }

    @Test func hopperIsHealthyOnlyInsideItsOpenRanges() {
        let velocities = [Double](repeating: 0, count: 6)
        func healthy(_ positions: [Double], _ velocities: [Double] = velocities) -> Bool {
            Locomotion.hopper.isHealthy(positions: positions, velocities: velocities)
        }
        #expect(healthy([0, 1.25, 0, 0, 0, 0]))
        #expect(!healthy([0, 0.7, 0, 0, 0, 0]), "height 0.7 is not above 0.7")
        #expect(!healthy([0, 1.25, 0.2, 0, 0, 0]), "angle 0.2 is outside (−0.2, 0.2)")
        #expect(!healthy([0, 1.25, -0.2, 0, 0, 0]))
        #expect(!healthy([0, 1.25, 0, 0, 0, 0], [0, 0, 0, 100, 0, 0]), "a velocity of 100 is out of range")
        #expect(healthy([500, 1.25, 0, 0, 0, 0]), "the forward position is not checked")
        #expect(Locomotion.halfCheetah.isHealthy(positions: [0, -9, 3], velocities: []), "HalfCheetah never ends early")
    }

    @Test func taskRulesAreGymnasiumsV5Ones() {
        #expect(Locomotion.halfCheetah.frameSkip == 5 && Locomotion.hopper.frameSkip == 4)
        #expect(Locomotion.halfCheetah.controlCostWeight == 0.1 && Locomotion.hopper.controlCostWeight == 1e-3)
        #expect(Locomotion.halfCheetah.healthyReward == nil && Locomotion.hopper.healthyReward == 1)
        #expect(Locomotion.allCases.map(\.modelFile) == ["half_cheetah.xml", "hopper.xml"])
    }
}

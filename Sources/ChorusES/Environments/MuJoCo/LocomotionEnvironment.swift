/// One episode at a time of a ``Locomotion`` task on its own ``MuJoCoSimulation``, stepping,
/// observing and rewarding exactly as Gymnasium's v5 environment does (checked step by step
/// against it in `Tests/Interop/test_mujoco_gymnasium.py`).
public final class LocomotionEnvironment {
    public let task: Locomotion
    public let model: MuJoCoModel
    private let simulation: MuJoCoSimulation
    /// Steps taken in the current episode.
    public private(set) var steps = 0

    /// The outcome of one step.
    public struct Step: Sendable, Equatable {
        public let reward: Double
        public let terminated: Bool
        public let truncated: Bool
        public var isDone: Bool { terminated || truncated }
    }

    /// `model` must be one `task` can run (``Locomotion/check(_:)``).
    public init(task: Locomotion, model: MuJoCoModel) {
        precondition((try? task.check(model)) != nil, "\(model.file) is not a \(task.rawValue) model")
        self.task = task
        self.model = model
        simulation = model.makeSimulation()
    }

    /// Starts an episode from a start state drawn as Gymnasium draws it.
    public func reset(using random: inout PhiloxRandom) {
        let start = task.startState(of: model, using: &random)
        reset(positions: start.positions, velocities: start.velocities)
    }

    /// Starts an episode from the given state.
    public func reset(positions: [Double], velocities: [Double]) {
        simulation.reset()
        simulation.setState(positions: positions, velocities: velocities)
        steps = 0
    }

    /// Positions without the forward one, then velocities (clipped where the task says so).
    public var observation: [Double] {
        let velocities = simulation.velocities
        let observed = task.observedVelocityLimit.map { limit in velocities.map { min(max($0, -limit), limit) } } ?? velocities
        return Array(simulation.positions.dropFirst()) + observed
    }

    /// `qpos` and `qvel`, for checks.
    public var state: (positions: [Double], velocities: [Double]) {
        (simulation.positions, simulation.velocities)
    }

    /// Applies `action` (one value per actuator; MuJoCo clamps it to the control range, the
    /// cost is on the value given) for the task's frame skip.
    public func step(_ action: [Double]) -> Step {
        let before = simulation.positions[0]
        simulation.step(controls: action, frames: task.frameSkip)
        steps += 1
        let (positions, velocities) = (simulation.positions, simulation.velocities)
        let velocity = (positions[0] - before) / (model.timestep * Double(task.frameSkip))
        let cost = task.controlCostWeight * action.reduce(0) { $0 + $1 * $1 }
        // Tasks without a health rule (HalfCheetah) are always healthy and earn nothing for it.
        let healthy = task.healthyReward == nil || task.isHealthy(positions: positions, velocities: velocities)
        let survival = healthy ? task.healthyReward ?? 0 : 0
        let reward = task.forwardRewardWeight * velocity + survival - cost
        return Step(reward: reward, terminated: !healthy, truncated: steps >= task.maxSteps)
    }
}

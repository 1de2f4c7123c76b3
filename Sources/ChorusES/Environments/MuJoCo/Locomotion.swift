/// The MuJoCo locomotion tasks Chorus runs, with the rules of Gymnasium's v5 versions of them:
/// model file, frame skip, reward weights, reset noise, health checks and the 1,000-step limit.
public enum Locomotion: String, Sendable, CaseIterable {
    case halfCheetah = "HalfCheetah-v5"
    case hopper = "Hopper-v5"

    /// Gymnasium's model file (in `gymnasium/envs/mujoco/assets/`).
    public var modelFile: String {
        switch self {
        case .halfCheetah: "half_cheetah.xml"
        case .hopper: "hopper.xml"
        }
    }

    /// Simulation steps per environment step.
    public var frameSkip: Int {
        switch self {
        case .halfCheetah: 5
        case .hopper: 4
        }
    }

    /// Steps after which an episode is truncated (Gymnasium's `max_episode_steps`).
    public var maxSteps: Int { 1000 }

    public var forwardRewardWeight: Double { 1 }

    /// Weight of `Σ action²` in the cost.
    public var controlCostWeight: Double {
        switch self {
        case .halfCheetah: 0.1
        case .hopper: 1e-3
        }
    }

    /// Reward per step while healthy (and the episode ends when not), or nil: never ends early.
    public var healthyReward: Double? {
        switch self {
        case .halfCheetah: nil
        case .hopper: 1
        }
    }

    /// Bound on the velocities in the observation (Hopper clips them to ±10).
    public var observedVelocityLimit: Double? {
        switch self {
        case .halfCheetah: nil
        case .hopper: 10
        }
    }

    /// Throws unless `model` has what the task reads: a forward position (and for Hopper a
    /// height and an angle) and at least one control.
    public func check(_ model: MuJoCoModel) throws {
        guard model.positionCount >= (self == .hopper ? 3 : 1), model.controlCount >= 1 else {
            throw MuJoCoError("""
                \(model.file) has \(model.positionCount) positions and \(model.controlCount) controls: \
                not a \(rawValue) model
                """)
        }
    }

    /// The observation: positions without the first (the forward position), then velocities.
    public func observationCount(of model: MuJoCoModel) -> Int {
        model.positionCount - 1 + model.velocityCount
    }

    /// A start state as Gymnasium's `reset_model` draws it around the model's reference state:
    /// HalfCheetah positions + U(−0.1, 0.1), velocities + 0.1·N(0, 1); Hopper both + U(−0.005, 0.005).
    public func startState(of model: MuJoCoModel, using random: inout PhiloxRandom) -> (positions: [Double], velocities: [Double]) {
        switch self {
        case .halfCheetah:
            (model.initialPositions.map { $0 + random.uniform(-0.1, 0.1) },
             model.initialVelocities.map { $0 + 0.1 * random.normal() })
        case .hopper:
            (model.initialPositions.map { $0 + random.uniform(-5e-3, 5e-3) },
             model.initialVelocities.map { $0 + random.uniform(-5e-3, 5e-3) })
        }
    }

    /// Hopper's health: every state value after the first two within (−100, 100), height above
    /// 0.7 and torso angle within (−0.2, 0.2).
    func isHealthy(positions: [Double], velocities: [Double]) -> Bool {
        guard self == .hopper else { return true }
        let rest = positions.dropFirst(2) + velocities
        return rest.allSatisfy { -100 < $0 && $0 < 100 } && positions[1] > 0.7 && -0.2 < positions[2] && positions[2] < 0.2
    }
}

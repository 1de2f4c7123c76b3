#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cart-pole balancing task with Gymnasium's `CartPole-v1` dynamics: the same constants,
/// explicit Euler steps of 0.02 s, termination when |x| > 2.4 or |θ| > 12°, reward 1 per step
/// (the terminating step included), truncation after 500 steps. State in binary64, observations
/// rounded to binary32, as Gymnasium does.
public struct CartPole: Sendable {
    public static let gravity = 9.8
    public static let cartMass = 1.0
    public static let poleMass = 0.1
    public static let totalMass = poleMass + cartMass
    /// Half the pole's length.
    public static let length = 0.5
    public static let poleMassLength = poleMass * length
    public static let forceMagnitude = 10.0
    public static let tau = 0.02
    public static let thetaThreshold = 12 * 2 * Double.pi / 360
    public static let xThreshold = 2.4
    public static let maxSteps = 500

    /// `(x, ẋ, θ, θ̇)`.
    public private(set) var state: SIMD4<Double>
    /// Steps taken since the start state.
    public private(set) var steps = 0

    /// An episode starting from `state`.
    public init(state: SIMD4<Double>) {
        self.state = state
    }

    /// An episode starting, as Gymnasium's reset does, from four values uniform in [−0.05, 0.05).
    public init(using random: inout PhiloxRandom) {
        self.init(state: SIMD4((0..<4).map { _ in random.uniform(-0.05, 0.05) }))
    }

    public var observation: [Float] {
        [Float(state[0]), Float(state[1]), Float(state[2]), Float(state[3])]
    }

    /// The outcome of one step.
    public struct Step: Sendable, Equatable {
        public let reward: Double
        public let terminated: Bool
        public let truncated: Bool
        public var isDone: Bool { terminated || truncated }
    }

    /// Pushes the cart left (`0`) or right (`1`) for one time step.
    public mutating func step(_ action: Int) -> Step {
        precondition(action == 0 || action == 1, "CartPole actions are 0 and 1, got \(action)")
        let (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3])
        let force = action == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta)
        let sinTheta = sin(theta)
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.poleMass * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        state = SIMD4(
            x + Self.tau * xDot,
            xDot + Self.tau * xAcc,
            theta + Self.tau * thetaDot,
            thetaDot + Self.tau * thetaAcc
        )
        steps += 1
        let terminated = state[0] < -Self.xThreshold || state[0] > Self.xThreshold
            || state[2] < -Self.thetaThreshold || state[2] > Self.thetaThreshold
        return Step(reward: 1, terminated: terminated, truncated: steps >= Self.maxSteps)
    }
}

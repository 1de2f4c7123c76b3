/// The fitness of a policy on ``CartPole``: its mean return over a few episodes whose start
/// states are drawn reproducibly from `(seed, epoch, pair)`, so the two members of an antithetic
/// pair face the same starts (common random numbers) and any worker computes the same reward.
public struct CartPoleTask: Sendable {
    public let policy: MLPPolicy
    public let episodes: Int
    public let seed: UInt64

    public init(policy: MLPPolicy = MLPPolicy(sizes: [4, 2]), episodes: Int = 3, seed: UInt64 = 0) {
        precondition(episodes >= 1, "a fitness needs at least one episode")
        self.policy = policy
        self.episodes = episodes
        self.seed = seed
    }

    /// Mean return of member `member` of epoch `epoch`.
    public func fitness(of parameters: PerturbedParameters, epoch: Int, member: Int) -> Float {
        var random = PhiloxRandom(seed: seed, stream: UInt64(epoch) << 32 | UInt64(member / 2))
        return meanReturn(of: parameters, random: &random, episodes: episodes)
    }

    /// Mean return over `episodes` episodes no training evaluation sees (start states from
    /// Philox key `seed ^ 0xE7A1`, stream 0), for judging a trained policy.
    public func freshReturn(of parameters: PerturbedParameters, episodes: Int = 20) -> Float {
        var random = PhiloxRandom(seed: seed ^ 0xE7A1, stream: 0)
        return meanReturn(of: parameters, random: &random, episodes: episodes)
    }

    /// Mean return over `episodes` episodes with start states from `random`.
    public func meanReturn(of parameters: PerturbedParameters, random: inout PhiloxRandom, episodes: Int) -> Float {
        var total = 0.0
        for _ in 0..<episodes {
            var environment = CartPole(using: &random)
            while true {
                let step = environment.step(policy.action(for: environment.observation, parameters: parameters))
                total += step.reward
                if step.isDone { break }
            }
        }
        return Float(total / Double(episodes))
    }
}

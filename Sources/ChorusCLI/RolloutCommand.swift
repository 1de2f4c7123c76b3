import ArgumentParser
import Chorus
import ChorusES
import Foundation
import Synchronization

/// `chorus rollout`: plays CartPole with a policy and streams 16-step trajectories, built with
/// `TrajectoryAccumulator`, to a learner over TCP: the data plane's producer side.
struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Play CartPole and stream trajectories to a learner (schema Schemas/cartpole-trajectory.json)."
    )

    @Option(help: "The learner's address.") var host = "127.0.0.1"
    @Option(help: "The learner's port (Chorus wire v2).") var port: Int
    @Option(help: "How long to play, in seconds (0: until SIGINT or SIGTERM).") var seconds = 3.0
    @Option(help: "A file with the learner's v2 shared secret.") var secretFile: String?
    @Option(help: "A checkpoint of a CartPole ES run whose policy plays (default: the untrained policy).")
    var checkpoint: String?
    @Option(help: "Seed of the episodes' start states.") var episodeSeed: UInt64 = 1
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        guard seconds >= 0 else { throw ValidationError("--seconds must be 0 (until stopped) or positive") }
    }

    /// 16 steps and the last finished episode's length and return, as in Schemas/cartpole-trajectory.json.
    static let schema = try! Schema([
        "episode": ["length": .leaf(.int32), "return": .leaf(.float32)],
        "step": [
            "action": .leaf(.int64, 16), "done": .leaf(.bool, 16), "obs": .leaf(.float32, 16, 4), "reward": .leaf(.float32, 16),
        ],
    ])

    func run() throws {
        StopSignals.blockInEveryThread()
        let stopped = StopRequest()
        StopSignals.onSignal { stopped.flag.store(true, ordering: .relaxed) }
        let policy = training.policy
        var parameters = policy.initialParameters
        if let checkpoint {
            guard let saved = try Checkpoint.load(from: checkpoint) else { throw CommandFailure("no checkpoint at \(checkpoint)") }
            parameters = try WorkerHost<ESWorker>.decode(saved.state).parameters
        }
        let player = PerturbedParameters(layout: policy.layout, center: parameters)
        let client = try TcpClient(host: host, port: port, schema: Self.schema, secret: try loadSecret(secretFile))
        var trajectory = try TrajectoryAccumulator(schema: Self.schema)
        var step = Sample(schema: try trajectory.itemSchema(of: "step"))
        var episode = Sample(schema: try trajectory.itemSchema(of: "episode"))
        var random = PhiloxRandom(seed: episodeSeed, stream: UInt64(getpid()))
        var environment = CartPole(using: &random)
        var (filled, sent, episodes, episodeReturn, episodeEnded) = (0, 0, 0, Float(0), false)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = seconds > 0 ? start + .milliseconds(Int(seconds * 1000)) : nil
        while !stopped.flag.load(ordering: .relaxed), deadline.map({ clock.now < $0 }) ?? true {
            let observation = environment.observation
            let action = policy.action(for: observation, parameters: player)
            let outcome = environment.step(action)
            episodeReturn += Float(outcome.reward)
            try step.set("obs", to: observation)
            try step.set("action", to: Int64(action))
            try step.set("reward", to: Float(outcome.reward))
            try step.set("done", to: outcome.isDone)
            try trajectory.add("step", step)
            filled += 1
            if outcome.isDone {
                try episode.set("length", to: Int32(environment.steps))
                try episode.set("return", to: episodeReturn)
                episodeEnded = true  // several may end within a trajectory: it carries the last
                environment = CartPole(using: &random)
                episodeReturn = 0
                episodes += 1
            }
            if filled == 16 {
                if episodeEnded { try trajectory.add("episode", episode) }
                episodeEnded = false
                try trajectory.withBuilt { try client.send($0) }
                filled = 0
                sent += 1
            }
        }
        try client.wait()
        client.close()
        let elapsed = String(format: "%.1f", (clock.now - start) / .seconds(1))
        say("rollout: \(sent) trajectories (\(sent * 16) steps, \(episodes) episodes) sent in \(elapsed) s")
    }
}

/// Set by the signal thread when SIGINT or SIGTERM asks the rollout to end.
private final class StopRequest: Sendable {
    let flag = Atomic<Bool>(false)
}

import ArgumentParser
import ChorusES

/// `chorus env cartpole`, `chorus env mujoco TASK`: steps Chorus's environments from commands on standard input, so
/// other implementations (Gymnasium) can be checked against them step by step.
struct EnvironmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Step an ES environment from commands on standard input.",
        subcommands: [CartPoleReplay.self, MuJoCoReplay.self]
    )

    struct CartPoleReplay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cartpole",
            abstract: "Run CartPole (Gymnasium CartPole-v1 dynamics) from standard input.",
            discussion: """
                Each input line is `reset X XDOT THETA THETADOT` (start an episode from that \
                state) or `step ACTION` (0 or 1). Each `step` prints the new state and the flags: \
                `X XDOT THETA THETADOT TERMINATED TRUNCATED`, floats in round-trip precision.
                """
        )

        func run() throws {
            var environment: CartPole?
            var lineNumber = 0
            while let line = readLine() {
                lineNumber += 1
                let words = line.split(separator: " ")
                switch (words.first, words.count) {
                case ("reset", 5):
                    let values = words.dropFirst().compactMap { Double($0) }
                    guard values.count == 4 else { throw CommandFailure("line \(lineNumber): reset needs four numbers") }
                    environment = CartPole(state: SIMD4(values))
                case ("step", 2):
                    guard let action = Int(words[1]), action == 0 || action == 1 else {
                        throw CommandFailure("line \(lineNumber): the action must be 0 or 1")
                    }
                    guard environment != nil else { throw CommandFailure("line \(lineNumber): step before reset") }
                    let step = environment!.step(action)
                    let state = environment!.state
                    say("\(state[0]) \(state[1]) \(state[2]) \(state[3]) \(step.terminated) \(step.truncated)")
                case (nil, _):
                    continue
                default:
                    throw CommandFailure("line \(lineNumber): expected `reset X XDOT THETA THETADOT` or `step ACTION`")
                }
            }
        }
    }

    struct MuJoCoReplay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mujoco",
            abstract: "Run a MuJoCo locomotion task (Gymnasium v5 rules) from standard input.",
            discussion: """
                Each input line is `reset Q1 … Qn V1 … Vm` (start an episode from those positions \
                and velocities) or `step A1 … Ak` (one action). Each `step` prints \
                `Q1 … Qn V1 … Vm | O1 … Oj | REWARD TERMINATED TRUNCATED`: the new state, the \
                observation and the outcome, floats in round-trip precision.
                """
        )

        @Argument(help: "The task: \(Locomotion.allCases.map(\.rawValue).joined(separator: ", ")).")
        var task: Locomotion
        @OptionGroup var mujoco: MuJoCoOptions

        func run() throws {
            let model = try mujoco.loadTask(task).model
            let environment = LocomotionEnvironment(task: task, model: model)
            let (positions, controls) = (model.positionCount, model.controlCount)
            var started = false
            var lineNumber = 0
            while let line = readLine() {
                lineNumber += 1
                let words = line.split(separator: " ")
                let values = words.dropFirst().compactMap { Double($0) }
                switch (words.first, values.count == words.count - 1) {
                case ("reset", true) where values.count == positions + model.velocityCount:
                    environment.reset(positions: Array(values.prefix(positions)), velocities: Array(values.dropFirst(positions)))
                    started = true
                case ("step", true) where values.count == controls:
                    guard started else { throw CommandFailure("line \(lineNumber): step before reset") }
                    let step = environment.step(values)
                    let state = environment.state
                    let numbers = { (values: [Double]) in values.map { "\($0)" }.joined(separator: " ") }
                    say("\(numbers(state.positions + state.velocities)) | \(numbers(environment.observation)) | "
                        + "\(step.reward) \(step.terminated) \(step.truncated)")
                case (nil, _):
                    continue
                default:
                    throw CommandFailure("""
                        line \(lineNumber): expected `reset` with \(positions + model.velocityCount) numbers or `step` with \(controls)
                        """)
                }
            }
        }
    }
}

extension Locomotion: ExpressibleByArgument {}

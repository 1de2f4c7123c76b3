import ArgumentParser
import ChorusES

/// `chorus env cartpole`: steps Chorus's environments from commands on standard input, so
/// other implementations (Gymnasium) can be checked against them step by step.
struct EnvironmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Step an ES environment from commands on standard input.",
        subcommands: [CartPoleReplay.self]
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
}

import ArgumentParser

/// `chorus`: the command-line tool of the Chorus package.
@main
struct ChorusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chorus",
        abstract: "Stream RL experience from rollout workers into a learner's ring buffer.",
        subcommands: [ServeCommand.self, LoadCommand.self, SchemaCommand.self, CoordinatorCommand.self, WorkerCommand.self, RolloutCommand.self, EnvironmentCommand.self, DemoCommand.self]
    )
}

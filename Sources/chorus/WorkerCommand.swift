import ArgumentParser
import ChorusEvochi
import Foundation

/// `chorus worker`: a Swift ES worker that joins an Evochi v1 coordinator.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join an Evochi v1 coordinator as an ES worker (gRPC).",
        discussion: "Every worker of a run needs the same training options (they all apply the same update)."
    )

    enum Environment: String, ExpressibleByArgument, CaseIterable {
        case cartpole
    }

    @Option(help: "The environment.") var env = Environment.cartpole
    @Option(help: "Most members evaluated per task.") var cores = 4
    @Option(help: "The coordinator's address.") var host = "127.0.0.1"
    @Option(help: "The coordinator's port.") var port = 8080
    @Option(help: "File with the coordinator's join secret.") var joinSecretFile: String?
    @OptionGroup var training: CartPoleTraining
    @Flag(help: "Print nothing but errors.") var quiet = false

    func validate() throws {
        guard cores >= 1 else { throw ValidationError("--cores must be at least 1") }
    }

    func run() throws {
        let secret = try loadSecret(joinSecretFile).map { String(decoding: $0, as: UTF8.self) }
        let client = EvochiWorkerClient(host: host, port: port, cores: cores, joinSecret: secret)
        let training = self.training
        let quiet = self.quiet
        try waitFor {
            try await client.run(log: { line in if !quiet { say("worker: \(line)") } }) { training.makeWorker() }
        }
    }
}

import ChorusCore
import ChorusES
import ChorusTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import Testing
@testable import ChorusEvochi

@Suite struct EvochiCoordinatorTests {
    static let policy = MLPPolicy(sizes: [4, 2])

    static func makeWorker() -> ESWorker {
        let trainer = ESTrainer(
            strategy: EGGROLL(layout: policy.layout, noise: Noise(seed: 3), sigma: 0.1),
            optimizer: Adam(learningRate: 0.05)
        )
        let task = CartPoleTask(policy: policy, episodes: 1, seed: 3)
        return ESWorker(trainer: trainer, initialParameters: policy.initialParameters) { parameters, epoch, member in
            task.fitness(of: parameters, epoch: epoch, member: member)
        }
    }

    static let engine = EngineConfiguration(populationSize: 16, maxEpochs: 4, shareInterval: 2)

    /// Starts a coordinator on a free port; returns it, its port and the task serving it.
    static func start(
        _ configuration: EvochiConfiguration, logger: Logger = Logger(label: "chorus.coordinator")
    ) async throws -> (EvochiCoordinator, Int, Task<Void, any Error>) {
        let coordinator = try EvochiCoordinator(configuration: configuration, logger: logger)
        let (ports, portOutlet) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await coordinator.run { portOutlet.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (coordinator, port, serving)
    }

    static func makeGAWorker() -> GAWorker {
        let task = CartPoleTask(policy: policy, episodes: 1, seed: 3)
        return GAWorker(algorithm: GeneticAlgorithm(populationSize: 16, truncation: 4, seed: 3),
                        decoder: GenomeDecoder(layout: policy.layout, sigma: 0.1, initialization: .scaledNormal)) { parameters, epoch, member in
            task.fitness(of: parameters, epoch: epoch, member: member)
        }
    }

    /// The run's final checkpoint with two Swift workers over gRPC, and with one in-process worker.
    static func finalCheckpoints<W: Worker>(
        _ makeWorker: @escaping @Sendable () -> W
    ) async throws -> (overGRPC: Checkpoint, inProcess: Checkpoint) where W.State: Sendable {
        let (coordinator, port, serving) = try await Self.start(EvochiConfiguration(engine: Self.engine, port: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for cores in [3, 5] {
                group.addTask { try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: cores).run(makeWorker: makeWorker) }
            }
            try await group.waitForAll()
        }
        try await serving.value
        let overGRPC = try #require(await coordinator.checkpoint)
        #expect(await coordinator.phase == .stopped)
        #expect(overGRPC.stateEpoch == Self.engine.maxEpochs + 1)
        return (overGRPC, try await LocalCluster(configuration: Self.engine, cores: [4]) { _ in makeWorker() }.run())
    }

    @Test func swiftWorkersOverGRPCEndInTheStateOfAnInProcessRun() async throws {
        let (overGRPC, inProcess) = try await Self.finalCheckpoints(Self.makeWorker)
        #expect(overGRPC.state == inProcess.state)
    }

    @Test func theGeneticAlgorithmRunsOverGRPCToo() async throws {
        let (overGRPC, inProcess) = try await Self.finalCheckpoints(Self.makeGAWorker)
        let state = try WorkerHost<GAWorker>.decode(overGRPC.state)
        #expect(state == (try WorkerHost<GAWorker>.decode(inProcess.state)))
        #expect(state.population.count == 16 && state.population.dropFirst().allSatisfy { $0.seeds.count >= 2 })
    }

    /// Joins, epochs (with their rewards and the checkpoint written) and refusals go to swift-log.
    @Test func joinsEpochsAndRefusalsAreLogged() async throws {
        let log = CapturedLog()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID()).checkpoint").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var engine = Self.engine
        engine.checkpointPath = path
        let (_, port, serving) = try await Self.start(EvochiConfiguration(engine: engine, port: 0, joinSecret: "s"),
                                                      logger: log.logger(level: .info))
        await #expect(throws: (any Error).self) {
            try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: 2).run(makeWorker: Self.makeWorker)
        }
        try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: 4, joinSecret: "s").run(makeWorker: Self.makeWorker)
        try await serving.value
        let lines = log.captured
        let epochs = lines.filter { $0.message == "epoch finished" }
        #expect(epochs.compactMap { $0.metadata["epoch"].flatMap { Int($0) } } == Array(1...engine.maxEpochs))
        #expect(epochs.allSatisfy { $0.level == .info && $0.metadata["checkpoint"] == path && $0.metadata["reward_max"] != nil })
        #expect(lines.contains { $0.level == .info && $0.message.contains("joined with 4 cores") })
        #expect(lines.contains { $0.level == .warning && $0.message.contains("join secret") })
        #expect(!lines.contains { $0.level == .debug }, "the logger's level holds")
    }

    /// Records whether every hook runs on a hook thread, then does what an ES worker does.
    final class ThreadRecordingWorker: Worker {
        let base = EvochiCoordinatorTests.makeWorker()
        let onHookThread: Locked<[Bool]>

        init(onHookThread: Locked<[Bool]>) {
            self.onHookThread = onHookThread
        }

        private func record() { onHookThread.withLock { $0.append(HookThread.isCurrent) } }

        func initialize() throws -> ESWorker.State {
            record()
            return base.initialize()
        }

        func evaluate(_ state: ESWorker.State, epoch: Int, slices: [MemberRange]) throws -> [Evaluation] {
            record()
            return base.evaluate(state, epoch: epoch, slices: slices)
        }

        func optimize(_ state: ESWorker.State, epoch: Int, rewards: [Float]) throws -> ESWorker.State {
            record()
            return base.optimize(state, epoch: epoch, rewards: rewards)
        }
    }

    /// Hooks are CPU-bound: they run on the client's own thread, never on the concurrency pool
    /// that carries the heartbeats and the stream.
    @Test func workerHooksRunOnTheirOwnThread() async throws {
        let (_, port, serving) = try await Self.start(EvochiConfiguration(engine: Self.engine, port: 0))
        let onHookThread = Locked<[Bool]>([])
        try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: 4).run {
            ThreadRecordingWorker(onHookThread: onHookThread)
        }
        try await serving.value
        let hooks = onHookThread.withLock { $0 }
        #expect(hooks.count >= 1 + 2 * Self.engine.maxEpochs, "initialize, then an evaluate and an optimize each epoch")
        #expect(hooks.allSatisfy { $0 })
        #expect(!HookThread.isCurrent, "a test task is not a hook thread")
    }

    @Test func callsWithoutAValidTokenAreRefused() async throws {
        let (coordinator, port, serving) = try await Self.start(EvochiConfiguration(engine: Self.engine, port: 0))
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { grpc in
            let client = Evochi_V1_EvochiService.Client(wrapping: grpc)
            for metadata: Metadata in [[:], ["authorization": "Bearer nope"], ["authorization": "nope"]] {
                let error = await #expect(throws: RPCError.self) {
                    try await client.heartbeat(request: ClientRequest(message: .with { $0.seqID = 1 }, metadata: metadata))
                }
                #expect(error?.code == .unauthenticated)
            }
        }
        await coordinator.stop()
        try await serving.value
    }

    /// The wire behaviour a 0.1.4 worker depends on: HELLO first with a token, then tasks; a bad
    /// result is an error status, a duplicate one is `ok = false`, not an error.
    @Test func finishCallsAreAnsweredAsThePythonWorkerNeeds() async throws {
        let (coordinator, port, serving) = try await Self.start(EvochiConfiguration(engine: Self.engine, port: 0))
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { grpc in
            let client = Evochi_V1_EvochiService.Client(wrapping: grpc)
            try await client.subscribe(request: ClientRequest(message: .with { $0.cores = 16 })) { response in
                var events = response.messages.makeAsyncIterator()
                let hello = try #require(try await events.next())
                #expect(hello.type == .hello && !hello.hello.hasState && hello.hello.populationSize == 16)
                #expect(hello.hello.heartbeatInterval >= 1)
                var metadata = Metadata()
                metadata.addString("Bearer \(hello.hello.token)", forKey: "authorization")

                let initialize = try #require(try await events.next())
                #expect(initialize.type == .initialize)
                let initialized = try await client.finishInitialization(request: ClientRequest(
                    message: .with { $0.taskID = initialize.initialize.taskID; $0.state = Data([1, 2, 3]) }, metadata: metadata))
                #expect(initialized.ok)

                let first = try #require(try await events.next())
                #expect(first.type == .evaluate && first.evaluate.epoch == 1)
                #expect(first.evaluate.slices.map { [$0.start, $0.end] } == [[0, 16]])
                let short = Evochi_V1_FinishEvaluationRequest.with {
                    $0.taskID = first.evaluate.taskID
                    $0.evaluations = [.with { $0.slice = first.evaluate.slices[0]; $0.rewards = [1, 2] }]
                }
                let refusal = await #expect(throws: RPCError.self) {
                    try await client.finishEvaluation(request: ClientRequest(message: short, metadata: metadata))
                }
                #expect(refusal?.code == .invalidArgument)

                // The refused slices are handed out again.
                let second = try #require(try await events.next())
                #expect(second.type == .evaluate && second.evaluate.slices.map { [$0.start, $0.end] } == [[0, 16]])
                let full = Evochi_V1_FinishEvaluationRequest.with {
                    $0.taskID = second.evaluate.taskID
                    $0.evaluations = [.with { $0.slice = second.evaluate.slices[0]; $0.rewards = Array(repeating: 1, count: 16) }]
                }
                #expect(try await client.finishEvaluation(request: ClientRequest(message: full, metadata: metadata)).ok)
                #expect(try await !client.finishEvaluation(request: ClientRequest(message: full, metadata: metadata)).ok)

                let optimize = try #require(try await events.next())
                #expect(optimize.type == .optimize && optimize.optimize.rewards == Array(repeating: 1, count: 16))
            }
        }
        await coordinator.stop()
        try await serving.value
    }

    @Test func aJoinSecretKeepsOutsidersOut() async throws {
        let configuration = EvochiConfiguration(engine: Self.engine, port: 0, joinSecret: "s3cret")
        let (coordinator, port, serving) = try await Self.start(configuration)
        let error = await #expect(throws: RPCError.self) {
            try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: 2, joinSecret: "wrong").run { Self.makeWorker() }
        }
        #expect(error?.code == .permissionDenied)
        await coordinator.stop()
        try await serving.value
    }
}

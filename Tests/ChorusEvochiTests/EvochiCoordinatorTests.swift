import ChorusES
import GRPCCore
import GRPCNIOTransportHTTP2Posix
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
    static func start(_ configuration: EvochiConfiguration) async throws -> (EvochiCoordinator, Int, Task<Void, any Error>) {
        let coordinator = try EvochiCoordinator(configuration: configuration)
        let (ports, portOutlet) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await coordinator.run { portOutlet.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (coordinator, port, serving)
    }

    @Test func swiftWorkersOverGRPCEndInTheStateOfAnInProcessRun() async throws {
        let (coordinator, port, serving) = try await Self.start(EvochiConfiguration(engine: Self.engine, port: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for cores in [3, 5] {
                group.addTask {
                    try await EvochiWorkerClient(host: "127.0.0.1", port: port, cores: cores).run { Self.makeWorker() }
                }
            }
            try await group.waitForAll()
        }
        try await serving.value
        let overGRPC = try #require(await coordinator.checkpoint)
        #expect(await coordinator.phase == .stopped)

        let local = try await LocalCluster(configuration: Self.engine, cores: [4]) { _ in Self.makeWorker() }.run()
        #expect(overGRPC.stateEpoch == Self.engine.maxEpochs + 1)
        #expect(overGRPC.state == local.state)
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

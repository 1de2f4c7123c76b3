import ChorusCore
import ChorusES
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing
@testable import ChorusEvochi

/// The no-barrier GA over gRPC: workers that join late and leave mid-run, and the refusals a
/// worker's bad reports get.
@Suite(.timeLimit(.minutes(2))) struct SteadyStateCoordinatorTests {
    /// A worker whose fitness is its genome's length (cheap, and it rewards descendants).
    final class CountingWorker: SteadyStateWorker {
        let delay: Double
        init(delay: Double = 0) { self.delay = delay }
        func evaluate(_ individuals: [SteadyStateEngine.Individual]) -> [Float] {
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return individuals.map { Float($0.genome.seeds.count) }
        }
    }

    static func start(_ engine: SteadyStateEngine.Configuration, secret: String? = nil) async throws
        -> (SteadyStateCoordinator, Int, Task<Void, any Error>)
    {
        let coordinator = SteadyStateCoordinator(configuration: .init(engine: engine, port: 0, joinSecret: secret))
        let (ports, portOutlet) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await coordinator.run { portOutlet.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        return (coordinator, try #require(await iterator.next()), serving)
    }

    @Test func workersLeavingAndJoiningMidRunLeaveNoIndividualUnevaluated() async throws {
        let budget = 400
        let (coordinator, port, serving) = try await Self.start(.init(poolSize: 8, evaluations: budget, seed: 1,
                                                                      reevaluationInterval: 32))
        let client = SteadyStateWorkerClient(host: "127.0.0.1", port: port, cores: 3)
        let steady = Task { try await client.run { CountingWorker(delay: 0.002) } }
        // One worker leaves mid-run holding individuals (its task is cancelled: its stream ends)...
        let leaver = Task { try await client.run { CountingWorker(delay: 0.05) } }
        try await Task.sleep(for: .milliseconds(300))
        leaver.cancel()
        _ = await leaver.result
        // ... and one joins after.
        let joiner = Task { try await SteadyStateWorkerClient(host: "127.0.0.1", port: port, cores: 2).run { CountingWorker() } }
        let outcomes = [try await steady.value, try await joiner.value]
        try await serving.value
        let summary = await coordinator.summary
        #expect(summary.evaluated == budget)
        #expect(outcomes.allSatisfy { $0.evaluated == budget })
        #expect(summary.resultsByWorker.values.reduce(0, +) == budget + summary.reevaluated,
                "every result accepted counts once: nothing lost, nothing twice")
        #expect(summary.reevaluated > 0)
        #expect(summary.best?.genome.seeds.count == Int(summary.best?.fitness ?? 0))
    }

    @Test func badReportsAreRefusedWithTheReasonAndChangeNothing() async throws {
        let (coordinator, port, serving) = try await Self.start(.init(poolSize: 4, evaluations: 20, seed: 2), secret: "s")
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { grpc in
            let client = Chorus_Steadystate_V1_SteadyStateService.Client(wrapping: grpc)
            let outsider = await #expect(throws: RPCError.self) {
                try await client.join(request: ClientRequest(message: .with { $0.cores = 1 })) { response in
                    for try await _ in response.messages {}
                }
            }
            #expect(outsider?.code == .permissionDenied)
            try await client.join(request: ClientRequest(message: .with { $0.cores = 2 }, metadata: ["x-chorus-join-secret": "s"])) { response in
                var events = response.messages.makeAsyncIterator()
                guard case .joined(let joined)? = try await events.next()?.event else { Issue.record("no Joined"); return }
                let given = try await client.ask(.with { $0.token = joined.token; $0.count = 2 }).individuals
                #expect(given.map(\.number) == [0, 1])
                func result(_ number: UInt64, _ fitness: Float, seeds: [UInt64]? = nil) -> Chorus_Steadystate_V1_Result {
                    .with {
                        $0.number = number
                        $0.fitness = fitness
                        $0.seeds = seeds ?? given.first { $0.number == number }?.seeds ?? []
                    }
                }
                let refused: [(String, [Chorus_Steadystate_V1_Result], RPCError.Code, String)] = [
                    ("nope", [result(0, 1)], .notFound, "no worker with this token: not joined, or has left"),
                    (joined.token, [result(0, 1), result(7, 1)], .notFound, "individual 7 was never handed out"),
                    (joined.token, [result(0, 1), result(1, .nan)], .invalidArgument, "the fitness of individual 1 is nan"),
                    (joined.token, [result(0, 1, seeds: [42])], .invalidArgument,
                     "individual 0 came back with seeds that are not the ones handed out"),
                    (joined.token, [result(0, 1), result(0, 2)], .invalidArgument,
                     "individual 0 appears twice in one report, or is out of range"),
                ]
                for (token, results, code, message) in refused {
                    let error = await #expect(throws: RPCError.self) {
                        try await client.report(.with { $0.token = token; $0.results = results })
                    }
                    #expect(error?.code == code && error?.message == message)
                }
                #expect(await coordinator.summary.evaluated == 0, "a refused report changes nothing, even its good results")
                let accepted = try await client.report(.with {
                    $0.token = joined.token
                    $0.results = [result(0, 1), result(1, 2)]
                    $0.ask = 3
                })
                #expect(accepted.evaluated == 2)
                #expect(accepted.individuals.map(\.number) == [2, 3, 4], "an accepted report hands out the next task")
                let again = await #expect(throws: RPCError.self) {
                    try await client.report(.with { $0.token = joined.token; $0.results = [result(1, 2)] })
                }
                #expect(again?.message == "individual 1 is not out: already reported, or given back when its worker left")
                await coordinator.stop()
                while try await events.next() != nil {}
            }
        }
        try await serving.value
    }
}

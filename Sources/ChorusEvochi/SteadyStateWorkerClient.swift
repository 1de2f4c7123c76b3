import ChorusCore
import ChorusES
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// Joins a ``SteadyStateCoordinator`` and evaluates individuals until the run is over: asks for
/// `cores` at a time whenever idle, scores them on a thread of its own (off the concurrency
/// pool, which keeps the gRPC stream moving), reports, asks again.
public struct SteadyStateWorkerClient: Sendable {
    public var host: String
    public var port: Int
    /// Individuals asked for (and evaluated) at a time.
    public var cores: Int
    /// Sent as metadata `x-chorus-join-secret` when set.
    public var joinSecret: String?
    /// How long to wait before asking again when everything left is out with other workers.
    public var retryDelay: Duration

    public init(host: String, port: Int, cores: Int, joinSecret: String? = nil, retryDelay: Duration = .milliseconds(20)) {
        self.host = host
        self.port = port
        self.cores = cores
        self.joinSecret = joinSecret
        self.retryDelay = retryDelay
    }

    /// How the run ended, as the coordinator told it.
    public struct Outcome: Sendable {
        public let workerID: Int
        /// Individuals this worker scored.
        public let evaluatedHere: Int
        /// The pool's best at the end, its mean fitness and evaluations; nil when the pool was empty.
        public let best: (genome: Genome, fitness: Float, evaluations: Int)?
        public let evaluated: Int
        public let reevaluated: Int
    }

    /// Runs the worker `makeWorker` builds until the coordinator ends the run (returns its
    /// outcome) or the connection fails (throws). `log` gets a line per notable event.
    public func run<W: SteadyStateWorker>(
        log: @escaping @Sendable (String) -> Void = { _ in },
        makeWorker: @escaping @Sendable () -> W
    ) async throws -> Outcome {
        let transport = try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { grpc in
            let client = Chorus_Steadystate_V1_SteadyStateService.Client(wrapping: grpc)
            var metadata: Metadata = [:]
            if let joinSecret { metadata.addString(joinSecret, forKey: "x-chorus-join-secret") }
            let request = ClientRequest(message: Chorus_Steadystate_V1_JoinRequest.with { $0.cores = UInt32(clamping: cores) },
                                        metadata: metadata)
            return try await client.join(request: request) { response in
                try await follow(response.messages, client: client, log: log, makeWorker: makeWorker)
            }
        }
    }

    /// What ends first: the stream's result, the work loop, or a grace period after it failed.
    private enum Step: Sendable {
        case finished(Chorus_Steadystate_V1_Finished)
        case worked
        case failed(any Error)
        case graceOver
    }

    /// Reads the `Join` stream (its `Joined`, then its `Finished`) beside the work loop. Calls
    /// that cross the end of the run may fail (the coordinator closes): once the result is in,
    /// that does not matter; a failure before it is the run's, unless the result follows soon.
    private func follow<W: SteadyStateWorker>(
        _ messages: RPCAsyncSequence<Chorus_Steadystate_V1_JoinEvent, any Error>,
        client: Chorus_Steadystate_V1_SteadyStateService.Client<HTTP2ClientTransport.Posix>,
        log: @escaping @Sendable (String) -> Void, makeWorker: @escaping @Sendable () -> W
    ) async throws -> Outcome {
        let (joins, joinOutlet) = AsyncStream.makeStream(of: Chorus_Steadystate_V1_Joined.self)
        let scored = Locked(0)
        return try await withThrowingTaskGroup(of: Step.self) { group in
            group.addTask {
                defer { joinOutlet.finish() }
                for try await event in messages {
                    switch event.event {
                    case .joined(let joined)?: joinOutlet.yield(joined)
                    case .finished(let finished)?: return .finished(finished)
                    case nil: continue
                    }
                }
                throw RPCError(code: .unavailable, message: "the coordinator closed the stream without the result")
            }
            var joinedEvents = joins.makeAsyncIterator()
            guard let joined = await joinedEvents.next() else {
                _ = try await group.next()
                throw RPCError(code: .failedPrecondition, message: "the coordinator's first event was not Joined")
            }
            log("joined as worker \(joined.workerID)")
            group.addTask {
                do {
                    try await work(client, token: joined.token, scored: scored, worker: makeWorker())
                    return .worked
                } catch {
                    return .failed(error)
                }
            }
            var failure: (any Error)?
            while let step = try await group.next() {
                switch step {
                case .finished(let finished):
                    group.cancelAll()
                    return Outcome(
                        workerID: Int(joined.workerID), evaluatedHere: scored.withLock { $0 },
                        best: finished.bestSeeds.isEmpty ? nil
                            : (Genome(seeds: finished.bestSeeds), finished.bestFitness, Int(finished.bestEvaluations)),
                        evaluated: Int(finished.evaluated), reevaluated: Int(finished.reevaluated))
                case .worked:
                    continue
                case .failed(let error):
                    failure = error
                    group.addTask {
                        try? await Task.sleep(for: .seconds(2))
                        return .graceOver
                    }
                case .graceOver:
                    group.cancelAll()
                    throw failure!
                }
            }
            throw failure ?? RPCError(code: .unavailable, message: "the run ended without a result")
        }
    }

    /// Asks, evaluates (on a thread of its own), reports, until the coordinator says the run is
    /// over; counts what it scored in `scored`.
    private func work<W: SteadyStateWorker>(
        _ client: Chorus_Steadystate_V1_SteadyStateService.Client<HTTP2ClientTransport.Posix>, token: String,
        scored: Locked<Int>, worker: W
    ) async throws {
        let hooks = HookThread(name: "chorus-steady-state-worker")
        defer { hooks.finish() }
        var (given, finished) = try await ask(client, token: token)
        while !finished {
            guard !given.isEmpty else {
                try await Task.sleep(for: retryDelay)
                (given, finished) = try await ask(client, token: token)
                continue
            }
            guard given.allSatisfy({ !$0.seeds.isEmpty && $0.number <= UInt64(Int.max) }) else {
                throw RPCError(code: .dataLoss, message: "the coordinator sent an individual without seeds or with a number out of range")
            }
            let individuals = given.map { SteadyStateEngine.Individual(number: Int($0.number), genome: Genome(seeds: $0.seeds)) }
            let fitness = try await hooks.run { try worker.evaluate(individuals) }
            guard fitness.count == individuals.count else {
                throw RPCError(code: .internalError, message: "the worker scored \(fitness.count) of \(individuals.count) individuals")
            }
            // The report also asks for the next task: one call per task.
            let reply = try await client.report(.with {
                $0.token = token
                $0.results = zip(given, fitness).map { individual, value in
                    .with {
                        $0.number = individual.number
                        $0.fitness = value
                        $0.seeds = individual.seeds
                    }
                }
                $0.ask = UInt32(clamping: cores)
            })
            scored.withLock { $0 += individuals.count }
            (given, finished) = (reply.individuals, reply.finished)
        }
    }

    private func ask(
        _ client: Chorus_Steadystate_V1_SteadyStateService.Client<HTTP2ClientTransport.Posix>, token: String
    ) async throws -> ([Chorus_Steadystate_V1_Individual], Bool) {
        let asked = try await client.ask(.with {
            $0.token = token
            $0.count = UInt32(clamping: cores)
        })
        return (asked.individuals, asked.finished)
    }
}

import ChorusES
import Foundation
import GRPCCore
import Logging

/// The genetic algorithm without generations over the network: the gRPC service
/// `chorus.steadystate.v1.SteadyStateService` (`Schemas/chorus/steadystate/v1/steady_state.proto`)
/// over a ``SteadyStateEngine``. Workers join at any moment, ask for individuals when idle and
/// report when done; a worker whose `Join` stream ends has left, and what it held is handed out
/// again. Bad reports are refused with the reason and change nothing.
///
/// The actor is the engine's one serial owner: gRPC handlers only call into it.
public actor SteadyStateCoordinator {
    public struct Configuration: Sendable {
        public var engine: SteadyStateEngine.Configuration
        public var host: String
        public var port: Int
        /// Workers must send it as metadata `x-chorus-join-secret` when set.
        public var joinSecret: String?
        /// Largest request accepted (a report of many results with long genomes).
        public var maxRequestBytes: Int
        /// How long finished workers get to read the result before the coordinator closes.
        public var stopGrace: Duration

        public init(engine: SteadyStateEngine.Configuration, host: String = "127.0.0.1", port: Int = 8080,
                    joinSecret: String? = nil, maxRequestBytes: Int = 16 << 20, stopGrace: Duration = .seconds(2)) {
            self.engine = engine
            self.host = host
            self.port = port
            self.joinSecret = joinSecret
            self.maxRequestBytes = maxRequestBytes
            self.stopGrace = stopGrace
        }
    }

    /// What a run did.
    public struct Summary: Sendable {
        /// The pool's best: its genome, mean fitness and evaluations.
        public let best: SteadyStateEngine.Member?
        public let evaluated: Int
        public let reevaluated: Int
        /// Results each worker reported (re-evaluations included), by worker number.
        public let resultsByWorker: [Int: Int]
    }

    /// A `Join` stream's next step.
    enum Outbound: Sendable {
        case event(Chorus_Steadystate_V1_JoinEvent)
        case end
    }

    private struct Member {
        let id: Int
        let outlet: AsyncStream<Outbound>.Continuation
    }

    public let configuration: Configuration
    private var engine: SteadyStateEngine
    private var members: [String: Member] = [:]
    private var workersJoined = 0
    private var resultsByWorker: [Int: Int] = [:]
    private var stopRequested = false
    private let logger: Logger
    private let onResult: @Sendable (_ evaluated: Int, _ best: Float) -> Void

    /// `onResult(evaluated, best fitness)` is called after every accepted report.
    public init(configuration: Configuration, logger: Logger = Logger(label: "chorus.coordinator"),
                onResult: @escaping @Sendable (Int, Float) -> Void = { _, _ in }) {
        self.configuration = configuration
        engine = SteadyStateEngine(configuration: configuration.engine)
        self.logger = logger
        self.onResult = onResult
    }

    /// The run so far (its end, once ``run(onListening:)`` returned).
    public var summary: Summary {
        Summary(best: engine.best, evaluated: engine.evaluated, reevaluated: engine.reevaluated, resultsByWorker: resultsByWorker)
    }

    /// Serves until the budget is spent and every result is in (or ``stop()``), then sends each
    /// worker the result and closes. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await CoordinatorSupport.serve(SteadyStateService(coordinator: self), host: configuration.host,
                                           port: configuration.port, maxRequestBytes: configuration.maxRequestBytes) { host, port in
            onListening(port)
            logger.info("listening on \(host):\(port)", metadata: [
                "mode": "steady-state", "pool_size": "\(configuration.engine.poolSize)",
                "evaluations": "\(configuration.engine.evaluations)",
            ])
            // Reports change the engine; this loop only notices the end (at most 20 ms late).
            while !stopRequested && !engine.isFinished {
                try await Task.sleep(for: .milliseconds(20))
            }
            let finished = Chorus_Steadystate_V1_JoinEvent.with { $0.finished = finishedMessage() }
            for member in members.values {
                member.outlet.yield(.event(finished))
                member.outlet.yield(.end)
                member.outlet.finish()
            }
            let deadline = ContinuousClock.now + configuration.stopGrace
            while !members.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Ends the run now: workers get the result so far.
    public func stop() {
        stopRequested = true
    }

    // MARK: Called by the service

    /// A worker joins: its token, and the queue its `Join` stream drains.
    func join(cores: Int, secret: String?) throws(RPCError)
        -> (token: String, events: AsyncStream<Outbound>, outlet: AsyncStream<Outbound>.Continuation)
    {
        if let expected = configuration.joinSecret, !CoordinatorSupport.secretMatches(secret, expected) {
            logger.warning("refused a worker: wrong or missing join secret")
            throw RPCError(code: .permissionDenied, message: "a join secret is required (metadata x-chorus-join-secret)")
        }
        guard cores >= 1 else { throw RPCError(code: .invalidArgument, message: "cores must be at least 1, not \(cores)") }
        let (events, outlet) = AsyncStream.makeStream(of: Outbound.self)
        let token = CoordinatorSupport.newToken()
        let id = workersJoined
        workersJoined += 1
        members[token] = Member(id: id, outlet: outlet)
        let settings = configuration.engine
        outlet.yield(.event(.with {
            $0.joined = .with {
                $0.token = token
                $0.workerID = UInt64(id)
                $0.settings = .with {
                    $0.seed = settings.seed
                    $0.poolSize = UInt32(settings.poolSize)
                    $0.evaluations = UInt64(settings.evaluations)
                    $0.reevaluationInterval = UInt32(settings.reevaluationInterval)
                }
            }
        }))
        logger.info("worker \(id) joined with \(cores) cores (\(members.count) workers)")
        return (token, events, outlet)
    }

    /// A worker's stream ended (it left, died, or the run is over): what it held goes back.
    func streamEnded(_ token: String) {
        guard let member = members.removeValue(forKey: token), !isOver else { return }
        let returned = engine.workerLeft(member.id)
        logger.info("worker \(member.id) left, \(returned) individuals handed back (\(members.count) workers)")
    }

    /// Whether the run is over: calls that cross its end (a worker asks or reports while its
    /// stream is being closed) are answered "finished", not refused.
    private var isOver: Bool { stopRequested || engine.isFinished }

    func ask(token: String, count: Int) throws(RPCError) -> Chorus_Steadystate_V1_AskResponse {
        if isOver { return .with { $0.finished = true } }
        let individuals = handOut(count, to: try member(token))
        return .with { $0.individuals = individuals }
    }

    /// Up to `count` individuals for `member`, as the wire carries them.
    private func handOut(_ count: Int, to member: Member) -> [Chorus_Steadystate_V1_Individual] {
        engine.next(max(0, count), for: member.id).map { individual in
            .with {
                $0.number = UInt64(individual.number)
                $0.seeds = individual.genome.seeds
            }
        }
    }

    /// Applies a report, all or nothing; then, when `ask` > 0, hands out the next individuals.
    func report(token: String, results: [Chorus_Steadystate_V1_Result], ask: Int) throws(RPCError)
        -> Chorus_Steadystate_V1_ReportResponse
    {
        if isOver {
            return .with {
                $0.evaluated = UInt64(engine.evaluated)
                $0.finished = true
            }
        }
        let member = try self.member(token)
        var numbers = Set<Int>()
        do throws(EngineRejection) {
            for result in results {
                guard let number = Int(exactly: result.number), numbers.insert(number).inserted else {
                    throw EngineRejection(.invalid, "individual \(result.number) appears twice in one report, or is out of range")
                }
                try engine.check(number, fitness: result.fitness, from: member.id,
                                 genome: result.seeds.isEmpty ? nil : Genome(seeds: result.seeds))
            }
            for result in results { try engine.report(Int(result.number), fitness: result.fitness, from: member.id) }
        } catch {
            logger.warning("refused a report of worker \(member.id): \(error.message)")
            throw RPCError(code: CoordinatorSupport.statusCode(for: error.kind), message: error.message)
        }
        resultsByWorker[member.id, default: 0] += results.count
        onResult(engine.evaluated, engine.best?.fitness ?? -.infinity)
        let next = isOver ? [] : handOut(ask, to: member)
        return .with {
            $0.evaluated = UInt64(engine.evaluated)
            $0.finished = isOver
            $0.individuals = next
        }
    }

    private func member(_ token: String) throws(RPCError) -> Member {
        guard let member = members[token] else {
            throw RPCError(code: .notFound, message: "no worker with this token: not joined, or has left")
        }
        return member
    }

    private func finishedMessage() -> Chorus_Steadystate_V1_Finished {
        .with {
            if let best = engine.best {
                $0.bestSeeds = best.genome.seeds
                $0.bestFitness = best.fitness
                $0.bestEvaluations = UInt32(best.evaluations)
            }
            $0.evaluated = UInt64(engine.evaluated)
            $0.reevaluated = UInt64(engine.reevaluated)
        }
    }
}

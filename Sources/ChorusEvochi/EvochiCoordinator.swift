import ChorusES
import Foundation
import GRPCCore
import Logging

/// An Evochi v1 coordinator: the gRPC service `evochi.v1.EvochiService` over an
/// ``EpochEngine``, so the unchanged PyPI `evochi` worker (and ``EvochiWorkerClient``) can train
/// with it. See `Schemas/evochi-v1.md`.
///
/// The actor is the engine's one serial owner: gRPC handlers only call into it; each worker's
/// events wait in its own unbounded queue, which its `Subscribe` stream drains, so a slow
/// reader never holds the coordinator (the Go server's B1 and B16).
public actor EvochiCoordinator {
    public let configuration: EvochiConfiguration
    private let engine: EpochEngine
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var streams: [WorkerID: Stream] = [:]
    private var workersByToken: [String: WorkerID] = [:]
    /// Tokens of workers whose run ended: their heartbeats still get OK (spec §16.8).
    private var finishedTokens: Set<String> = []
    private var stopRequested = false
    /// Joins, leaves and epochs at `info`; evictions, refusals and failed checkpoint writes at
    /// `warning` or `error`.
    private let logger: Logger

    /// A worker's connection: its token and the queue its `Subscribe` stream drains.
    private struct Stream {
        let token: String
        let outlet: AsyncStream<Outbound>.Continuation
    }

    /// What a `Subscribe` stream does next.
    enum Outbound: Sendable {
        case event(Evochi_V1_SubscribeResponse)
        /// End the stream: `CANCELLED` when the run is over, `ABORTED` with the reason when
        /// the worker was evicted (so a 0.1.4 worker reports it instead of stopping quietly).
        case end(EngineCommand.DisconnectReason)
    }

    /// - Parameters:
    ///   - logger: where notable events go (joins, leaves, evictions, refusals, epochs,
    ///     states and checkpoint writes); nothing per evaluation.
    ///   - onEpoch: called once per epoch when its rewards are complete.
    ///   - onState: called with the checkpoint whenever a worker uploads a state.
    public init(
        configuration: EvochiConfiguration,
        logger: Logger = Logger(label: "chorus.coordinator"),
        onEpoch: @escaping @Sendable (Int, [Float]) -> Void = { _, _ in },
        onState: @escaping @Sendable (Checkpoint) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        let engine = try EpochEngine(configuration: configuration.engine)
        self.engine = engine
        start = clock.now
        self.logger = logger
        let checkpointPath = configuration.engine.checkpointPath
        // The engine calls these from the actor's own calls into it, after saving the checkpoint.
        engine.onEpochRewards = { [unowned engine] epoch, rewards in
            var metadata: Logger.Metadata = [
                "epoch": "\(epoch)", "reward_mean": "\(rewards.reduce(0, +) / Float(max(rewards.count, 1)))",
                "reward_max": "\(rewards.max() ?? 0)",
            ]
            if let checkpointPath {
                if let error = engine.lastCheckpointError {
                    logger.error("checkpoint not written", metadata: ["path": "\(checkpointPath)", "error": "\(error)"])
                } else {
                    metadata["checkpoint"] = "\(checkpointPath)"
                }
            }
            logger.info("epoch finished", metadata: metadata)
            onEpoch(epoch, rewards)
        }
        engine.onStateReceived = { checkpoint in
            logger.debug("state received", metadata: ["state_epoch": "\(checkpoint.stateEpoch)",
                                                      "bytes": "\(checkpoint.state.count)"])
            onState(checkpoint)
        }
    }

    /// The engine's phase.
    public var phase: EnginePhase { engine.phase }
    /// The last uploaded state and the rewards since.
    public var checkpoint: Checkpoint? { engine.checkpoint }
    /// What the engine has done so far, for monitoring.
    public var counters: EngineCounters { engine.counters }
    /// Each worker in the pool and what it is doing, for monitoring.
    public var workerActivities: [(worker: WorkerID, activity: WorkerActivity)] { engine.workerActivities }

    /// Serves until the run is over and its workers were told (or ``stop()`` was called).
    /// `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        try await CoordinatorSupport.serve(EvochiService(coordinator: self), host: configuration.host,
                                           port: configuration.port, maxRequestBytes: configuration.maxRequestBytes) { host, port in
            onListening(port)
            logger.info("listening on \(host):\(port)", metadata: [
                "population": "\(configuration.engine.populationSize)", "max_epochs": "\(configuration.engine.maxEpochs)",
                "phase": "\(engine.phase)",
            ])
            while !stopRequested && engine.phase != .stopped {
                try await Task.sleep(for: configuration.tickInterval)
                engine.tick(now: now)
                dispatch()
            }
            // Workers read STOP, then their streams end; give them a moment, then close.
            let deadline = clock.now + configuration.stopGrace
            while !streams.isEmpty && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            for stream in streams.values { stream.outlet.finish() }
        }
    }

    /// Ends the run now: workers get STOP; the checkpoint keeps the progress.
    public func stop() {
        stopRequested = true
        engine.stop(now: now)
        dispatch()
    }

    private var now: Duration { clock.now - start }

    // MARK: Called by the service

    /// A worker subscribes: it joins the engine and gets its event queue.
    func subscribe(
        cores: Int, secret: String?
    ) throws(RPCError) -> (WorkerID, AsyncStream<Outbound>, AsyncStream<Outbound>.Continuation) {
        if let expected = configuration.joinSecret, !CoordinatorSupport.secretMatches(secret, expected) {
            logger.warning("refused a worker: wrong or missing join secret")
            throw RPCError(code: .permissionDenied, message: "a join secret is required (metadata x-chorus-join-secret)")
        }
        let (events, outlet) = AsyncStream.makeStream(of: Outbound.self)
        let id: WorkerID
        do {
            id = try engine.join(cores: cores, now: now)
        } catch {
            logger.warning("refused a worker: \(error.message)")
            throw RPCError(code: error.kind == .poolFull ? .resourceExhausted : .invalidArgument, message: error.message)
        }
        let token = CoordinatorSupport.newToken()
        streams[id] = Stream(token: token, outlet: outlet)
        workersByToken[token] = id
        logger.info("\(id) joined with \(cores) cores (phase \(engine.phase), \(streams.count) workers)")
        dispatch()
        return (id, events, outlet)
    }

    /// A worker's stream ended (it went away, or we ended it).
    func streamEnded(_ id: WorkerID) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        workersByToken[stream.token] = nil
        if engine.phase == .stopped {
            finishedTokens.insert(stream.token)
        } else {
            logger.info("\(id) left (phase \(engine.phase))")
        }
        engine.leave(id, now: now)
        dispatch()
    }

    func heartbeat(token: String?) throws(RPCError) {
        if let token, finishedTokens.contains(token) { return }
        let id = try worker(for: token)
        _ = engine.heartbeat(id, now: now)
    }

    /// A Finish call: authenticated, applied, and answered `ok = true` (accepted), `ok = false`
    /// (stale but harmless), or with an error status.
    func finish(token: String?, task wire: String, _ call: FinishCall) throws(RPCError) -> Bool {
        // A result that crossed the end of the run is harmless: answered, not refused.
        if let token, finishedTokens.contains(token) { return false }
        let id = try worker(for: token)
        guard let task = TaskID(wireValue: wire) else {
            throw RPCError(code: .notFound, message: "no task \"\(wire)\"")
        }
        let reply: FinishReply
        switch call {
        case .initialization(let state):
            warnIfLarge(state, from: id)
            reply = engine.finishInitialization(id, task: task, state: state, now: now)
        case .evaluation(let evaluations):
            reply = engine.finishEvaluation(id, task: task, evaluations: evaluations, now: now)
        case .optimization:
            reply = engine.finishOptimization(id, task: task, now: now)
        case .shareState(let state):
            warnIfLarge(state, from: id)
            reply = engine.finishShareState(id, task: task, state: state, now: now)
        }
        dispatch()
        switch reply {
        case .accepted:
            return true
        case .stale:
            return false
        case .rejected(let rejection):
            logger.warning("refused a request of \(id): \(rejection.message)")
            throw RPCError(code: CoordinatorSupport.statusCode(for: rejection.kind), message: rejection.message)
        }
    }

    /// The body of a Finish call.
    enum FinishCall: Sendable {
        case initialization([UInt8])
        case evaluation([Evaluation])
        case optimization
        case shareState([UInt8])
    }

    // MARK: Internals

    private func worker(for token: String?) throws(RPCError) -> WorkerID {
        guard let token, let id = workersByToken[token] else {
            throw RPCError(code: .unauthenticated, message: "unknown or missing token")
        }
        return id
    }

    /// Moves the engine's commands into the workers' queues.
    private func dispatch() {
        for command in engine.takeCommands() {
            switch command {
            case .send(let id, let event):
                guard let stream = streams[id] else { continue }
                stream.outlet.yield(.event(Evochi_V1_SubscribeResponse(event, id: "\(id.rawValue)", token: stream.token)))
            case .disconnect(let id, let reason):
                if case .evicted(let why) = reason { logger.warning("evicted \(id): \(why)") }
                streams[id]?.outlet.yield(.end(reason))
                streams[id]?.outlet.finish()
            }
        }
    }

    private func warnIfLarge(_ state: [UInt8], from id: WorkerID) {
        guard state.count > configuration.stateWarningBytes else { return }
        logger.warning("""
            \(id) sent a state of \(state.count) bytes; Python evochi workers with default settings \
            cannot receive more than 4 MiB and will fail to join
            """)
    }
}

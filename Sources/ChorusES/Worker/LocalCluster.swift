/// Runs an ``EpochEngine`` with local workers, each in its own task, until the run stops:
/// the whole ES loop in one process (tests, the demo, a single big machine).
///
/// Workers are made inside their tasks by `makeWorker(slot)`, so a worker object never crosses
/// threads; they talk to the engine only through events and answers, as remote ones do.
public struct LocalCluster<W: Worker>: Sendable {
    public let configuration: EngineConfiguration
    /// Cores per worker, one entry per worker.
    public let cores: [Int]
    /// How often the engine checks deadlines.
    public var tickInterval: Duration = .milliseconds(100)
    private let makeWorker: @Sendable (Int) -> W

    public init(configuration: EngineConfiguration, cores: [Int], makeWorker: @escaping @Sendable (Int) -> W) {
        precondition(!cores.isEmpty, "a local cluster needs at least one worker")
        self.configuration = configuration
        self.cores = cores
        self.makeWorker = makeWorker
    }

    private enum Message: Sendable {
        case answer(WorkerID, WorkerHost<W>.Answer)
        case failed(WorkerID, String)
        case tick
    }

    private enum Delivery: Sendable {
        case event(WorkerEvent)
        case end
    }

    /// Runs until the engine stops; returns the final checkpoint (the last uploaded state).
    /// `onEpoch(n, rewards)` is called once per epoch, when its rewards are complete.
    public func run(onEpoch: @escaping @Sendable (Int, [Float]) -> Void = { _, _ in }) async throws -> Checkpoint {
        let engine = try EpochEngine(configuration: configuration)
        engine.onEpochRewards = onEpoch
        let (inbox, post) = AsyncStream.makeStream(of: Message.self)
        let clock = ContinuousClock()
        let start = clock.now
        return try await withThrowingTaskGroup(of: Void.self) { group in
            var outlets: [WorkerID: AsyncStream<Delivery>.Continuation] = [:]
            var lastFailure: String?
            let route = { (commands: [EngineCommand]) in
                for command in commands {
                    switch command {
                    case .send(let id, let event): outlets[id]?.yield(.event(event))
                    case .disconnect(let id, _):
                        outlets[id]?.yield(.end)
                        outlets[id]?.finish()
                        outlets[id] = nil
                    }
                }
            }
            for (slot, workerCores) in cores.enumerated() {
                let id = try engine.join(cores: workerCores, now: clock.now - start)
                let (deliveries, outlet) = AsyncStream.makeStream(of: Delivery.self)
                outlets[id] = outlet
                group.addTask { await Self.serve(id, worker: makeWorker(slot), deliveries: deliveries, post: post) }
            }
            route(engine.takeCommands())
            group.addTask { [tickInterval] in
                while !Task.isCancelled {
                    try await Task.sleep(for: tickInterval)
                    post.yield(.tick)
                }
            }
            for await message in inbox {
                let now = clock.now - start
                switch message {
                case .tick:
                    engine.tick(now: now)
                case .failed(let id, let reason):
                    lastFailure = "\(id): \(reason)"
                    engine.leave(id, now: now)
                    outlets[id]?.finish()
                    outlets[id] = nil
                case .answer(let id, let answer):
                    Self.deliver(answer, from: id, to: engine, now: now)
                }
                route(engine.takeCommands())
                if engine.phase == .stopped { break }
                if engine.workerIDs.isEmpty {
                    group.cancelAll()
                    throw LocalClusterError.allWorkersFailed(lastFailure: lastFailure ?? "no worker left")
                }
            }
            group.cancelAll()
            return engine.checkpoint!
        }
    }

    private static func deliver(_ answer: WorkerHost<W>.Answer, from id: WorkerID, to engine: EpochEngine, now: Duration) {
        switch answer {
        case .none, .stopped: break
        case .initialized(let task, let state): _ = engine.finishInitialization(id, task: task, state: state, now: now)
        case .evaluated(let task, let evaluations): _ = engine.finishEvaluation(id, task: task, evaluations: evaluations, now: now)
        case .optimized(let task): _ = engine.finishOptimization(id, task: task, now: now)
        case .shared(let task, let state): _ = engine.finishShareState(id, task: task, state: state, now: now)
        }
    }

    /// One worker's loop: handle each event in order, post the answer.
    private static func serve(
        _ id: WorkerID, worker: W, deliveries: AsyncStream<Delivery>, post: AsyncStream<Message>.Continuation
    ) async {
        let host = WorkerHost(worker)
        for await delivery in deliveries {
            guard case .event(let event) = delivery else {
                worker.onStop(final: true)
                return
            }
            do {
                post.yield(.answer(id, try host.handle(event)))
            } catch {
                post.yield(.failed(id, "\(error)"))
                return
            }
            await Task.yield()
        }
    }
}

/// Why a local run could not finish.
public enum LocalClusterError: Error, Hashable, Sendable {
    /// Every worker failed; the run cannot go on.
    case allWorkersFailed(lastFailure: String)
}

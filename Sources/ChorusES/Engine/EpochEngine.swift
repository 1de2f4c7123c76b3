/// The coordinator of an ES run: one serial state machine that owns the epoch, the pool of
/// workers and their tasks (the spec's §16 applied; see `Schemas/evochi-v1.md`).
///
/// It is transport-agnostic and has no clock: every input carries `now` (time since an origin
/// the caller picks), every output is an ``EngineCommand`` collected with ``takeCommands()``.
/// It is not thread-safe: one thread or actor feeds it, which is what makes it serial.
///
/// The rules it keeps:
/// - Phases `initializing → evaluating(n) → optimizing(n) → [sharing(n)] → evaluating(n+1) … → stopped`.
/// - A worker never holds more than its `cores` members at once; results are validated (exactly
///   the assigned slices, one finite reward per member) before anything is consumed; late and
///   duplicate results are answered ``FinishReply/stale(_:)``; a bad result puts its slices back.
/// - Optimize starts only when every member has a reward.
/// - Joiners hold their HELLO while the initial state is being made; otherwise they get the last
///   uploaded state plus a replay of every reward vector since, so they reach the current state.
/// - Only a worker that acknowledged this epoch's optimize is asked to share its state.
/// - Leavers' slices return to the stack; an idle worker gets copies of slices outstanding for
///   ``EngineConfiguration/reissueAfter``; the first result wins.
/// - The checkpoint (state, its epoch, rewards since) is written whenever it changes, so a new
///   engine resumes at the same epoch.
public final class EpochEngine {
    public let configuration: EngineConfiguration
    public internal(set) var phase: EnginePhase = .initializing
    /// The last uploaded state and the rewards since (`nil` until the first state exists).
    public internal(set) var checkpoint: Checkpoint?

    /// Called when an epoch's rewards are complete, before its update goes out.
    public var onEpochRewards: ((_ epoch: Int, _ rewards: [Float]) -> Void)?
    /// Called with the new checkpoint when a worker's state (initial or uploaded) was taken.
    public var onStateReceived: ((Checkpoint) -> Void)?

    var workers: [WorkerID: WorkerRecord] = [:]
    var progress: EpochProgress?
    /// The worker asked to create the initial state.
    var initializer: WorkerID?
    /// Workers whose live optimize of the current epoch is outstanding.
    var optimizeBarrier: Set<WorkerID> = []
    /// The worker asked to share the state of the current epoch.
    var sharer: WorkerID?
    private var outbox: [EngineCommand] = []
    private var lastWorker: UInt64 = 0
    private var lastTask: UInt64 = 0

    /// An engine for a new run, or, when `configuration.checkpointPath` names a checkpoint
    /// file, for the run it saved (it resumes at the saved epoch).
    public init(configuration: EngineConfiguration) throws(EngineError) {
        try configuration.validate()
        self.configuration = configuration
        if let path = configuration.checkpointPath, let saved = try Checkpoint.load(from: path) {
            guard saved.populationSize == configuration.populationSize else {
                throw .badCheckpoint(path: path, reason: "population \(saved.populationSize), configured \(configuration.populationSize)")
            }
            checkpoint = saved
            resume(from: saved)
        }
    }

    /// The commands produced since the last call, in order.
    public func takeCommands() -> [EngineCommand] {
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    /// The workers in the pool, in join order.
    public var workerIDs: [WorkerID] { workers.keys.sorted() }

    /// What the engine has done so far (joins, evictions, evaluation outcomes, re-issues).
    public internal(set) var counters = EngineCounters()

    /// Each worker in the pool, in join order, and what it is doing now.
    public var workerActivities: [(worker: WorkerID, activity: WorkerActivity)] {
        workerIDs.map { id in
            let worker = workers[id]!
            return (id, !worker.isGreeted ? .joining : worker.isBusy ? .busy : .idle)
        }
    }

    // MARK: Membership

    /// Adds a worker with `cores` cores (`0`: it never evaluates) and greets it when it can
    /// be greeted.
    public func join(cores: Int, now: Duration) throws(EngineRejection) -> WorkerID {
        guard cores >= 0 else { throw EngineRejection(.invalid, "cores must be ≥ 0, got \(cores)") }
        if let limit = configuration.maxWorkers, workers.count >= limit {
            throw EngineRejection(.poolFull, "the pool is full (\(limit) workers)")
        }
        lastWorker += 1
        let id = WorkerID(rawValue: lastWorker)
        workers[id] = WorkerRecord(id: id, cores: cores, now: now)
        counters.joins += 1
        switch phase {
        case .stopped:
            greet(id, now: now)
            sendStop(to: id)
        case .initializing:
            if initializer == nil { makeInitializer(id, now: now) }
        case .evaluating:
            greet(id, now: now)
            assign(id, now: now)
        case .optimizing, .sharing:
            greet(id, now: now)
            electSharer(now: now)
        }
        return id
    }

    /// The worker went away (its stream ended): its work goes to the others.
    public func leave(_ worker: WorkerID, now: Duration) {
        if workers[worker] != nil { counters.leaves += 1 }
        remove(worker, now: now)
    }

    /// A heartbeat; `false` for a worker the engine does not know (evicted, or never joined).
    public func heartbeat(_ worker: WorkerID, now: Duration) -> Bool {
        guard workers[worker] != nil else { return false }
        workers[worker]!.lastHeard = now
        return true
    }

    /// Evicts workers that stopped answering and hands straggling slices to idle workers.
    /// Call it regularly (a second or so).
    public func tick(now: Duration) {
        guard phase != .stopped else { return }
        for id in workerIDs {
            // A worker waiting for its greeting has no identity to heartbeat with yet.
            guard let worker = workers[id], worker.isGreeted else { continue }
            if worker.isBusy {
                if let limit = configuration.taskTimeout, now - worker.headSince > limit {
                    evict(id, reason: "its task ran longer than \(limit)", now: now)
                }
            } else if now - worker.lastHeard > configuration.heartbeatTimeout {
                evict(id, reason: "no heartbeat for \(configuration.heartbeatTimeout)", now: now)
            }
        }
        if case .evaluating = phase {
            for id in workerIDs { assign(id, now: now) }
        }
    }

    /// Ends the run now: every worker gets STOP and its stream ends. The checkpoint stays.
    public func stop(now: Duration) {
        guard phase != .stopped else { return }
        phase = .stopped
        for id in workerIDs { sendStop(to: id) }
    }

    // MARK: Helpers for the extensions

    func send(_ event: WorkerEvent, to worker: WorkerID) {
        outbox.append(.send(worker, event))
    }

    func newTaskID() -> TaskID {
        lastTask += 1
        return TaskID(rawValue: lastTask)
    }

    /// Whether `id` could have been issued (a finish for an unknown but plausible task is stale).
    func wasIssued(_ id: TaskID) -> Bool {
        id.rawValue >= 1 && id.rawValue <= lastTask
    }

    func evict(_ worker: WorkerID, reason: String, now: Duration) {
        outbox.append(.disconnect(worker, .evicted(reason)))
        counters.evictions += 1
        remove(worker, now: now)
    }

    private func sendStop(to worker: WorkerID) {
        send(.stop(newTaskID()), to: worker)
        outbox.append(.disconnect(worker, .runFinished))
    }

    func saveCheckpoint() {
        guard let path = configuration.checkpointPath, let checkpoint else { return }
        do {
            try checkpoint.save(to: path)
            lastCheckpointError = nil
        } catch {
            // The run goes on: a failed save costs resumability, not correctness.
            lastCheckpointError = error
        }
    }

    /// The last checkpoint write failure, if the most recent write failed.
    public internal(set) var lastCheckpointError: EngineError?
}

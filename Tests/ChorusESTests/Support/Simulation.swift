import Testing
@testable import ChorusES

/// A deterministic cluster of scripted workers around an ``EpochEngine``: each worker keeps
/// its events in order and handles one per step; time only moves when the test says so.
///
/// The workers' "training" is a hash chain: rewards are a function of (state, member) and
/// optimize hashes (state, epoch, rewards), so two runs end in the same state only if every
/// epoch saw exactly the same reward vector in the same order.
final class Simulation {
    final class ScriptedWorker {
        let cores: Int
        var inbox: [WorkerEvent] = []
        var state: [UInt8]?
        /// Stops handling events (a hung process that keeps its connection).
        var isHung = false
        /// Rewrites the next evaluation result (then clears itself).
        var corruptNext: (([Evaluation]) -> [Evaluation])?
        /// Sends a heartbeat every round while not hung.
        var sendsHeartbeats = true
        /// Sends every evaluation result twice.
        var sendsTwice = false
        var replies: [FinishReply] = []
        var stopped = false

        init(cores: Int) {
            self.cores = cores
        }
    }

    let engine: EpochEngine
    var now: Duration = .zero
    private(set) var workers: [WorkerID: ScriptedWorker] = [:]
    private(set) var evictions: [(WorkerID, String)] = []

    init(_ configuration: EngineConfiguration) throws {
        engine = try EpochEngine(configuration: configuration)
    }

    @discardableResult
    func join(cores: Int) throws -> WorkerID {
        let id = try engine.join(cores: cores, now: now)
        workers[id] = ScriptedWorker(cores: cores)
        route()
        return id
    }

    /// The worker's process dies: its stream ends.
    func kill(_ id: WorkerID) {
        workers[id] = nil
        engine.leave(id, now: now)
        route()
    }

    func worker(_ id: WorkerID) -> ScriptedWorker { workers[id]! }

    private func route() {
        for command in engine.takeCommands() {
            switch command {
            case .send(let id, let event):
                if case .evaluate(_, _, let slices) = event, let worker = workers[id] {
                    #expect(slices.reduce(0) { $0 + $1.count } <= worker.cores, "\(id) got more members than its cores")
                }
                workers[id]?.inbox.append(event)
            case .disconnect(let id, .evicted(let reason)):
                evictions.append((id, reason))
                workers[id] = nil
            case .disconnect(let id, .runFinished):
                workers[id]?.stopped = true
                if workers[id]?.inbox.isEmpty ?? true { workers[id] = nil }
            }
        }
    }

    /// Handles the next event of `id`; `false` if it had none (or is hung).
    @discardableResult
    func step(_ id: WorkerID) -> Bool {
        guard let worker = workers[id], !worker.isHung, !worker.inbox.isEmpty else { return false }
        let event = worker.inbox.removeFirst()
        switch event {
        case .hello(let hello):
            if let state = hello.state { worker.state = state }
        case .initialize(let task):
            worker.state = Self.hash([0xC0, 0xFF, 0xEE])
            worker.replies.append(engine.finishInitialization(id, task: task, state: worker.state!, now: now))
        case .evaluate(let task, _, let slices):
            var evaluations = slices.map { slice in
                Evaluation(slice: slice, rewards: slice.indices.map { Self.reward(state: worker.state!, member: $0) })
            }
            if let corrupt = worker.corruptNext {
                evaluations = corrupt(evaluations)
                worker.corruptNext = nil
            }
            worker.replies.append(engine.finishEvaluation(id, task: task, evaluations: evaluations, now: now))
            if worker.sendsTwice {
                worker.replies.append(engine.finishEvaluation(id, task: task, evaluations: evaluations, now: now))
            }
        case .optimize(let task, let epoch, let rewards):
            worker.state = Self.optimize(worker.state!, epoch: epoch, rewards: rewards)
            worker.replies.append(engine.finishOptimization(id, task: task, now: now))
        case .shareState(let task, _):
            worker.replies.append(engine.finishShareState(id, task: task, state: worker.state!, now: now))
        case .stop:
            break
        }
        if worker.stopped && worker.inbox.isEmpty { workers[id] = nil }
        route()
        return true
    }

    /// One round: every worker handles one event, in id order; then a second passes and the
    /// engine ticks. Returns whether anything happened.
    @discardableResult
    func round() -> Bool {
        var progressed = false
        for id in workers.keys.sorted() where step(id) { progressed = true }
        now += .seconds(1)
        for (id, worker) in workers where worker.sendsHeartbeats && !worker.isHung {
            _ = engine.heartbeat(id, now: now)
        }
        engine.tick(now: now)
        route()
        return progressed
    }

    /// Rounds until `condition` holds (checked before each round); fails the test after `limit`.
    func run(until condition: (Simulation) -> Bool, limit: Int = 500) {
        for _ in 0..<limit {
            if condition(self) { return }
            round()
        }
        Issue.record("condition not reached in \(limit) rounds (phase \(engine.phase))")
    }

    /// Runs to the end of the run; returns the final state.
    func finish(limit: Int = 1000) -> [UInt8]? {
        run(until: { $0.engine.phase == .stopped && $0.workers.isEmpty }, limit: limit)
        return engine.checkpoint?.state
    }

    // The scripted "training".

    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        let value = bytes.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
        return withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    static func reward(state: [UInt8], member: Int) -> Float {
        let bytes = hash(state + withUnsafeBytes(of: Int64(member).littleEndian, Array.init))
        return Float(bytes[0]) - 128
    }

    static func optimize(_ state: [UInt8], epoch: Int, rewards: [Float]) -> [UInt8] {
        var bytes = state + withUnsafeBytes(of: Int64(epoch).littleEndian, Array.init)
        for reward in rewards { bytes += withUnsafeBytes(of: reward.bitPattern.littleEndian, Array.init) }
        return hash(bytes)
    }
}

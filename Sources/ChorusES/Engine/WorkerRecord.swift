/// The engine's view of one worker: what it was sent and has not finished, in order, and
/// which state it holds.
struct WorkerRecord {
    /// A task the worker was sent and has not finished.
    struct Task {
        enum Kind {
            case initialize
            case evaluate(epoch: Int, slices: [MemberRange])
            /// `live`: part of the current optimize barrier (not a replay for a joiner).
            case optimize(epoch: Int, live: Bool)
            case share(epoch: Int)
        }

        let id: TaskID
        let kind: Kind
        let issuedAt: Duration
        /// An evaluation whose epoch ended before it came back: its result will be stale.
        var isCancelled = false
    }

    let id: WorkerID
    let cores: Int
    /// Whether it got its HELLO (joiners wait while the initial state is being made).
    var isGreeted = false
    var queue: [Task] = []
    /// When the worker could start the task at the head of its queue.
    var headSince: Duration
    var lastHeard: Duration
    /// The epoch whose start state the worker holds after the events it acknowledged.
    var stateEpoch: Int?

    init(id: WorkerID, cores: Int, now: Duration) {
        self.id = id
        self.cores = cores
        headSince = now
        lastHeard = now
    }

    var isBusy: Bool { !queue.isEmpty }

    /// Whether it holds an evaluation of the running epoch that is still wanted.
    var hasLiveEvaluation: Bool {
        queue.contains { task in
            if case .evaluate = task.kind { return !task.isCancelled }
            return false
        }
    }

    /// Appends `task`; it is the head (and its clock starts) when nothing is queued before it.
    mutating func enqueue(_ task: Task, now: Duration) {
        if queue.isEmpty { headSince = now }
        queue.append(task)
    }

    /// Removes the task with `id`; the next task's clock starts now.
    mutating func finish(_ id: TaskID, now: Duration) -> Task? {
        guard let position = queue.firstIndex(where: { $0.id == id }) else { return nil }
        if position == 0 { headSince = now }
        return queue.remove(at: position)
    }
}

/// Phase changes, greetings, assignment and removal.
extension EpochEngine {
    /// Restores a saved run: epochs up to `nextEpoch − 1` have their rewards.
    func resume(from saved: Checkpoint) {
        let next = saved.nextEpoch
        if configuration.maxEpochs > 0 && next > configuration.maxEpochs {
            // Every epoch ran: the run is over, or only its final upload is missing.
            phase = saved.rewards.isEmpty ? .stopped : .sharing(next - 1)
        } else {
            phase = .evaluating(next)
            progress = EpochProgress(epoch: next, populationSize: configuration.populationSize)
        }
    }

    /// Sends HELLO with the last uploaded state, then replays every reward vector since, so the
    /// worker's state reaches the current epoch's.
    func greet(_ id: WorkerID, now: Duration) {
        workers[id]!.isGreeted = true
        send(.hello(WorkerEvent.Hello(
            worker: id,
            state: checkpoint?.state,
            stateEpoch: checkpoint?.stateEpoch,
            populationSize: configuration.populationSize,
            maxEpochs: configuration.maxEpochs,
            heartbeatInterval: configuration.heartbeatInterval
        )), to: id)
        guard let checkpoint, phase != .stopped else { return }
        workers[id]!.stateEpoch = checkpoint.stateEpoch
        for (offset, rewards) in checkpoint.rewards.enumerated() {
            enqueue(.optimize(epoch: checkpoint.stateEpoch + offset, live: false), for: id, now: now) { task in
                .optimize(task, epoch: checkpoint.stateEpoch + offset, rewards: rewards)
            }
        }
    }

    /// Asks `id` to create the initial state (greeting it first, without a state).
    func makeInitializer(_ id: WorkerID, now: Duration) {
        initializer = id
        if !workers[id]!.isGreeted { greet(id, now: now) }
        enqueue(.initialize, for: id, now: now) { .initialize($0) }
    }

    /// Issues a task to `id` and sends the event that carries it.
    func enqueue(
        _ kind: WorkerRecord.Task.Kind, for id: WorkerID, now: Duration, event: (TaskID) -> WorkerEvent
    ) {
        let task = WorkerRecord.Task(id: newTaskID(), kind: kind, issuedAt: now)
        workers[id]!.enqueue(task, now: now)
        send(event(task.id), to: id)
    }

    func startEvaluating(_ epoch: Int, now: Duration) {
        phase = .evaluating(epoch)
        progress = EpochProgress(epoch: epoch, populationSize: configuration.populationSize)
        for id in workerIDs {
            if !workers[id]!.isGreeted { greet(id, now: now) }
            assign(id, now: now)
        }
    }

    /// Gives `id` up to `cores` members: from the stack, or, when it is empty, copies of
    /// slices outstanding for ``EngineConfiguration/reissueAfter``.
    func assign(_ id: WorkerID, now: Duration) {
        guard case .evaluating(let epoch) = phase, var progress, let worker = workers[id],
              worker.isGreeted, worker.cores > 0, !worker.hasLiveEvaluation
        else { return }
        var slices = progress.take(width: worker.cores)
        if slices.isEmpty { slices = stragglerSlices(for: id, progress: progress, now: now) }
        guard !slices.isEmpty else { return }
        progress.hold(slices)
        self.progress = progress
        enqueue(.evaluate(epoch: epoch, slices: slices), for: id, now: now) { task in
            .evaluate(task, epoch: epoch, slices: slices)
        }
    }

    private func stragglerSlices(for id: WorkerID, progress: EpochProgress, now: Duration) -> [MemberRange] {
        let width = workers[id]!.cores
        let outstanding = workers.values
            .filter { $0.id != id }
            .flatMap(\.queue)
            .filter { !$0.isCancelled && now - $0.issuedAt >= configuration.reissueAfter }
            .sorted { $0.id < $1.id }
        for task in outstanding {
            guard case .evaluate(_, let slices) = task.kind else { continue }
            let copies = progress.reissuable(from: slices, width: width)
            if !copies.isEmpty {
                counters.reissues += 1
                return copies
            }
        }
        return []
    }

    /// Every member has its reward: everyone in the pool applies the update.
    func beginOptimizing(_ epoch: Int, rewards: [Float], now: Duration) {
        phase = .optimizing(epoch)
        progress = nil
        for id in workerIDs {
            for index in workers[id]!.queue.indices {
                if case .evaluate = workers[id]!.queue[index].kind { workers[id]!.queue[index].isCancelled = true }
            }
        }
        checkpoint!.rewards.append(rewards)
        saveCheckpoint()
        onEpochRewards?(epoch, rewards)
        optimizeBarrier = []
        for id in workerIDs where workers[id]!.isGreeted {
            enqueue(.optimize(epoch: epoch, live: true), for: id, now: now) { task in
                .optimize(task, epoch: epoch, rewards: rewards)
            }
            optimizeBarrier.insert(id)
        }
        if optimizeBarrier.isEmpty { finishOptimizing(epoch, now: now) }
    }

    /// Every live optimize of `epoch` was acknowledged (or its worker left).
    func finishOptimizing(_ epoch: Int, now: Duration) {
        let isLast = configuration.maxEpochs > 0 && epoch >= configuration.maxEpochs
        if isLast || checkpoint!.rewards.count >= configuration.shareInterval {
            phase = .sharing(epoch)
            electSharer(now: now)
        } else {
            startEvaluating(epoch + 1, now: now)
        }
    }

    /// Asks the first worker whose acknowledged state is `Sₙ₊₁` to upload it; with none, waits
    /// for one (a joiner's replay ends there too).
    func electSharer(now: Duration) {
        guard case .sharing(let epoch) = phase, sharer == nil,
              let id = workerIDs.first(where: { workers[$0]!.stateEpoch == epoch + 1 })
        else { return }
        sharer = id
        enqueue(.share(epoch: epoch), for: id, now: now) { .shareState($0, epoch: epoch) }
    }

    /// Takes `id` out of the pool and gives its work to the others.
    func remove(_ id: WorkerID, now: Duration) {
        guard let worker = workers.removeValue(forKey: id) else { return }
        for task in worker.queue {
            switch task.kind {
            case .initialize:
                initializer = nil
            case .evaluate(_, let slices) where !task.isCancelled:
                progress?.release(slices)
            case .optimize(_, live: true):
                optimizeBarrier.remove(id)
            case .share:
                sharer = nil
            case .evaluate, .optimize:
                break
            }
        }
        switch phase {
        case .initializing:
            if initializer == nil, let next = workerIDs.first { makeInitializer(next, now: now) }
        case .evaluating:
            for other in workerIDs { assign(other, now: now) }
        case .optimizing(let epoch):
            if optimizeBarrier.isEmpty { finishOptimizing(epoch, now: now) }
        case .sharing:
            electSharer(now: now)
        case .stopped:
            break
        }
    }
}

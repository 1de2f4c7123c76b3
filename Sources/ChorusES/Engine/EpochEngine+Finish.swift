/// The workers' Finish calls: each is checked against the task it names before anything of it
/// is consumed.
extension EpochEngine {
    /// `worker` created the initial state.
    public func finishInitialization(_ worker: WorkerID, task: TaskID, state: [UInt8], now: Duration) -> FinishReply {
        withTask(task, of: worker, now: now) { found in
            guard case .initialize = found.kind else { return .rejected(EngineRejection(.invalid, "\(task) is not an initialization")) }
            guard !state.isEmpty else { return .rejected(EngineRejection(.invalid, "the initial state is empty")) }
            _ = workers[worker]!.finish(task, now: now)
            initializer = nil
            checkpoint = Checkpoint(populationSize: configuration.populationSize, stateEpoch: 1, state: state)
            saveCheckpoint()
            onStateReceived?(checkpoint!)
            workers[worker]!.stateEpoch = 1
            startEvaluating(1, now: now)
            return .accepted
        }
    }

    /// `worker` evaluated the slices of `task`. Accepted only when `evaluations` covers exactly
    /// the assigned slices with one finite reward per member; a refused result puts its slices
    /// back for others.
    public func finishEvaluation(_ worker: WorkerID, task: TaskID, evaluations: [Evaluation], now: Duration) -> FinishReply {
        let reply = withTask(task, of: worker, now: now) { found in
            guard case .evaluate(let epoch, let assigned) = found.kind else {
                return .rejected(EngineRejection(.invalid, "\(task) is not an evaluation"))
            }
            _ = workers[worker]!.finish(task, now: now)
            guard !found.isCancelled, phase == .evaluating(epoch), var progress else {
                return .stale("epoch \(epoch)'s evaluation is over")
            }
            if let problem = Self.problem(with: evaluations, assigned: assigned) {
                progress.release(assigned)
                self.progress = progress
                for id in workerIDs { assign(id, now: now) }
                return .rejected(EngineRejection(.invalid, "\(task): \(problem)"))
            }
            var fresh = 0
            for evaluation in evaluations {
                for (offset, reward) in evaluation.rewards.enumerated()
                where progress.accept(evaluation.slice.start + offset, reward: reward) {
                    fresh += 1
                }
            }
            progress.release(assigned)
            self.progress = progress
            if progress.isComplete {
                beginOptimizing(epoch, rewards: progress.rewards, now: now)
            } else {
                assign(worker, now: now)
            }
            return fresh > 0 ? .accepted : .stale("every member of \(task) was already rewarded")
        }
        counters.count(evaluation: reply)
        return reply
    }

    /// `worker` applied an optimize (live or replayed).
    public func finishOptimization(_ worker: WorkerID, task: TaskID, now: Duration) -> FinishReply {
        withTask(task, of: worker, now: now) { found in
            guard case .optimize(let epoch, let live) = found.kind else {
                return .rejected(EngineRejection(.invalid, "\(task) is not an optimization"))
            }
            _ = workers[worker]!.finish(task, now: now)
            workers[worker]!.stateEpoch = epoch + 1
            if live, phase == .optimizing(epoch), optimizeBarrier.remove(worker) != nil, optimizeBarrier.isEmpty {
                finishOptimizing(epoch, now: now)
            } else if phase == .sharing(epoch) {
                electSharer(now: now)
            }
            return .accepted
        }
    }

    /// `worker` uploaded the state that starts epoch `n + 1`.
    public func finishShareState(_ worker: WorkerID, task: TaskID, state: [UInt8], now: Duration) -> FinishReply {
        withTask(task, of: worker, now: now) { found in
            guard case .share(let epoch) = found.kind else {
                return .rejected(EngineRejection(.invalid, "\(task) is not a state upload"))
            }
            guard !state.isEmpty else { return .rejected(EngineRejection(.invalid, "the shared state is empty")) }
            _ = workers[worker]!.finish(task, now: now)
            guard phase == .sharing(epoch), sharer == worker else { return .stale("epoch \(epoch)'s upload is no longer wanted") }
            sharer = nil
            checkpoint = Checkpoint(populationSize: configuration.populationSize, stateEpoch: epoch + 1, state: state)
            saveCheckpoint()
            onStateReceived?(checkpoint!)
            if configuration.maxEpochs > 0 && epoch >= configuration.maxEpochs {
                stop(now: now)
            } else {
                startEvaluating(epoch + 1, now: now)
            }
            return .accepted
        }
    }

    /// Runs `body` on the task `id` of `worker`; a call that names none gets its reply here.
    private func withTask(
        _ id: TaskID, of worker: WorkerID, now: Duration, _ body: (WorkerRecord.Task) -> FinishReply
    ) -> FinishReply {
        guard workers[worker] != nil else {
            return .rejected(EngineRejection(.unknownWorker, "\(worker) is not in the pool"))
        }
        workers[worker]!.lastHeard = now
        if let task = workers[worker]!.queue.first(where: { $0.id == id }) { return body(task) }
        if wasIssued(id) { return .stale("\(id) is already finished or was withdrawn") }
        return .rejected(EngineRejection(.unknownTask, "\(worker) has no \(id)"))
    }

    /// What is wrong with `evaluations` as the result of `assigned`, if anything.
    static func problem(with evaluations: [Evaluation], assigned: [MemberRange]) -> String? {
        let submitted = evaluations.map(\.slice).sorted()
        guard submitted == assigned.sorted() else {
            return "slices \(submitted) differ from the assigned \(assigned.sorted())"
        }
        for evaluation in evaluations {
            guard evaluation.rewards.count == evaluation.slice.count else {
                return "slice \(evaluation.slice) needs \(evaluation.slice.count) rewards, got \(evaluation.rewards.count)"
            }
            if let bad = evaluation.rewards.firstIndex(where: { !$0.isFinite }) {
                return "member \(evaluation.slice.start + bad) has a non-finite reward \(evaluation.rewards[bad])"
            }
        }
        return nil
    }
}

import ChorusEvochi
import ChorusHTTP

extension TrainingMonitor {
    /// Copies the coordinator's phase, workers and counts into the monitor once a second until
    /// the task is cancelled.
    func follow(_ coordinator: EvochiCoordinator) async {
        while !Task.isCancelled {
            let (phase, workers, counters) = await (coordinator.phase, coordinator.workerActivities, coordinator.counters)
            update(phase: "\(phase)",
                   workers: workers.map { Worker(name: "\($0.worker)", state: $0.activity.rawValue) },
                   counters: ["joins": counters.joins, "leaves": counters.leaves, "evictions": counters.evictions,
                              "evaluations_accepted": counters.evaluationsAccepted,
                              "evaluations_stale": counters.evaluationsStale,
                              "evaluations_refused": counters.evaluationsRefused, "reissues": counters.reissues])
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

import Chorus
import CoreMetrics
import Foundation
import Synchronization

/// A training run's section of `/api/status` (`"training"`) and its metrics: the epoch, the
/// phase, the workers by what they are doing, the engine's counts, and per epoch the reward
/// mean and best, its duration and, when the program scores its policy, that score. The
/// program feeds it from its coordinator's callbacks; the dashboard draws the curve from it.
public final class TrainingMonitor: StatusSource {
    /// One epoch on the training curve.
    public struct Point: Codable, Sendable {
        public var epoch: Int
        public var mean: Double
        public var best: Double
        public var policyScore: Double?
        /// How long the epoch took (since the previous one ended, or since the monitor began).
        public var seconds: Double
    }

    /// A worker and what it is doing (`joining`, `idle`, `busy`).
    public struct Worker: Codable, Sendable {
        public var name: String
        public var state: String

        public init(name: String, state: String) {
            self.name = name
            self.state = state
        }
    }

    /// The section's content.
    public struct Status: Codable, Sendable {
        public var population: Int
        public var epoch: Int
        public var phase: String
        public var workers: [Worker]
        public var counters: [String: Int]
        public var curve: [Point]
    }

    private let state: Mutex<Status>
    private let lastEpochEnd = Mutex(ContinuousClock.now)
    private let mirror: MetricsMirror
    private let epochDuration: CoreMetrics.Timer

    /// A monitor for a run of `population` members per epoch, reporting through
    /// `metricsFactory` (swift-metrics' global one by default).
    public init(population: Int, metricsFactory: (any MetricsFactory)? = nil) {
        let factory = metricsFactory ?? MetricsSystem.factory
        state = Mutex(Status(population: population, epoch: 0, phase: "initializing", workers: [], counters: [:], curve: []))
        mirror = MetricsMirror(factory: factory)
        epochDuration = CoreMetrics.Timer(label: "chorus_epoch_seconds", factory: factory)
    }

    public var statusSection: String { "training" }

    public func publishMetrics() {}

    public func status() -> any Encodable & Sendable { state.withLock { $0 } }

    /// Epoch `epoch`'s rewards are complete.
    public func epochFinished(_ epoch: Int, rewards: [Float]) {
        let now = ContinuousClock.now
        let elapsed = lastEpochEnd.withLock { last in
            defer { last = now }
            return now - last
        }
        let mean = rewards.isEmpty ? 0 : Double(rewards.reduce(0, +)) / Double(rewards.count)
        let best = Double(rewards.max() ?? 0)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        state.withLock { status in
            status.epoch = max(status.epoch, epoch)
            status.curve.append(Point(epoch: epoch, mean: mean, best: best, policyScore: nil, seconds: seconds))
        }
        epochDuration.recordNanoseconds(Int64(seconds * 1e9))
        mirror.level("chorus_coordinator_epoch", Double(epoch))
        mirror.level("chorus_coordinator_reward_mean", mean)
        mirror.level("chorus_coordinator_reward_max", best)
    }

    /// The policy after epoch `epoch` scored `score` (for programs that evaluate it).
    public func policyScored(epoch: Int, score: Double) {
        state.withLock { status in
            if let index = status.curve.lastIndex(where: { $0.epoch == epoch }) { status.curve[index].policyScore = score }
        }
        mirror.level("chorus_coordinator_policy_score", score)
    }

    /// The coordinator now: its phase, its workers, and its counts so far (each published as
    /// `chorus_coordinator_<name>_total`).
    public func update(phase: String, workers: [Worker], counters: [String: Int]) {
        state.withLock { status in
            status.phase = phase
            status.workers = workers
            status.counters = counters
        }
        for kind in ["initializing", "evaluating", "optimizing", "sharing", "stopped"] {
            mirror.level("chorus_coordinator_phase", phase.hasPrefix(kind) ? 1 : 0, ["phase", kind])
        }
        for state in Set(workers.map(\.state)).union(["joining", "idle", "busy"]) {
            mirror.level("chorus_coordinator_workers", Double(workers.count { $0.state == state }), ["state", state])
        }
        for (name, value) in counters { mirror.count("chorus_coordinator_\(name)_total", UInt64(max(value, 0))) }
    }
}

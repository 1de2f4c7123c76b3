import CoreMetrics
import Synchronization

/// The ring's latency histograms, recorded through swift-metrics timers once per batch (never
/// per sample): how long a batch's oldest sample waited for delivery, how long the learner
/// waited in each `next()`, and how long it held each batch.
///
/// A batch's oldest sample is dated by the first commit into its buffer (one clock read per
/// batch, by that producer). Commits race with the clock read, so a rare batch may be dated a
/// little early or late: these are operators' histograms, not accounting.
final class BatchTimers: Sendable {
    private let delivery: Timer
    private let learnerWait: Timer
    private let learnerHold: Timer
    private let start = ContinuousClock.now
    /// Per buffer: nanoseconds since `start` (plus 1; 0 while empty) of its first commit.
    private let firstCommits: PaddedCounters
    /// Nanoseconds since `start` (plus 1) when the consumer took the batch it holds. Written
    /// and read only under the ring's monitor.
    private let takenAt = Atomic<UInt64>(0)

    init(buffers: Int, factory: any MetricsFactory, dimensions: [(String, String)]) {
        delivery = Timer(label: "chorus_batch_delivery_seconds", dimensions: dimensions, factory: factory)
        learnerWait = Timer(label: "chorus_learner_wait_seconds", dimensions: dimensions, factory: factory)
        learnerHold = Timer(label: "chorus_learner_hold_seconds", dimensions: dimensions, factory: factory)
        firstCommits = PaddedCounters(count: buffers)
    }

    /// A point in time for the other calls.
    func now() -> UInt64 {
        let elapsed = (ContinuousClock.now - start).components
        return UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000) + 1
    }

    /// The first samples of a batch went into `buffer`.
    func firstCommit(buffer: Int) {
        firstCommits[buffer].store(now(), ordering: .relaxed)
    }

    /// The consumer took the batch in `buffer` at `time`.
    func delivered(buffer: Int, at time: UInt64) {
        let first = firstCommits[buffer].exchange(0, ordering: .relaxed)
        if first > 0, time >= first { delivery.recordNanoseconds(Int64(time - first)) }
        takenAt.store(time, ordering: .relaxed)
    }

    /// The learner waited from `since` for a batch it got.
    func waited(since: UInt64, until time: UInt64) {
        learnerWait.recordNanoseconds(Int64(time - since))
    }

    /// The consumer released the batch it held.
    func released() {
        let taken = takenAt.exchange(0, ordering: .relaxed)
        if taken > 0 { learnerHold.recordNanoseconds(Int64(now() - taken)) }
    }
}

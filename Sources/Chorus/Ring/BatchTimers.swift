import CoreMetrics
import Synchronization

/// The ring's latency histograms, recorded through swift-metrics timers once per batch (never
/// per sample): how long a batch's oldest sample waited for delivery, how long the learner
/// waited in each `next()`, and how long it held each batch.
///
/// A batch's oldest sample is dated when its first slot is reserved (one clock read per batch,
/// by that producer, which reserves only once it holds the sample's bytes). That date is stored
/// before the producer's releasing commit, so the consumer, whose acquiring load saw the batch
/// complete, always finds it: every delivered batch is recorded exactly once.
final class BatchTimers: Sendable {
    private let delivery: Timer
    private let learnerWait: Timer
    private let learnerHold: Timer
    private let start = ContinuousClock.now
    /// Per buffer: nanoseconds since `start` (plus 1; 0 while empty) of its batch's first
    /// reservation.
    private let batchStarts: PaddedCounters
    /// Nanoseconds since `start` (plus 1) when the consumer took the batch it holds. Written
    /// and read only under the ring's monitor.
    private let takenAt = Atomic<UInt64>(0)

    init(buffers: Int, factory: any MetricsFactory) {
        delivery = Timer(label: "chorus_batch_delivery_seconds", factory: factory)
        learnerWait = Timer(label: "chorus_learner_wait_seconds", factory: factory)
        learnerHold = Timer(label: "chorus_learner_hold_seconds", factory: factory)
        batchStarts = PaddedCounters(count: buffers)
    }

    /// A point in time for the other calls.
    func now() -> UInt64 {
        let elapsed = (ContinuousClock.now - start).components
        return UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000) + 1
    }

    /// The first slot of the batch in `buffer` was reserved; called before that reservation
    /// is committed.
    func batchStarted(buffer: Int) {
        batchStarts[buffer].store(now(), ordering: .relaxed)
    }

    /// The consumer took the batch in `buffer`, now.
    func delivered(buffer: Int) {
        let time = now()
        let started = batchStarts[buffer].exchange(0, ordering: .relaxed)
        if started > 0 { delivery.recordNanoseconds(Int64(time - min(started, time))) }
        takenAt.store(time, ordering: .relaxed)
    }

    /// The learner, which asked for a batch at `since`, got the one just delivered.
    func waited(since: UInt64) {
        learnerWait.recordNanoseconds(Int64(takenAt.load(ordering: .relaxed) - since))
    }

    /// The consumer released the batch it held.
    func released() {
        let taken = takenAt.exchange(0, ordering: .relaxed)
        if taken > 0 { learnerHold.recordNanoseconds(Int64(now() - taken)) }
    }
}

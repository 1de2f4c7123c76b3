import ChorusCore
import Glibc
import Synchronization

/// A pre-allocated ring of sample slots: many producers, one consumer, whole batches.
///
/// The ring has `numBuffers` buffers of `batchSize` slots. Slots are numbered by a ring-wide
/// sequence number `n` (slot `n % capacity`, batch `n / batchSize`).
///
/// - Producers reserve consecutive slots with one compare-and-swap on `reserved` (a reservation
///   never crosses a batch and never passes `released + capacity`), copy their samples in, and
///   commit with one atomic add on the batch's counter. The commit that completes a batch wakes
///   the consumer. When the ring is full producers wait on the monitor, with a timeout.
/// - The consumer takes batches in order. A batch is complete when its counter reaches
///   `batchSize`; the acquire load that sees this synchronizes with every producer's releasing
///   add, so all its bytes are visible. The consumer holds one batch at a time; taking the next
///   releases the previous one: its counter is reset to 0 and `released` grows by `batchSize`
///   (a releasing store that producers' reservations acquire).
/// - Shutdown sets the closed bit in `reserved`, which freezes reservations atomically, and in
///   the same compare-and-swap reserves the rest of a partly reserved last batch, which it
///   completes as invalid slots (``void(_:)``). So every reserved slot still completes
///   (reservations are always committed or voided) and every committed sample is delivered,
///   the last batch with its empty slots marked; then the consumer gets `nil`.
final class Ring: @unchecked Sendable {
    let storage: RingStorage
    let batchSize: Int
    let numBuffers: Int
    let timers: BatchTimers
    /// Slots completed without a sample (``void(_:)``), per batch.
    let validity: SlotValidity
    var schema: Schema { storage.schema }
    var capacity: Int { storage.capacity }

    private static let closedBit: UInt64 = 1 << 63

    /// Index `reservedIndex`: slots reserved so far, plus `closedBit` once shut down.
    /// Index `releasedIndex`: slots released by the consumer (a multiple of `batchSize`).
    /// Index `commitIndex(b)`: samples committed in batch `b` of the current lap.
    private let counters: PaddedCounters
    private static let reservedIndex = 0
    private static let releasedIndex = 1
    private func commitIndex(forBatch batch: UInt64) -> Int { 2 + Int(batch % UInt64(numBuffers)) }

    /// What waiters on `monitor` wait for.
    enum Condition: Int, CaseIterable {
        case batchReady, spaceFree
    }

    /// The ring's slow paths: a consumer waiting for a batch, producers waiting for space, the
    /// consumer's bookkeeping. The fast paths (reserve, write, commit of a batch's non-final
    /// sample) never take it.
    ///
    /// Lock order: the innermost lock of the server. Taken while holding a v2 session's lock
    /// (a commit that completes a batch); nothing is taken while holding it. Space listeners
    /// run under it and only write an eventfd.
    private let monitor = ConditionLock<Condition>()
    // Counters that ``metrics`` reads without the monitor (a scrape never holds up the ring);
    // the last two are written only under it.
    private let producerWaitCount = Atomic<UInt64>(0)
    private let consumerWaitCount = Atomic<UInt64>(0)
    private let batchesDelivered = Atomic<UInt64>(0)
    /// Odd while the consumer releases a batch (resets its commit counter, then grows
    /// `released`), so that ``metrics`` can tell a read that saw only one of the two and retry:
    /// a sequence lock over the counters, written only by the consumer under the monitor.
    private let releaseSequence = Atomic<UInt64>(0)
    // Guarded by `monitor`:
    private var nextBatch: UInt64 = 0
    private var heldBatch: UInt64?
    private var waitingProducers = 0
    private var waitingConsumer: CheckedContinuation<Void, Never>?
    private var isClosed = false
    private var spaceListeners = WakeListeners()

    /// - Precondition: `batchSize ≥ 1`, `numBuffers ≥ 2`, and the sizes do not overflow
    ///   (``Server`` checks these with clear errors).
    init(schema: Schema, batchSize: Int, numBuffers: Int, timers: BatchTimers) {
        precondition(batchSize >= 1 && numBuffers >= 2)
        self.batchSize = batchSize
        self.numBuffers = numBuffers
        self.timers = timers
        storage = RingStorage(schema: schema, batchSize: batchSize, numBuffers: numBuffers)
        validity = SlotValidity(batchSize: batchSize, numBuffers: numBuffers)
        counters = PaddedCounters(count: 2 + numBuffers)
    }

    // MARK: Producers

    /// Reserves between 1 and `count` consecutive slots of one batch, waiting while the ring is
    /// full until `deadline` (forever when `nil`).
    func reserve(upTo count: Int, until deadline: Deadline?) throws(RingError) -> Reservation {
        precondition(count >= 1)
        while true {
            if let reservation = try tryReserve(upTo: count) { return reservation }
            try waitForSpace(until: deadline)
        }
    }

    /// Reserves between 1 and `count` consecutive slots of one batch, or returns `nil` at once
    /// when the ring is full.
    func tryReserve(upTo count: Int) throws(RingError) -> Reservation? {
        var word = counters[Self.reservedIndex].load(ordering: .relaxed)
        while true {
            guard word & Self.closedBit == 0 else { throw .shutDown }
            // Acquiring: the consumer's reads of these slots happen before our writes.
            let released = counters[Self.releasedIndex].load(ordering: .acquiring)
            let free = released + UInt64(capacity) - word
            guard free > 0 else { return nil }
            let leftInBatch = UInt64(batchSize) - word % UInt64(batchSize)
            let granted = min(UInt64(count), leftInBatch, free)
            let (exchanged, original) = counters[Self.reservedIndex].compareExchange(
                expected: word, desired: word + granted, ordering: .relaxed)
            guard exchanged else {
                word = original
                continue
            }
            if word % UInt64(batchSize) == 0 {
                timers.batchStarted(buffer: Int(word / UInt64(batchSize) % UInt64(numBuffers)))
            }
            return Reservation(first: word, count: Int(granted))
        }
    }

    /// Copies `reservation.count` packed samples into the reserved slots.
    func write(_ packed: UnsafeRawBufferPointer, into reservation: borrowing Reservation) {
        precondition(packed.count == reservation.count * schema.sampleSize)
        storage.scatter(packed, toSlotsFrom: firstSlot(of: reservation))
    }

    /// The memory of the reserved slots in packed-sample order (each sample's leaves in flatten
    /// order), for producers that fill them in place, such as a socket read. Valid until the
    /// reservation is committed; every byte must be written before that.
    func slotBuffers(for reservation: borrowing Reservation) -> [UnsafeMutableRawBufferPointer] {
        storage.slotBuffers(firstSlot: firstSlot(of: reservation), count: reservation.count)
    }

    /// Where a reservation starts in the ring's slot numbering (0..<capacity).
    private func firstSlot(of reservation: borrowing Reservation) -> Int {
        Int(reservation.first % UInt64(capacity))
    }

    /// Gives back the slots of `reservation` after its first `count`, when no reservation was
    /// made after it (and the ring is not shut down); otherwise changes nothing and returns
    /// false. For a producer that could not fill what it reserved (a short socket read).
    func shrink(_ reservation: inout Reservation, to count: Int) -> Bool {
        precondition(count >= 0 && count <= reservation.count)
        let end = reservation.first + UInt64(reservation.count)
        // Producers that read `end` meanwhile fail their compare-and-swap and re-read, so the
        // slots given back are reserved again only after this.
        let (exchanged, _) = counters[Self.reservedIndex].compareExchange(
            expected: end, desired: reservation.first + UInt64(count), ordering: .relaxed)
        if exchanged { reservation.shrink(to: count) }
        return exchanged
    }

    /// Publishes the reserved slots to the consumer; wakes it if this completes the batch.
    func commit(_ reservation: consuming Reservation) {
        guard reservation.count > 0 else { return }
        let batch = reservation.first / UInt64(batchSize)
        let committed = counters[commitIndex(forBatch: batch)]
            .add(UInt64(reservation.count), ordering: .releasing).newValue
        if committed == UInt64(batchSize) { wakeConsumer() }
    }

    /// Completes the reserved slots without samples, for a producer that died (or was cut off)
    /// before filling them: their bytes are zeroed, so no leaf holds a torn value, and the
    /// batch reports them invalid (``Batch/invalidCount``). The ring goes on as after a commit.
    func void(_ reservation: consuming Reservation) {
        guard reservation.count > 0 else { return }
        let slot = firstSlot(of: reservation)
        storage.zeroFill(firstSlot: slot, count: reservation.count)
        validity.markInvalid(firstSlot: slot, count: reservation.count)
        commit(reservation)
    }

    private func waitForSpace(until deadline: Deadline?) throws(RingError) {
        producerWaitCount.add(1, ordering: .relaxed)
        monitor.lock()
        defer { monitor.unlock() }
        waitingProducers += 1
        defer { waitingProducers -= 1 }
        // Registered as waiting before re-checking: a release that happens after this check
        // sees `waitingProducers > 0` under the lock and broadcasts.
        var timedOut = false
        while !isClosed && !hasFreeSlot() {
            if timedOut { throw .timedOut }
            timedOut = !monitor.wait(on: .spaceFree, until: deadline)
        }
        if isClosed { throw .shutDown }
    }

    /// Registers `notify` for ``armSpaceListener(_:)``; returns its id. For producers that must
    /// not block (the transport's I/O loops): `notify` is called on the thread that frees space,
    /// under the ring's lock, so it must only signal (e.g. write an eventfd).
    func addSpaceListener(_ notify: @escaping @Sendable () -> Void) -> Int {
        monitor.withLock { spaceListeners.add(notify) }
    }

    /// Forgets listener `id`: it is not called again once this returns.
    func removeSpaceListener(_ id: Int) {
        monitor.withLock { spaceListeners.remove(id) }
    }

    /// Listeners registered now (tests check that stopped transports removed theirs).
    var spaceListenerCount: Int { monitor.withLock { spaceListeners.count } }

    /// Asks for one call of listener `id` once a slot is free or the ring shuts down; calls it at
    /// once if that is already so.
    func armSpaceListener(_ id: Int) {
        monitor.withLock { spaceListeners.arm(id, now: isClosed || hasFreeSlot()) }
    }

    private func hasFreeSlot() -> Bool {
        let reserved = counters[Self.reservedIndex].load(ordering: .relaxed) & ~Self.closedBit
        return counters[Self.releasedIndex].load(ordering: .acquiring) + UInt64(capacity) > reserved
    }

    private func wakeConsumer() {
        monitor.lock()
        monitor.signal(.batchReady)
        let continuation = waitingConsumer
        waitingConsumer = nil
        monitor.unlock()
        continuation?.resume()
    }

    // MARK: Consumer

    /// Releases the held batch and waits for the next complete one; `nil` once shut down and
    /// drained.
    func next() -> UInt64? {
        guard case .batch(let batch) = next(until: nil) else { return nil }
        return batch
    }

    /// Releases the held batch and waits for the next complete one until `deadline` (forever
    /// when `nil`): `.notReady` when the deadline passed first.
    func next(until deadline: Deadline?) -> Take {
        next(until: deadline, takingMetrics: false).take
    }

    /// `next(until:)` that, when asked, also reads the counters as the batch is taken, under the
    /// lock the take holds anyway: a separate `metrics` read after every batch contends with the
    /// producers for that lock (measured: a quarter fewer 28 KB batches per second).
    func next(until deadline: Deadline?, takingMetrics: Bool) -> (take: Take, metrics: RingMetrics?) {
        let start = timers.now()
        monitor.lock()
        defer { monitor.unlock() }
        releaseHeldLocked()
        var counted = false
        var timedOut = false
        while true {
            let take = takeNextLocked()
            guard case .notReady = take, !timedOut else {
                if case .batch = take { timers.waited(since: start) }
                return (take, takingMetrics ? metrics : nil)
            }
            if !counted {
                consumerWaitCount.add(1, ordering: .relaxed)
                counted = true
            }
            timedOut = !monitor.wait(on: .batchReady, until: deadline)
        }
    }

    /// `next()` for async callers: suspends instead of blocking a thread; returns `nil` when shut
    /// down and drained, or when the task is cancelled.
    func nextAsync() async -> UInt64? {
        var counted = false
        while true {
            let outcome = monitor.withLock {
                releaseHeldLocked()
                return takeNextLocked()
            }
            switch outcome {
            case .batch(let batch): return batch
            case .finished: return nil
            case .notReady: break
            }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    monitor.lock()
                    if !counted {
                        consumerWaitCount.add(1, ordering: .relaxed)
                        counted = true
                    }
                    // Registered under the lock after re-checking, so a commit or shutdown in
                    // between finds the continuation; a cancellation before this point has
                    // already set `isCancelled`.
                    if Task.isCancelled || isNextReadyLocked() {
                        monitor.unlock()
                        continuation.resume()
                    } else {
                        waitingConsumer = continuation
                        monitor.unlock()
                    }
                }
            } onCancel: {
                let continuation = monitor.withLock {
                    defer { waitingConsumer = nil }
                    return waitingConsumer
                }
                continuation?.resume()
            }
        }
    }

    /// Releases the held batch and takes the next one if it is complete, without waiting.
    func tryNext() -> UInt64? {
        monitor.withLock {
            releaseHeldLocked()
            guard case .batch(let batch) = takeNextLocked() else { return nil }
            return batch
        }
    }

    /// Releases the held batch, if any, so producers may refill it.
    func releaseHeld() {
        monitor.withLock { releaseHeldLocked() }
    }

    /// Whether `batch` is the one the consumer holds now (views check this before lending memory).
    func isHeld(_ batch: UInt64) -> Bool {
        monitor.withLock { heldBatch == batch }
    }

    /// What the consumer found: the batch it now holds, none complete yet, or the end.
    enum Take {
        case batch(UInt64)
        case notReady
        case finished
    }

    private func takeNextLocked() -> Take {
        if isNextCompleteLocked() {
            timers.delivered(buffer: Int(nextBatch % UInt64(numBuffers)))
            heldBatch = nextBatch
            nextBatch += 1
            batchesDelivered.add(1, ordering: .relaxed)
            return .batch(nextBatch - 1)
        }
        return isNextDrainedLocked() ? .finished : .notReady
    }

    private func isNextReadyLocked() -> Bool {
        isNextCompleteLocked() || isNextDrainedLocked()
    }

    private func isNextCompleteLocked() -> Bool {
        counters[commitIndex(forBatch: nextBatch)].load(ordering: .acquiring) == UInt64(batchSize)
    }

    /// After shutdown, a batch that was not reserved will never complete (shutdown reserved
    /// the rest of the last one).
    private func isNextDrainedLocked() -> Bool {
        guard isClosed else { return false }
        let reserved = counters[Self.reservedIndex].load(ordering: .relaxed) & ~Self.closedBit
        return (nextBatch + 1) * UInt64(batchSize) > reserved
    }

    private func releaseHeldLocked() {
        guard let batch = heldBatch else { return }
        heldBatch = nil
        timers.released()
        validity.reset(buffer: Int(batch % UInt64(numBuffers)))
        // Sequence lock, writer side: the odd value is ordered before both counter writes.
        releaseSequence.add(1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        counters[commitIndex(forBatch: batch)].store(0, ordering: .relaxed)
        counters[Self.releasedIndex].add(UInt64(batchSize), ordering: .releasing)
        releaseSequence.add(1, ordering: .releasing)
        if waitingProducers > 0 { monitor.broadcast(.spaceFree) }
        spaceListeners.notify(all: false)
    }

    // MARK: Lifecycle

    /// Stops new reservations and wakes every waiter. Every committed sample is still delivered:
    /// a partly filled last batch is completed with its unreserved slots marked invalid.
    func shutdown() {
        if let rest = close() { void(rest) }
        monitor.lock()
        isClosed = true
        monitor.broadcast(.spaceFree)
        monitor.broadcast(.batchReady)
        spaceListeners.notify(all: true)
        let continuation = waitingConsumer
        waitingConsumer = nil
        monitor.unlock()
        continuation?.resume()
    }

    /// Sets the closed bit (the first call only) and reserves the rest of the batch the last
    /// reservation left unfinished, so that batch completes once its producers commit; returns
    /// that rest, if any. No producer can reserve, or give back, slots after this.
    private func close() -> Reservation? {
        var word = counters[Self.reservedIndex].load(ordering: .relaxed)
        while word & Self.closedBit == 0 {
            let batchEnd = (word + UInt64(batchSize) - 1) / UInt64(batchSize) * UInt64(batchSize)
            let (exchanged, original) = counters[Self.reservedIndex].compareExchange(
                expected: word, desired: batchEnd | Self.closedBit, ordering: .relaxed)
            guard exchanged else {
                word = original
                continue
            }
            // Acquiring, as in `tryReserve`: the consumer's last reads of these slots (and its
            // reset of their validity) happen before the void writes them. They are free: a
            // batch is reserved only within `released + capacity`, and never across buffers.
            let released = counters[Self.releasedIndex].load(ordering: .acquiring)
            precondition(batchEnd <= released + UInt64(capacity))
            return batchEnd > word ? Reservation(first: word, count: Int(batchEnd - word)) : nil
        }
        return nil
    }

    /// The ring's counters, read without its lock: a reader never delays producers or the
    /// consumer. `samplesCommitted` and `fill` come from one consistent view of the counters
    /// (sequence lock, reader side: a read that overlapped a release is retried).
    var metrics: RingMetrics {
        while true {
            let sequence = releaseSequence.load(ordering: .acquiring)
            if sequence & 1 == 0 {
                let released = counters[Self.releasedIndex].load(ordering: .relaxed)
                let inRing = (0..<numBuffers).reduce(UInt64(0)) {
                    $0 + counters[2 + $1].load(ordering: .relaxed)
                }
                atomicMemoryFence(ordering: .acquiring)
                if releaseSequence.load(ordering: .relaxed) == sequence {
                    return RingMetrics(
                        samplesCommitted: released + inRing,
                        batchesDelivered: batchesDelivered.load(ordering: .relaxed),
                        producerWaits: producerWaitCount.load(ordering: .relaxed),
                        consumerWaits: consumerWaitCount.load(ordering: .relaxed),
                        fill: Int(inRing),
                        capacity: capacity)
                }
            }
            // The consumer is between two stores of a release: let it finish.
            sched_yield()
        }
    }
}

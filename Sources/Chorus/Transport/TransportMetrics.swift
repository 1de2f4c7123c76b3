/// A snapshot of a server's transport counters (all listeners, all I/O threads).
public struct TransportMetrics: Hashable, Sendable {
    /// Why a connection was refused or closed by the server.
    public enum Refusal: String, Hashable, Sendable, CaseIterable {
        case schemaMismatch, authenticationFailed, malformedHello, serverFull, shuttingDown, unknownTable
        /// A sample for a replay table carried a NaN, infinite or negative priority.
        case invalidPriority
        case handshakeTimeout, sendTimeout, idleTimeout
        /// A same-host producer wrote counts into its control lane that its grants cannot
        /// explain, or sent bytes after the handshake: it was cut off.
        case protocolViolation
    }

    public var connectionsAccepted: UInt64 = 0
    public var connectionsActive: Int = 0
    /// Connections the peer reset, or that failed with another socket error.
    public var connectionsReset: UInt64 = 0
    /// Connections that ended in the middle of a sample; the partial sample was dropped.
    public var samplesTruncated: UInt64 = 0
    public var samplesReceived: UInt64 = 0
    /// Of those, samples read straight from the socket into their ring slots (one copy).
    public var samplesReadDirectly: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Ack messages written (each covers one or more samples).
    public var ackWrites: UInt64 = 0
    /// Times a connection paused reading because the ring was full.
    public var stalls: UInt64 = 0
    /// v2 reconnects that resumed a known session.
    public var sessionsResumed: UInt64 = 0
    public var refusals: [Refusal: UInt64] = [:]
    /// Connections closed because the kernel reported something their state did not allow
    /// (an error of ours or the kernel's; the learner goes on). `lastInternalError` says what.
    public var internalErrors: UInt64 = 0
    public var lastInternalError: String?
    /// Direct reads into ring slots that came up short and were completed another way.
    public var shortDirectReads: UInt64 = 0
    /// Samples whose bytes never came (a short direct read; a same-host producer that left or
    /// died holding granted slots): zeroed in the ring and marked invalid, not acked.
    public var samplesVoided: UInt64 = 0
    /// Shared memory: times the pump woke to its doorbell (it sleeps when nothing moves).
    public var sharedMemoryPumpWakeups: UInt64 = 0
    /// Shared memory: futex wake-ups the pump sent to producers waiting for grants or acks.
    public var sharedMemoryProducerWakeups: UInt64 = 0
    /// Shared memory: producers killed because they held granted slots past the grant lease
    /// (``TransportOptions/sharedMemoryGrantLease``).
    public var sharedMemoryProducersKilled: UInt64 = 0
    /// The traffic of each listener: TCP listeners, then shared-memory ones, each in the order
    /// they were given to `listen`.
    public var listeners: [Listener] = []

    /// One listener's share of the counters above.
    public struct Listener: Hashable, Sendable {
        public var listener: BoundListener
        public var connectionsAccepted: UInt64
        public var samplesReceived: UInt64
        public var bytesReceived: UInt64
    }
}

import ChorusCore
import Synchronization

/// The live counters behind ``TransportMetrics``, written by the I/O threads.
final class TransportCounters: Sendable {
    let accepted = Atomic<UInt64>(0)
    let active = Atomic<Int>(0)
    let reset = Atomic<UInt64>(0)
    let truncated = Atomic<UInt64>(0)
    let samples = Atomic<UInt64>(0)
    let samplesDirect = Atomic<UInt64>(0)
    let bytes = Atomic<UInt64>(0)
    let ackWrites = Atomic<UInt64>(0)
    let stalls = Atomic<UInt64>(0)
    let resumed = Atomic<UInt64>(0)
    let internalErrors = Atomic<UInt64>(0)
    let shortDirectReads = Atomic<UInt64>(0)
    let samplesVoided = Atomic<UInt64>(0)
    /// Shared memory: times the pump woke to its doorbell, and futex wake-ups it sent producers.
    let pumpWakeups = Atomic<UInt64>(0)
    let producerWakeups = Atomic<UInt64>(0)
    /// Shared memory: producers killed by the grant lease.
    let producersKilled = Atomic<UInt64>(0)
    /// Per listener: connections accepted, samples committed, bytes received.
    private let listenerCounters: PaddedCounters
    private static let perListener = 3

    /// Leaf locks: nothing else is taken while holding them.
    private let refusals = Locked<[TransportMetrics.Refusal: UInt64]>([:])
    private let lastInternalError = Locked<String?>(nil)

    init(listeners: Int) {
        listenerCounters = PaddedCounters(count: Self.perListener * listeners)
    }

    /// A connection came in on listener `listener`.
    func accepted(on listener: Int) {
        accepted.add(1, ordering: .relaxed)
        listenerCounters[Self.perListener * listener].add(1, ordering: .relaxed)
    }

    /// `count` samples from a connection of listener `listener` were committed.
    func committed(_ count: Int, on listener: Int) {
        samples.add(UInt64(count), ordering: .relaxed)
        listenerCounters[Self.perListener * listener + 1].add(UInt64(count), ordering: .relaxed)
    }

    /// `count` bytes arrived on a connection of listener `listener`.
    func received(_ count: Int, on listener: Int) {
        bytes.add(UInt64(count), ordering: .relaxed)
        listenerCounters[Self.perListener * listener + 2].add(UInt64(count), ordering: .relaxed)
    }

    func refused(_ reason: TransportMetrics.Refusal) {
        refusals.withLock { $0[reason, default: 0] += 1 }
    }

    /// Counts an internal error (a connection closed on one, or a completion no connection
    /// owns) and keeps its description.
    func internalError(_ description: String) {
        internalErrors.add(1, ordering: .relaxed)
        lastInternalError.withLock { $0 = description }
    }

    /// The counters now; `listeners` names the listeners in order.
    func snapshot(listeners: [BoundListener]) -> TransportMetrics {
        TransportMetrics(
            connectionsAccepted: accepted.load(ordering: .relaxed),
            connectionsActive: active.load(ordering: .relaxed),
            connectionsReset: reset.load(ordering: .relaxed),
            samplesTruncated: truncated.load(ordering: .relaxed),
            samplesReceived: samples.load(ordering: .relaxed),
            samplesReadDirectly: samplesDirect.load(ordering: .relaxed),
            bytesReceived: bytes.load(ordering: .relaxed),
            ackWrites: ackWrites.load(ordering: .relaxed),
            stalls: stalls.load(ordering: .relaxed),
            sessionsResumed: resumed.load(ordering: .relaxed),
            refusals: refusals.withLock { $0 },
            internalErrors: internalErrors.load(ordering: .relaxed),
            lastInternalError: lastInternalError.withLock { $0 },
            shortDirectReads: shortDirectReads.load(ordering: .relaxed),
            samplesVoided: samplesVoided.load(ordering: .relaxed),
            sharedMemoryPumpWakeups: pumpWakeups.load(ordering: .relaxed),
            sharedMemoryProducerWakeups: producerWakeups.load(ordering: .relaxed),
            sharedMemoryProducersKilled: producersKilled.load(ordering: .relaxed),
            listeners: listeners.enumerated().map { index, listener in
                let base = Self.perListener * index
                return TransportMetrics.Listener(
                    listener: listener,
                    connectionsAccepted: listenerCounters[base].load(ordering: .relaxed),
                    samplesReceived: listenerCounters[base + 1].load(ordering: .relaxed),
                    bytesReceived: listenerCounters[base + 2].load(ordering: .relaxed))
            })
    }
}

/// A snapshot of a ring's counters. Counters only grow; `fill` is the current level.
public struct RingMetrics: Hashable, Sendable {
    /// Slots completed since the ring was created: committed samples, plus the few completed
    /// as invalid (``Batch/invalidCount``).
    public var samplesCommitted: UInt64
    /// Batches handed to the consumer.
    public var batchesDelivered: UInt64
    /// Times a producer found the ring full and had to wait.
    public var producerWaits: UInt64
    /// Times the consumer found no complete batch and had to wait.
    public var consumerWaits: UInt64
    /// Committed samples not yet released by the consumer (including the batch it holds).
    public var fill: Int
    /// Slots in the ring: `numBuffers × batchSize`.
    public var capacity: Int
}

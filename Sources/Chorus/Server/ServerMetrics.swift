/// A snapshot of a server's counters.
public struct ServerMetrics: Hashable, Sendable {
    /// The ring: samples committed, batches delivered, waits on both sides, fill.
    public var ring: RingMetrics
    /// The TCP listeners: connections, refusals by reason, samples and bytes received, acks.
    public var transport: TransportMetrics
}

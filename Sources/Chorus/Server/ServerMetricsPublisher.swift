import ChorusCore
import CoreMetrics

/// Carries a server's counters into swift-metrics when asked (``Server/publishMetrics()``):
/// counters as the growth since the last call, levels as gauges. The data plane keeps its own
/// atomics; nothing here runs per sample.
///
/// Names follow Prometheus' conventions (`_total` for counters); per-listener and per-table
/// series carry `listener`, `wire` and `table` dimensions, refusals a `reason`.
final class ServerMetricsPublisher: Sendable {
    private let state: Locked<State>

    fileprivate struct State {
        let factory: any MetricsFactory
        /// The value each counter series had when last published, by label and dimensions.
        var published: [Series: Int64] = [:]
        var counters: [Series: Counter] = [:]
        var gauges: [Series: Gauge] = [:]
    }

    fileprivate struct Series: Hashable {
        let label: String
        let dimensions: [String]

        var pairs: [(String, String)] {
            stride(from: 0, to: dimensions.count, by: 2).map { (dimensions[$0], dimensions[$0 + 1]) }
        }
    }

    init(factory: any MetricsFactory) {
        state = Locked(State(factory: factory))
    }

    func publish(_ metrics: ServerMetrics, tables: [ReplayTableInfo]) {
        state.withLock { state in
            let (ring, transport) = (metrics.ring, metrics.transport)
            let counters: KeyValuePairs<String, UInt64> = [
                "chorus_ring_samples_committed_total": ring.samplesCommitted,
                "chorus_ring_batches_delivered_total": ring.batchesDelivered,
                "chorus_ring_producer_waits_total": ring.producerWaits,
                "chorus_ring_consumer_waits_total": ring.consumerWaits,
                "chorus_connections_accepted_total": transport.connectionsAccepted,
                "chorus_connections_reset_total": transport.connectionsReset,
                "chorus_samples_received_total": transport.samplesReceived,
                "chorus_samples_read_directly_total": transport.samplesReadDirectly,
                "chorus_bytes_received_total": transport.bytesReceived,
                "chorus_samples_truncated_total": transport.samplesTruncated,
                "chorus_samples_voided_total": transport.samplesVoided,
                "chorus_acks_sent_total": transport.ackWrites,
                "chorus_receive_stalls_total": transport.stalls,
                "chorus_sessions_resumed_total": transport.sessionsResumed,
                "chorus_internal_errors_total": transport.internalErrors,
            ]
            for (label, value) in counters { state.count(label, value) }
            state.level("chorus_ring_fill_samples", ring.fill)
            state.level("chorus_ring_capacity_samples", ring.capacity)
            state.level("chorus_connections_active", transport.connectionsActive)
            for reason in TransportMetrics.Refusal.allCases {
                state.count("chorus_refusals_total", transport.refusals[reason] ?? 0,
                            ["reason", reason.rawValue])
            }
            for listener in transport.listeners {
                let dimensions = ["listener", "\(listener.listener.port)", "wire", "\(listener.listener.wireProtocol)"]
                state.count("chorus_listener_connections_accepted_total", listener.connectionsAccepted, dimensions)
                state.count("chorus_listener_samples_total", listener.samplesReceived, dimensions)
                state.count("chorus_listener_bytes_total", listener.bytesReceived, dimensions)
            }
            for table in tables {
                let dimensions = ["table", table.name]
                state.level("chorus_table_items", table.size, dimensions)
                state.level("chorus_table_capacity_items", table.maxSize, dimensions)
                state.count("chorus_table_inserts_total", table.inserts, dimensions)
                state.count("chorus_table_samples_total", table.samples, dimensions)
                state.count("chorus_table_removals_total", table.removals, dimensions)
                state.count("chorus_table_insert_blocks_total", table.insertBlocks, dimensions)
                state.count("chorus_table_sample_blocks_total", table.sampleBlocks, dimensions)
            }
        }
    }
}

extension ServerMetricsPublisher.State {
    /// Adds to counter `label` what `value` grew by since the last publish.
    fileprivate mutating func count(_ label: String, _ value: UInt64, _ dimensions: [String] = []) {
        let series = ServerMetricsPublisher.Series(label: label, dimensions: dimensions)
        let now = Int64(clamping: value)
        let growth = now - published[series, default: 0]
        published[series] = now
        let counter = counters[series] ?? {
            let made = Counter(label: label, dimensions: series.pairs, factory: factory)
            counters[series] = made
            return made
        }()
        if growth > 0 { counter.increment(by: growth) }
    }

    /// Sets gauge `label` to `value`.
    fileprivate mutating func level(_ label: String, _ value: Int, _ dimensions: [String] = []) {
        let series = ServerMetricsPublisher.Series(label: label, dimensions: dimensions)
        let gauge = gauges[series] ?? {
            let made = Gauge(label: label, dimensions: series.pairs, factory: factory)
            gauges[series] = made
            return made
        }()
        gauge.record(value)
    }
}

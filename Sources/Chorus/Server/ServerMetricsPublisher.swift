import CoreMetrics

/// Carries a server's counters into swift-metrics when asked (``Server/publishMetrics()``):
/// counters as the growth since the last call, levels as gauges. The data plane keeps its own
/// atomics; nothing here runs per sample.
///
/// Names follow Prometheus' conventions (`_total` for counters); per-listener and per-table
/// series carry `listener`, `wire` and `table` dimensions, refusals a `reason`.
final class ServerMetricsPublisher: Sendable {
    private let mirror: MetricsMirror

    init(factory: any MetricsFactory) {
        mirror = MetricsMirror(factory: factory)
    }

    func publish(_ metrics: ServerMetrics, tables: [ReplayTableInfo]) {
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
            "chorus_shm_pump_wakeups_total": transport.sharedMemoryPumpWakeups,
            "chorus_shm_producer_wakeups_total": transport.sharedMemoryProducerWakeups,
            "chorus_shm_producers_killed_total": transport.sharedMemoryProducersKilled,
        ]
        for (label, value) in counters { mirror.count(label, value) }
        mirror.level("chorus_ring_fill_samples", Double(ring.fill))
        mirror.level("chorus_ring_capacity_samples", Double(ring.capacity))
        mirror.level("chorus_connections_active", Double(transport.connectionsActive))
        for reason in TransportMetrics.Refusal.allCases {
            mirror.count("chorus_refusals_total", transport.refusals[reason] ?? 0, ["reason", reason.rawValue])
        }
        for listener in transport.listeners {
            let bound = listener.listener
            // A shared-memory listener is named by its socket path, with wire "shm".
            let dimensions = ["listener", bound.path ?? "\(bound.port)", "wire", bound.path == nil ? "\(bound.wireProtocol)" : "shm"]
            mirror.count("chorus_listener_connections_accepted_total", listener.connectionsAccepted, dimensions)
            mirror.count("chorus_listener_samples_total", listener.samplesReceived, dimensions)
            mirror.count("chorus_listener_bytes_total", listener.bytesReceived, dimensions)
        }
        for table in tables {
            let dimensions = ["table", table.name]
            mirror.level("chorus_table_items", Double(table.size), dimensions)
            mirror.level("chorus_table_capacity_items", Double(table.maxSize), dimensions)
            mirror.count("chorus_table_inserts_total", table.inserts, dimensions)
            mirror.count("chorus_table_samples_total", table.samples, dimensions)
            mirror.count("chorus_table_removals_total", table.removals, dimensions)
            mirror.count("chorus_table_insert_blocks_total", table.insertBlocks, dimensions)
            mirror.count("chorus_table_sample_blocks_total", table.sampleBlocks, dimensions)
        }
    }
}

import ChorusCore
import CoreMetrics

/// Mirrors values kept elsewhere into swift-metrics: a counter series grows by what its value
/// grew since the last call, a gauge takes its value. Series are made on first use, keyed by
/// label and dimensions. For counters a program keeps itself (a server's atomics, an engine's
/// counts), so nothing is reported per event.
package final class MetricsMirror: Sendable {
    private let state: Locked<State>

    private struct State {
        let factory: any MetricsFactory
        var published: [Series: Int64] = [:]
        var counters: [Series: Counter] = [:]
        var gauges: [Series: Gauge] = [:]
    }

    private struct Series: Hashable {
        let label: String
        let dimensions: [String]

        var pairs: [(String, String)] {
            stride(from: 0, to: dimensions.count, by: 2).map { (dimensions[$0], dimensions[$0 + 1]) }
        }
    }

    package init(factory: any MetricsFactory) {
        state = Locked(State(factory: factory))
    }

    /// Counter `label` (with `dimensions`, as key, value, key, value, …) now stands at `value`.
    package func count(_ label: String, _ value: UInt64, _ dimensions: [String] = []) {
        state.withLock { state in
            let series = Series(label: label, dimensions: dimensions)
            let now = Int64(clamping: value)
            let growth = now - state.published[series, default: 0]
            state.published[series] = now
            let counter = state.counters[series] ?? Counter(label: label, dimensions: series.pairs, factory: state.factory)
            state.counters[series] = counter
            if growth > 0 { counter.increment(by: growth) }
        }
    }

    /// Gauge `label` is now `value`.
    package func level(_ label: String, _ value: Double, _ dimensions: [String] = []) {
        state.withLock { state in
            let series = Series(label: label, dimensions: dimensions)
            let gauge = state.gauges[series] ?? Gauge(label: label, dimensions: series.pairs, factory: state.factory)
            state.gauges[series] = gauge
            gauge.record(value)
        }
    }
}

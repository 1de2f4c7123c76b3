import Foundation
import Prometheus

extension PrometheusMetricsFactory {
    /// A factory for `registry` whose timers have buckets from 1 µs to 10 s (1–2.5–5 per
    /// decade): Chorus' latencies run from microseconds (a batch's hand-off) to seconds (an
    /// epoch), where swift-prometheus' defaults start at 5 ms.
    public static func chorus(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = (-6...1).flatMap { exponent in
            [1, 2.5, 5].map { mantissa in Duration.nanoseconds(Int64(mantissa * pow(10, Double(exponent + 9)))) }
        }.filter { $0 <= .seconds(10) }
        return factory
    }
}

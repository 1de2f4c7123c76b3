/// Something the monitoring endpoint reports on: a learner's ``Chorus/Server``, a training
/// run. Each source fills one section of `GET /api/status` and brings its swift-metrics up to
/// date before `GET /metrics` renders them.
public protocol StatusSource: Sendable {
    /// The key of this source's section in `/api/status` (`"server"`, `"training"`).
    var statusSection: String { get }
    /// Carries counters kept elsewhere into swift-metrics (called before every scrape).
    func publishMetrics()
    /// The section's content now.
    func status() -> any Encodable & Sendable
}

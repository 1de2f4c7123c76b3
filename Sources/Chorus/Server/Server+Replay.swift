import ChorusCore

/// The server's replay tables, by name: what in-process producers and the learner call.
extension Server {
    /// The tables, in the order given at creation.
    public var tables: [ReplayTable] { replayTables.all }

    /// The table named `name`; throws ``ReplayError/unknownTable(_:known:)`` naming the others.
    public func table(named name: String) throws(ReplayError) -> ReplayTable {
        try replayTables.named(name)
    }

    /// Inserts `sample` into table `name` with `priority`, waiting (at most `timeout`) while its
    /// rate limiter forbids it; returns the item's key.
    @discardableResult
    public func insert(_ sample: Sample, into name: String, priority: Double = 1, timeout: Duration? = nil)
        throws(ReplayError) -> UInt64
    {
        try table(named: name).insert(sample, priority: priority, timeout: timeout)
    }

    /// Samples a batch of `batchSize` items from table `name` (see ``ReplayTable/sample(batchSize:timeout:)``).
    public func sample(from name: String, batchSize: Int, timeout: Duration? = nil) throws(ReplayError) -> ReplaySample {
        try table(named: name).sample(batchSize: batchSize, timeout: timeout)
    }

    /// Sets priorities in table `name` by key; nothing changes if one is invalid or unknown.
    public func updatePriorities(in name: String, _ updates: [UInt64: Double]) throws(ReplayError) {
        try table(named: name).updatePriorities(updates)
    }

    /// ``ReplayTable/updatePriorities(keys:priorities:)`` on the table called `name`.
    public func updatePriorities(in name: String, keys: [UInt64], priorities: [Double]) throws(ReplayError) {
        try table(named: name).updatePriorities(keys: keys, priorities: priorities)
    }
}

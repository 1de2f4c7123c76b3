import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints: a table's configuration, items, keys, priorities, times sampled, selector order,
/// rate-limiter counts and random state, written to one file and read back into a new table
/// that continues exactly where this one stood (the same next samples).
extension ReplayTable {
    static let checkpointMagic = "chorus-replay-table"
    static let checkpointVersion: UInt64 = 1

    /// Writes the table to `path` atomically (a temporary file beside it, flushed, then renamed
    /// over it): a crash leaves the old checkpoint or the new one, never a torn one. Inserts and
    /// samples wait while it writes. Returns the bytes written.
    @discardableResult
    public func checkpoint(to path: String) throws(ReplayError) -> Int {
        let temporary = "\(path).partial-\(getpid())"
        do throws(ReplayError) {
            let file = try CheckpointFile(writing: temporary)
            let bytes = try lock.withLock { () throws(ReplayError) -> Int in try writeLocked(to: file) }
            try file.sync()
            guard rename(temporary, path) == 0 else { throw CheckpointFile.failure("rename to \(path)") }
            Self.syncDirectory(of: path)
            return bytes
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A table restored from a checkpoint written by ``checkpoint(to:)``.
    public convenience init(checkpoint path: String) throws(ReplayError) {
        let file = try CheckpointFile(reading: path)
        guard try file.readString() == Self.checkpointMagic else { throw .checkpoint("\(path) is not a table checkpoint") }
        let version = try file.readUInt64()
        guard version == Self.checkpointVersion else {
            throw .checkpoint("\(path) has version \(version); this build reads \(Self.checkpointVersion)")
        }
        let name = try file.readString()
        let schema: Schema
        do {
            schema = try Schema(json: try file.readString())
        } catch {
            throw .checkpoint("\(path) holds an invalid schema: \(error)")
        }
        let maxSize = try file.readInt()
        let sampler = try Self.readSelector(file)
        let remover = try Self.readSelector(file)
        let limiter = try RateLimiter(samplesPerInsert: try file.readDouble(), minSizeToSample: try file.readInt(),
                                      minDiff: try file.readDouble(), maxDiff: try file.readDouble())
        let maxTimesSampled = try file.readInt()
        try self.init(name: name, schema: schema, maxSize: maxSize, sampler: sampler, remover: remover,
                      rateLimiter: limiter, maxTimesSampled: maxTimesSampled == 0 ? nil : maxTimesSampled)
        try lock.withLock { () throws(ReplayError) in try readLocked(from: file) }
    }

    private func writeLocked(to file: borrowing CheckpointFile) throws(ReplayError) -> Int {
        try file.write(Self.checkpointMagic)
        try file.write(Self.checkpointVersion)
        try file.write(name)
        try file.write(schema.canonicalJSON)
        try file.write(UInt64(maxSize))
        try Self.write(sampler, to: file)
        try Self.write(remover, to: file)
        try file.write(rateLimiter.samplesPerInsert)
        try file.write(UInt64(rateLimiter.minSizeToSample))
        try file.write(rateLimiter.minDiff)
        try file.write(rateLimiter.maxDiff)
        try file.write(UInt64(maxTimesSampled ?? 0))
        try file.write([limiter.inserts, limiter.samples, limiter.deletes, UInt64(drawsLeft),
                        random.state.0, random.state.1, random.state.2, random.state.3, UInt64(freshSlots)])
        for order in [samplerSelection.rebuildOrder, removerSelection.rebuildOrder, freeSlots] {
            try file.write(UInt64(order.count))
            try file.write(order)
        }
        let written = records[..<freshSlots]
        try file.write(written.map(\.generation))
        try file.write(written.map(\.priority))
        try file.write(written.map(\.timesSampled))
        var itemBytes = 0
        for leaf in schema.leaves {
            let region = storage.region(leaf: leaf.index, slots: freshSlots)
            try file.write(UnsafeRawBufferPointer(region))
            itemBytes += region.count
        }
        return itemBytes + freshSlots * 16 + limiter.size * 8
    }

    private func readLocked(from file: borrowing CheckpointFile) throws(ReplayError) {
        let counts = try file.read(9, of: UInt64.self)
        limiter = RateLimiterState(inserts: counts[0], samples: counts[1], deletes: counts[2])
        drawsLeft = Int(truncatingIfNeeded: counts[3])
        random = ReplayRandom(state: (counts[4], counts[5], counts[6], counts[7]))
        guard counts[8] <= UInt64(maxSize) else { throw .checkpoint("\(file.path) holds more slots than the table") }
        freshSlots = Int(counts[8])
        let samplerOrder = try file.read(try file.readInt(), of: Int32.self)
        let removerOrder = try file.read(try file.readInt(), of: Int32.self)
        freeSlots = try file.read(try file.readInt(), of: Int32.self)
        let slots = 0..<Int32(freshSlots)
        guard samplerOrder.count == limiter.size, removerOrder.count == limiter.size,
              samplerOrder.allSatisfy(slots.contains), removerOrder.allSatisfy(slots.contains),
              freeSlots.allSatisfy(slots.contains), freeSlots.count + limiter.size == freshSlots else {
            throw .checkpoint("\(file.path) is inconsistent: its item counts disagree")
        }
        let generations = try file.read(freshSlots, of: UInt32.self)
        let priorities = try file.read(freshSlots, of: Double.self)
        let timesSampled = try file.read(freshSlots, of: UInt32.self)
        for slot in 0..<freshSlots {
            records[slot] = ItemRecord(generation: generations[slot], timesSampled: timesSampled[slot],
                                       priority: priorities[slot])
        }
        for leaf in schema.leaves {
            try file.read(into: storage.region(leaf: leaf.index, slots: freshSlots))
        }
        guard file.isAtEnd() else { throw .checkpoint("\(file.path) has bytes after the table") }
        for slot in samplerOrder { samplerSelection.insert(slot, priority: records[Int(slot)].priority) }
        for slot in removerOrder { removerSelection.insert(slot, priority: records[Int(slot)].priority) }
    }

    private static func write(_ selector: Selector, to file: borrowing CheckpointFile) throws(ReplayError) {
        let (kind, exponent): (UInt64, Double) = switch selector {
        case .fifo: (0, 0)
        case .lifo: (1, 0)
        case .uniform: (2, 0)
        case .prioritized(let exponent): (3, exponent)
        case .maxHeap: (4, 0)
        case .minHeap: (5, 0)
        }
        try file.write(kind)
        try file.write(exponent)
    }

    private static func readSelector(_ file: borrowing CheckpointFile) throws(ReplayError) -> Selector {
        let kind = try file.readUInt64()
        let exponent = try file.readDouble()
        switch kind {
        case 0: return .fifo
        case 1: return .lifo
        case 2: return .uniform
        case 3: return .prioritized(priorityExponent: exponent)
        case 4: return .maxHeap
        case 5: return .minHeap
        default: throw .checkpoint("\(file.path) names an unknown selector \(kind)")
        }
    }

    /// Flushes the directory holding `path`, so the rename itself survives a crash.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        Glibc.close(fd)
    }
}

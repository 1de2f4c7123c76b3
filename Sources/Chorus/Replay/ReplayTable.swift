import ChorusCore

/// A replay table for off-policy learning, in Reverb's model: a fixed number of items (samples
/// of one schema), each with a key, a priority and a count of times sampled; a sampler picks
/// what a sample returns, a remover what makes room when the table is full, and a rate limiter
/// decides when inserts and samples may proceed (they wait, with a timeout, when it says no).
///
/// ```swift
/// let table = try ReplayTable(name: "replay", schema: schema, maxSize: 1_000_000,
///                             sampler: .prioritized(priorityExponent: 0.6), remover: .fifo,
///                             rateLimiter: .minSize(1_000))
/// let key = try table.insert(sample, priority: 1)       // actors, on any threads
/// let batch = try table.sample(batchSize: 256)           // the learner
/// try table.updatePriorities([key: 2.5])
/// ```
///
/// Memory is reserved for `maxSize` items up front (committed as slots are first used). One
/// lock guards the table; an insert copies its item in and a sample copies its items out under
/// it, so a sampled batch is consistent and owns its memory.
public final class ReplayTable: @unchecked Sendable {
    public let name: String
    public let schema: Schema
    public let maxSize: Int
    public let sampler: Selector
    public let remover: Selector
    public let rateLimiter: RateLimiter
    /// An item is removed once sampled this many times; nil: never for that reason.
    public let maxTimesSampled: Int?

    enum Condition: Int, CaseIterable { case insertAllowed, sampleAllowed }
    let lock = ConditionLock<Condition>()

    // Everything below is guarded by `lock`.
    let storage: ReplayStorage
    var samplerSelection: any ItemSelection
    var removerSelection: any ItemSelection
    /// Per slot, what the table knows of its item (see ``ItemRecord``).
    var records: [ItemRecord]
    /// Slots freed by a removal, reused before fresh ones.
    var freeSlots: [Int32] = []
    /// Slots `0..<freshSlots` have held an item at some point.
    var freshSlots = 0
    var limiter = RateLimiterState()
    /// With `maxTimesSampled`: Σ over items of the samples each may still have; a batch waits
    /// until it covers the batch, so a batch never empties the table halfway.
    var drawsLeft = 0
    var random: ReplayRandom
    var closed = false
    var waiting = (inserts: 0, samples: 0)
    /// Calls the rate limiter held back: inserts and samples that waited, and non-blocking
    /// inserts (the transport's) that stopped short.
    var blocks = (inserts: UInt64(0), samples: UInt64(0))
    var insertListeners = WakeListeners()

    /// A table; throws if a parameter is out of range, the table could not be held full in the
    /// memory this process may use (physical memory or its cgroup's limit), or the rate limiter
    /// could never let a sample through (`minSizeToSample > maxSize`). `seed` fixes the random
    /// picks.
    public init(name: String, schema: Schema, maxSize: Int, sampler: Selector = .uniform, remover: Selector = .fifo,
                rateLimiter: RateLimiter, maxTimesSampled: Int? = nil, seed: UInt64 = 0) throws(ReplayError) {
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw .invalidTable("a table name must be 1 to 255 bytes, not \"\(name)\"")
        }
        guard maxSize >= 1, maxSize < Int(Int32.max) else {
            throw .invalidTable("maxSize must be between 1 and \(Int32.max - 1), not \(maxSize)")
        }
        let (itemBytes, overflow) = maxSize.multipliedReportingOverflow(by: schema.sampleSize)
        guard !overflow else { throw .invalidTable("\(maxSize) items of \(schema.sampleSize) bytes overflow") }
        // A table is sized to be filled: one that could never be held full is refused now, not
        // killed by the kernel once it fills (or while its records are written, below).
        let recordBytes = maxSize * MemoryLayout<ItemRecord>.stride
        if let limit = MemoryLimit.bytes, itemBytes > limit - recordBytes {
            let gigabytes = MemoryLimit.gigabytes
            throw .invalidTable("""
                maxSize \(maxSize) needs at least \(gigabytes(Double(itemBytes) + Double(recordBytes))) \
                (\(gigabytes(Double(itemBytes))) of items, \(gigabytes(Double(recordBytes))) of records), more than \
                the \(gigabytes(Double(limit))) of memory this process may use
                """)
        }
        if let reason = sampler.invalidReason ?? remover.invalidReason { throw .invalidTable(reason) }
        if let maxTimesSampled, maxTimesSampled < 1 {
            throw .invalidTable("maxTimesSampled must be at least 1 (or nil), not \(maxTimesSampled)")
        }
        guard rateLimiter.minSizeToSample <= maxSize else {
            throw .invalidRateLimiter(
                "minSizeToSample (\(rateLimiter.minSizeToSample)) exceeds maxSize (\(maxSize)): samples would never start")
        }
        guard let storage = ReplayStorage(schema: schema, capacity: maxSize) else {
            throw .invalidTable("could not reserve \(maxSize) items of \(schema.sampleSize) bytes")
        }
        self.name = name
        self.schema = schema
        self.maxSize = maxSize
        self.sampler = sampler
        self.remover = remover
        self.rateLimiter = rateLimiter
        self.maxTimesSampled = maxTimesSampled
        self.storage = storage
        samplerSelection = sampler.makeSelection(capacity: maxSize)
        removerSelection = remover.makeSelection(capacity: maxSize)
        records = Array(repeating: ItemRecord(), count: maxSize)
        random = ReplayRandom(seed: seed)
    }

    /// A queue of `size` items: each sampled exactly once, in insertion order, inserts waiting
    /// while it is full (Reverb's `Table.queue`; the FIFO ring's behaviour as a table).
    public static func queue(name: String, schema: Schema, size: Int) throws(ReplayError) -> ReplayTable {
        try ReplayTable(name: name, schema: schema, maxSize: size, sampler: .fifo, remover: .fifo,
                        rateLimiter: .queue(size: size), maxTimesSampled: 1)
    }

    // MARK: Inserting

    /// Inserts one sample with `priority`, waiting while the rate limiter forbids it (at most
    /// `timeout`, forever when nil); returns its key.
    @discardableResult
    public func insert(_ sample: Sample, priority: Double = 1, timeout: Duration? = nil) throws(ReplayError) -> UInt64 {
        guard sample.schema == schema else { throw .schemaMismatch(expected: schema, given: sample.schema) }
        return try sample.withUnsafeBytes { (bytes) throws(ReplayError) in
            try insert(packed: bytes, priorities: [priority], timeout: timeout)[0]
        }
    }

    /// Inserts packed samples (each `schema.sampleSize` bytes, leaves in flatten order, as on the
    /// wire) in order, with one priority each (or one for all); returns their keys. On a timeout
    /// or close the error says how many went in.
    @discardableResult
    public func insert(packed bytes: UnsafeRawBufferPointer, priorities given: [Double] = [1],
                       timeout: Duration? = nil) throws(ReplayError) -> [UInt64] {
        var keys: [UInt64] = []
        keys.reserveCapacity(bytes.count / max(schema.sampleSize, 1))
        try insert(packed: bytes, priorities: given, timeout: timeout) { _, key in keys.append(key) }
        return keys
    }

    /// `insert(packed:priorities:timeout:)` that hands each key to `inserted` (the sample's index,
    /// its key) as it goes in, so a caller keeps the keys of the samples inserted before a
    /// timeout (the C ABI writes them into its caller's array).
    package func insert(packed bytes: UnsafeRawBufferPointer, priorities given: [Double], timeout: Duration?,
                        inserted: (Int, UInt64) -> Void) throws(ReplayError) {
        let sampleSize = schema.sampleSize
        let count = bytes.count / sampleSize
        guard count > 0, count * sampleSize == bytes.count else {
            throw .wrongSize(sampleSize: sampleSize, given: bytes.count)
        }
        guard given.count == 1 || given.count == count else {
            throw .priorityCount(given.count, items: count)
        }
        if let bad = given.first(where: { !Self.isValid($0) }) { throw .invalidPriority(bad) }
        let deadline = timeout.map(Deadline.init(after:))
        lock.lock()
        defer { lock.unlock() }
        for index in 0..<count {
            // About to wait for room: samplers must see what this call put in, or both could wait.
            if index > 0, !limiter.canInsert(1, under: rateLimiter) { wakeSamplersLocked() }
            try waitLocked(.insertAllowed, until: deadline, completed: index) {
                limiter.canInsert(1, under: rateLimiter)
            }
            let sample = UnsafeRawBufferPointer(rebasing: bytes[index * sampleSize..<(index + 1) * sampleSize])
            inserted(index, insertLocked(sample, priority: given.count == 1 ? given[0] : given[index]))
        }
        wakeSamplersLocked()
    }

    /// Inserts as many of the records in `bytes` as the rate limiter allows now, without
    /// waiting; returns how many, and the invalid priority that stopped it early, if one did.
    /// A record is a packed sample, after its little-endian `Float64` priority when
    /// `prioritized` (v2's layout for table connections), else with priority 1. For the
    /// transport's I/O loops, which must not block: they arm an insert listener when this
    /// inserts fewer than they have.
    ///
    /// - Precondition: `bytes` holds whole records.
    package func tryInsert(records bytes: UnsafeRawBufferPointer, prioritized: Bool)
        throws(ReplayError) -> (inserted: Int, invalidPriority: Double?)
    {
        let prefix = prioritized ? ChorusWire.priorityPrefixSize : 0
        let recordSize = prefix + schema.sampleSize
        let count = bytes.count / recordSize
        precondition(count * recordSize == bytes.count, "partial record")
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw .closed(completed: 0) }
        var inserted = 0
        var invalid: Double?
        while inserted < count, limiter.canInsert(1, under: rateLimiter) {
            let record = UnsafeRawBufferPointer(rebasing: bytes[inserted * recordSize..<(inserted + 1) * recordSize])
            let priority = prioritized
                ? Double(bitPattern: UInt64(littleEndian: record.loadUnaligned(as: UInt64.self))) : 1
            guard Self.isValid(priority) else {
                invalid = priority
                break
            }
            insertLocked(UnsafeRawBufferPointer(rebasing: record[prefix...]), priority: priority)
            inserted += 1
        }
        if inserted > 0 { wakeSamplersLocked() }
        if inserted < count && invalid == nil { blocks.inserts += 1 }
        return (inserted, invalid)
    }

    /// Whether `priority` is one a table accepts: finite and not negative.
    public static func isValid(_ priority: Double) -> Bool { priority.isFinite && priority >= 0 }

    @discardableResult
    private func insertLocked(_ sample: UnsafeRawBufferPointer, priority: Double) -> UInt64 {
        let slot: Int32
        if limiter.size == maxSize {
            slot = removerSelection.pick(&random).slot
            removeLocked(slot, freeing: false)
        } else if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = Int32(freshSlots)
            freshSlots += 1
        }
        storage.write(sample, to: Int(slot))
        records[Int(slot)].generation &+= 1
        records[Int(slot)].priority = priority
        records[Int(slot)].timesSampled = 0
        samplerSelection.insert(slot, priority: priority)
        removerSelection.insert(slot, priority: priority)
        limiter.inserts += 1
        if let maxTimesSampled { drawsLeft += maxTimesSampled }
        return key(of: slot)
    }

    /// Removes the item in `slot`; `freeing: false` when the caller reuses the slot at once.
    private func removeLocked(_ slot: Int32, freeing: Bool = true) {
        samplerSelection.remove(slot)
        removerSelection.remove(slot)
        records[Int(slot)].generation &+= 1
        if freeing { freeSlots.append(slot) }
        limiter.deletes += 1
        if let maxTimesSampled { drawsLeft -= maxTimesSampled - Int(records[Int(slot)].timesSampled) }
    }

    func key(of slot: Int32) -> UInt64 { Self.key(slot: Int(slot), generation: records[Int(slot)].generation) }

    static func key(slot: Int, generation: UInt32) -> UInt64 { UInt64(generation) << 32 | UInt64(UInt32(slot)) }

    /// The slot holding the item with `key`, if the table still holds it.
    func slot(of key: UInt64) -> Int32? {
        let slot = Int(key & 0xFFFF_FFFF)
        guard slot < freshSlots, records[slot].generation & 1 == 1, UInt64(records[slot].generation) == key >> 32 else {
            return nil
        }
        return Int32(slot)
    }

    // MARK: Sampling

    /// Draws `batchSize` items (with replacement, by the sampler) once the rate limiter allows
    /// that many samples, waiting at most `timeout` (forever when nil); each item's times-sampled
    /// count rises, and an item that reaches `maxTimesSampled` is removed.
    ///
    /// A batch is drawn whole or not at all, so a timeout loses nothing. Its size must therefore
    /// fit the limiter's band (`maxDiff − minDiff`; a queue's size) and, with `maxTimesSampled`,
    /// the table (`maxSize × maxTimesSampled`): a larger batch could never be drawn and is refused.
    public func sample(batchSize: Int, timeout: Duration? = nil) throws(ReplayError) -> ReplaySample {
        try ReplaySample(schema: schema, batchSize: batchSize) { (leaves) throws(ReplayError) in
            try sample(batchSize: batchSize, into: leaves, timeout: timeout)
        }
    }

    /// Draws `batchSize` items into `leaves` (leaf `i` gets `batchSize × leaf bytes`, C order):
    /// ``sample(batchSize:timeout:)`` into memory the caller owns (the C ABI's NumPy arrays).
    package func sample(batchSize: Int, into leaves: [UnsafeMutableRawPointer], timeout: Duration?) throws(ReplayError) -> ReplayDraws {
        precondition(leaves.count == schema.leaves.count, "one buffer per leaf")
        try validate(batchSize: batchSize)
        let deadline = timeout.map(Deadline.init(after:))
        var draws = ReplayDraws(capacity: batchSize)
        lock.lock()
        defer { lock.unlock() }
        try waitLocked(.sampleAllowed, until: deadline, completed: 0) {
            limiter.canSample(batchSize, under: rateLimiter) && (maxTimesSampled == nil || drawsLeft >= batchSize)
        }
        var slots = [Int32](repeating: 0, count: batchSize)
        var probabilities = [Double](repeating: 0, count: batchSize)
        slots.withUnsafeMutableBufferPointer { slots in
            probabilities.withUnsafeMutableBufferPointer { probabilities in
                if let maxTimesSampled {
                    // A pick may remove its item, which changes the next pick: one at a time.
                    for row in 0..<batchSize {
                        (slots[row], probabilities[row]) = samplerSelection.pick(&random)
                        drawsLeft -= 1
                        count(slots[row], into: &draws)
                        if records[Int(slots[row])].timesSampled >= maxTimesSampled { removeLocked(slots[row]) }
                    }
                } else {
                    samplerSelection.pick(into: slots, probabilities: probabilities, &random)
                    countBatch(slots, into: &draws)
                }
            }
            storage.gather(UnsafeBufferPointer(slots), into: leaves)
        }
        draws.probabilities = probabilities
        wakeInsertersLocked()
        return draws
    }

    /// `count` for a batch of draws that removes no item: first one tight loop over the records
    /// (each row's likely cache miss overlapping the others'), then a loop per reported array.
    private func countBatch(_ slots: UnsafeMutableBufferPointer<Int32>, into draws: inout ReplayDraws) {
        records.withUnsafeMutableBufferPointer { records in
            for slot in slots { records[Int(slot)].timesSampled += 1 }
            draws.timesSampled = Self.rows(slots) { Int(records[$0].timesSampled) }
            draws.keys = Self.rows(slots) { Self.key(slot: $0, generation: records[$0].generation) }
            draws.priorities = Self.rows(slots) { records[$0].priority }
        }
        draws.tableSizes = Array(repeating: limiter.size, count: slots.count)
        limiter.samples += UInt64(slots.count)
    }

    /// `row(slot)` for each of `slots`, in order.
    private static func rows<Row>(_ slots: UnsafeMutableBufferPointer<Int32>, _ row: (Int) -> Row) -> [Row] {
        Array(unsafeUninitializedCapacity: slots.count) { rows, initialized in
            for index in slots.indices { rows.initializeElement(at: index, to: row(Int(slots[index]))) }
            initialized = slots.count
        }
    }

    /// Counts one draw of the item in `slot` and records it in `draws`.
    private func count(_ slot: Int32, into draws: inout ReplayDraws) {
        records[Int(slot)].timesSampled += 1
        draws.keys.append(key(of: slot))
        draws.priorities.append(records[Int(slot)].priority)
        draws.timesSampled.append(Int(records[Int(slot)].timesSampled))
        draws.tableSizes.append(limiter.size)
        limiter.samples += 1
    }

    /// Throws unless a batch of `batchSize` could ever be drawn whole (see `sample`): for
    /// programs that check their configuration before they start.
    public func validate(batchSize: Int) throws(ReplayError) {
        guard batchSize >= 1 else { throw .invalidBatchSize(batchSize, reason: "a batch needs at least 1 item") }
        if rateLimiter.maxDiff - rateLimiter.minDiff < Double(batchSize) {
            throw .invalidBatchSize(batchSize, reason: "the rate limiter's band (maxDiff − minDiff = \(rateLimiter.maxDiff - rateLimiter.minDiff)) is narrower: the batch could never be drawn whole")
        }
        if let maxTimesSampled, maxSize * maxTimesSampled < batchSize {
            throw .invalidBatchSize(batchSize, reason: "the table holds at most \(maxSize) items of \(maxTimesSampled) samples each")
        }
    }

    // MARK: Changing items

    /// Sets the priorities of the items with these keys; throws, changing nothing, if a priority
    /// is invalid or a key is not in the table.
    public func updatePriorities(_ updates: [UInt64: Double]) throws(ReplayError) {
        try updatePriorities(keys: Array(updates.keys), priorities: Array(updates.values))
    }

    /// Sets `priorities[i]` as the priority of the item with `keys[i]` (a key given twice takes
    /// its last priority); throws, changing nothing, if a priority is invalid or a key is not in
    /// the table. The form for arrays a learner already holds: no dictionary to build.
    public func updatePriorities(keys: [UInt64], priorities updates: [Double]) throws(ReplayError) {
        guard keys.count == updates.count else {
            throw .priorityCount(updates.count, items: keys.count)
        }
        if let bad = updates.first(where: { !Self.isValid($0) }) { throw .invalidPriority(bad) }
        try lock.withLock { () throws(ReplayError) in
            let slots = try keys.map { (key) throws(ReplayError) in
                guard let slot = slot(of: key) else { throw .unknownKey(key) }
                return slot
            }
            records.withUnsafeMutableBufferPointer { records in
                for (slot, priority) in zip(slots, updates) { records[Int(slot)].priority = priority }
            }
            samplerSelection.update(slots, priorities: updates)
            removerSelection.update(slots, priorities: updates)
        }
    }

    /// Removes the items with these keys; throws, removing nothing, if a key is not in the table.
    public func delete(_ keys: [UInt64]) throws(ReplayError) {
        try lock.withLock { () throws(ReplayError) in
            var slots: [Int32] = []
            for key in keys {
                guard let slot = slot(of: key) else { throw .unknownKey(key) }
                if !slots.contains(slot) { slots.append(slot) }
            }
            for slot in slots { removeLocked(slot) }
            wakeInsertersLocked()
        }
    }

    // MARK: State

    /// Items in the table now.
    public var size: Int { lock.withLock { limiter.size } }

    /// The table's counters now.
    public var info: ReplayTableInfo {
        lock.withLock {
            ReplayTableInfo(name: name, size: limiter.size, maxSize: maxSize, inserts: limiter.inserts,
                            samples: limiter.samples, removals: limiter.deletes,
                            waitingInserts: waiting.inserts, waitingSamples: waiting.samples,
                            insertBlocks: blocks.inserts, sampleBlocks: blocks.samples)
        }
    }

    /// Bytes the table has reserved for items and their bookkeeping (item memory is committed
    /// as slots are first used, so resident memory may be less).
    public var reservedBytes: Int {
        lock.withLock {
            maxSize * schema.sampleSize + samplerSelection.allocatedBytes + removerSelection.allocatedBytes
                + records.allocatedBytes
                + freeSlots.capacity * MemoryLayout<Int32>.stride
        }
    }

    /// Ends every wait with ``ReplayError/closed(completed:)``; later calls throw it too.
    public func close() {
        lock.withLock {
            closed = true
            lock.broadcast(.insertAllowed)
            lock.broadcast(.sampleAllowed)
            insertListeners.notify(all: true)
        }
    }

    // MARK: Waiting

    /// Waits, the lock held, until `allowed` holds; throws on close or past `deadline`.
    private func waitLocked(_ condition: Condition, until deadline: Deadline?, completed: Int,
                            _ allowed: () -> Bool) throws(ReplayError) {
        var timedOut = false
        if !closed && !allowed() {
            if condition == .insertAllowed { blocks.inserts += 1 } else { blocks.samples += 1 }
        }
        while !closed && !allowed() {
            if timedOut { throw .timedOut(completed: completed) }
            if condition == .insertAllowed { waiting.inserts += 1 } else { waiting.samples += 1 }
            timedOut = !lock.wait(on: condition, until: deadline)
            if condition == .insertAllowed { waiting.inserts -= 1 } else { waiting.samples -= 1 }
        }
        if closed { throw .closed(completed: completed) }
    }

    private func wakeSamplersLocked() {
        if waiting.samples > 0 { lock.broadcast(.sampleAllowed) }
    }

    private func wakeInsertersLocked() {
        if waiting.inserts > 0 { lock.broadcast(.insertAllowed) }
        if limiter.canInsert(1, under: rateLimiter) { insertListeners.notify(all: false) }
    }

    // MARK: Non-blocking inserters

    /// Registers `notify` for ``armInsertListener(_:)``; returns its id. `notify` runs under the
    /// table's lock, so it must only signal (write an eventfd).
    package func addInsertListener(_ notify: @escaping @Sendable () -> Void) -> Int {
        lock.withLock { insertListeners.add(notify) }
    }

    package func removeInsertListener(_ id: Int) {
        lock.withLock { insertListeners.remove(id) }
    }

    /// Asks for one call of listener `id` once an insert is allowed or the table closes; calls
    /// it at once if that is already so.
    package func armInsertListener(_ id: Int) {
        lock.withLock {
            insertListeners.arm(id, now: closed || limiter.canInsert(1, under: rateLimiter))
        }
    }
}

/// What a table keeps per slot, side by side so that a sampled row costs one cache miss, not
/// three.
struct ItemRecord {
    /// Odd while the slot holds an item, bumped on every insert and removal; a key is
    /// `generation << 32 | slot`, so a key outlives its item only as a key that no longer matches.
    var generation: UInt32 = 0
    var timesSampled: UInt32 = 0
    var priority: Double = 0
}

/// A table's counters at one moment.
public struct ReplayTableInfo: Sendable, Equatable {
    public let name: String
    public let size: Int
    public let maxSize: Int
    public let inserts: UInt64
    public let samples: UInt64
    /// Items removed: by the remover, after `maxTimesSampled`, or deleted.
    public let removals: UInt64
    public let waitingInserts: Int
    public let waitingSamples: Int
    /// Inserts the rate limiter held back (each waited, or a transport insert stopped short).
    public let insertBlocks: UInt64
    /// Samples the rate limiter held back (each waited).
    public let sampleBlocks: UInt64
}

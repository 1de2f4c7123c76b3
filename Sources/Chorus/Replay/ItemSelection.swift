/// The state behind one sampler or remover of a ``ReplayTable``: which of the table's slots
/// hold items it may pick, and how it picks. Slots are item positions in the table's storage
/// (`0..<capacity`). The table calls these under its lock, with slots it knows to be occupied
/// (`update`, `remove`) or free (`insert`), and `pick` only when it holds at least one item.
protocol ItemSelection: AnyObject {
    func insert(_ slot: Int32, priority: Double)
    func update(_ slot: Int32, priority: Double)
    /// `update` for each pair (a slot given twice takes its last priority), at once: a selection
    /// whose updates share work does it once.
    func update(_ slots: [Int32], priorities: [Double])
    func remove(_ slot: Int32)
    /// A slot, and the probability it was picked with.
    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double)
    /// `slots.count` independent picks (with replacement) at once, for a batch drawn when no
    /// pick can remove an item; the same distribution as that many `pick`s.
    func pick(into slots: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Double>,
              _ random: inout ReplayRandom)
    /// The slots in an order that, inserted with the same priorities into a new selection of
    /// the same kind, makes it pick exactly as this one does (checkpoints store this).
    var rebuildOrder: [Int32] { get }
    /// Bytes this selection takes when the table is full.
    var allocatedBytes: Int { get }
}

extension ItemSelection {
    func update(_ slots: [Int32], priorities: [Double]) {
        for (slot, priority) in zip(slots, priorities) { update(slot, priority: priority) }
    }

    func pick(into slots: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Double>,
              _ random: inout ReplayRandom) {
        for index in slots.indices {
            (slots[index], probabilities[index]) = pick(&random)
        }
    }
}

extension Selector {
    /// A new, empty selection of this kind over `capacity` slots.
    func makeSelection(capacity: Int) -> any ItemSelection {
        switch self {
        case .fifo: InsertionOrder(capacity: capacity, newestFirst: false)
        case .lifo: InsertionOrder(capacity: capacity, newestFirst: true)
        case .uniform: UniformSelection(capacity: capacity)
        case .prioritized(let exponent): PrioritySumTree(capacity: capacity, exponent: exponent)
        case .maxHeap: PriorityHeap(capacity: capacity, highestFirst: true)
        case .minHeap: PriorityHeap(capacity: capacity, highestFirst: false)
        }
    }
}

extension Array {
    /// Bytes `count` elements take (the allocator may round the block up a little).
    var allocatedBytes: Int { count * MemoryLayout<Element>.stride }
}

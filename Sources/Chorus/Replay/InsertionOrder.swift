/// `fifo` and `lifo`: the items as a doubly linked list in insertion order, threaded through
/// two arrays indexed by slot (8 bytes per slot). Every operation is O(1).
final class InsertionOrder: ItemSelection {
    private let newestFirst: Bool
    private static let none: Int32 = -1
    /// The neighbour inserted just before (`older`) and just after (`newer`) each slot's item.
    private var older: [Int32]
    private var newer: [Int32]
    private var oldest = none
    private var newest = none

    init(capacity: Int, newestFirst: Bool) {
        self.newestFirst = newestFirst
        older = Array(repeating: Self.none, count: capacity)
        newer = Array(repeating: Self.none, count: capacity)
    }

    func insert(_ slot: Int32, priority: Double) {
        older[Int(slot)] = newest
        newer[Int(slot)] = Self.none
        if newest != Self.none { newer[Int(newest)] = slot } else { oldest = slot }
        newest = slot
    }

    func update(_ slot: Int32, priority: Double) {}

    func remove(_ slot: Int32) {
        let before = older[Int(slot)], after = newer[Int(slot)]
        if before != Self.none { newer[Int(before)] = after } else { oldest = after }
        if after != Self.none { older[Int(after)] = before } else { newest = before }
    }

    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        (newestFirst ? newest : oldest, 1)
    }

    var rebuildOrder: [Int32] {
        var order: [Int32] = []
        var slot = oldest
        while slot != Self.none {
            order.append(slot)
            slot = newer[Int(slot)]
        }
        return order
    }

    var allocatedBytes: Int { older.allocatedBytes + newer.allocatedBytes }
}

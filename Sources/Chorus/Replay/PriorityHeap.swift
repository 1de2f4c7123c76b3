/// `maxHeap` and `minHeap`: a binary heap of slots ordered by priority, ties going to the
/// item inserted or updated longest ago (Reverb's rule), with each slot's heap position so an
/// update or removal is O(log n). A pick is the root, O(1).
final class PriorityHeap: ItemSelection {
    /// `+1` for a min-heap, `-1` for a max-heap: the heap keeps the lowest `sign × priority` on top.
    private let sign: Double
    private var heap: [Int32] = []
    private var positions: [Int32]
    private var keys: [Double]
    /// When each slot was last inserted or updated, for ties.
    private var stamps: [UInt64]
    private var clock: UInt64 = 0

    init(capacity: Int, highestFirst: Bool) {
        sign = highestFirst ? -1 : 1
        positions = Array(repeating: -1, count: capacity)
        keys = Array(repeating: 0, count: capacity)
        stamps = Array(repeating: 0, count: capacity)
        heap.reserveCapacity(capacity)
    }

    private func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let (ka, kb) = (keys[Int(a)], keys[Int(b)])
        return ka < kb || (ka == kb && stamps[Int(a)] < stamps[Int(b)])
    }

    func insert(_ slot: Int32, priority: Double) {
        stamp(slot, priority)
        positions[Int(slot)] = Int32(heap.count)
        heap.append(slot)
        siftUp(heap.count - 1)
    }

    func update(_ slot: Int32, priority: Double) {
        stamp(slot, priority)
        let position = Int(positions[Int(slot)])
        siftUp(position)
        siftDown(Int(positions[Int(slot)]))
    }

    func remove(_ slot: Int32) {
        let position = Int(positions[Int(slot)])
        let last = heap.removeLast()
        positions[Int(slot)] = -1
        guard position < heap.count else { return }
        heap[position] = last
        positions[Int(last)] = Int32(position)
        siftUp(position)
        siftDown(Int(positions[Int(last)]))
    }

    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        (heap[0], 1)
    }

    private func stamp(_ slot: Int32, _ priority: Double) {
        keys[Int(slot)] = sign * priority
        stamps[Int(slot)] = clock
        clock += 1
    }

    private func place(_ slot: Int32, at position: Int) {
        heap[position] = slot
        positions[Int(slot)] = Int32(position)
    }

    private func siftUp(_ start: Int) {
        var position = start
        let slot = heap[position]
        while position > 0 {
            let parent = (position - 1) / 2
            guard precedes(slot, heap[parent]) else { break }
            place(heap[parent], at: position)
            position = parent
        }
        place(slot, at: position)
    }

    private func siftDown(_ start: Int) {
        var position = start
        let slot = heap[position]
        while true {
            var child = 2 * position + 1
            guard child < heap.count else { break }
            if child + 1 < heap.count, precedes(heap[child + 1], heap[child]) { child += 1 }
            guard precedes(heap[child], slot) else { break }
            place(heap[child], at: position)
            position = child
        }
        place(slot, at: position)
    }

    /// Oldest stamp first: reinserting in this order gives the same ties the same way.
    var rebuildOrder: [Int32] { heap.sorted { stamps[Int($0)] < stamps[Int($1)] } }

    var allocatedBytes: Int {
        2 * positions.allocatedBytes + keys.allocatedBytes + stamps.allocatedBytes  // `heap` is reserved to the capacity
    }
}

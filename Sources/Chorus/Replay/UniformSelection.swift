/// `uniform`: the occupied slots packed densely (removal swaps the last one into the gap),
/// with each slot's position; a pick is one random index. O(1) everything, 8 bytes per slot.
final class UniformSelection: ItemSelection {
    private var slots: [Int32] = []
    private var positions: [Int32]

    init(capacity: Int) {
        positions = Array(repeating: -1, count: capacity)
        slots.reserveCapacity(capacity)
    }

    func insert(_ slot: Int32, priority: Double) {
        positions[Int(slot)] = Int32(slots.count)
        slots.append(slot)
    }

    func update(_ slot: Int32, priority: Double) {}

    func remove(_ slot: Int32) {
        let position = Int(positions[Int(slot)])
        let last = slots.removeLast()
        if position < slots.count {
            slots[position] = last
            positions[Int(last)] = Int32(position)
        }
        positions[Int(slot)] = -1
    }

    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        (slots[Int(random.next(upperBound: UInt64(slots.count)))], 1 / Double(slots.count))
    }

    func pick(into picked: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Double>,
              _ random: inout ReplayRandom) {
        let probability = 1 / Double(slots.count)
        slots.withUnsafeBufferPointer { slots in
            for index in picked.indices {
                picked[index] = slots[Int(random.next(upperBound: UInt64(slots.count)))]
                probabilities[index] = probability
            }
        }
    }

    var rebuildOrder: [Int32] { slots }

    var allocatedBytes: Int { 2 * positions.allocatedBytes }  // `slots` is reserved to the capacity
}

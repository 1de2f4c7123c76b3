#if canImport(Glibc)
import Glibc
#endif

/// `prioritized`: each slot's weight `priority^α` (a priority of 0 weighs 0 whatever α is) in
/// blocks of 16, and a binary tree of block sums above them. A pick descends the tree
/// (O(log n)) and scans one block; an update rewrites one block's sum and its ancestors.
///
/// Memory: 4 bytes per slot for the weight plus the tree's 16 bytes per block (1 per slot). A
/// block of weights is one 64-byte cache line, so a pick's scan costs one miss at most.
/// Each sum is recomputed from its children rather than adjusted by a difference, so the tree is
/// a function of the weights alone: a table rebuilt from a checkpoint picks the same slots for
/// the same random numbers.
final class PrioritySumTree: ItemSelection {
    private let exponent: Double
    private static let blockSize = 16
    private static let absent: Float = -1
    private let capacity: Int
    // Invariant: `weights` is allocated here, 64-byte aligned, for `capacity` rounded up to whole
    // blocks, every element initialized (`absent` where no item is); freed in `deinit`. Only
    // this object reads or writes it, under its table's lock.
    /// Each slot's weight, or `absent` (also the padding after `capacity`).
    private let weights: UnsafeMutableBufferPointer<Float>
    /// `sums[1]` is the total; node `n` has children `2n` and `2n + 1`; the leaves, from
    /// `firstLeaf`, are the blocks' sums.
    private var sums: [Double]
    private let firstLeaf: Int
    private var count = 0
    /// What `choose` read ahead, kept so that the reads are not optimized away.
    private var readAhead: Float = 0

    init(capacity: Int, exponent: Double) {
        self.exponent = exponent
        self.capacity = capacity
        let blocks = max(1, (capacity + Self.blockSize - 1) / Self.blockSize)
        let padded = blocks * Self.blockSize
        weights = UnsafeMutableBufferPointer(
            start: UnsafeMutableRawPointer.allocate(byteCount: padded * MemoryLayout<Float>.stride, alignment: 64)
                .initializeMemory(as: Float.self, repeating: Self.absent, count: padded),
            count: padded)
        var leaves = 1
        while leaves < blocks { leaves *= 2 }
        firstLeaf = leaves
        sums = Array(repeating: 0, count: 2 * leaves)
    }

    deinit {
        weights.deallocate()
    }

    func weight(of priority: Double) -> Float {
        priority == 0 ? 0 : Float(pow(priority, exponent))
    }

    func insert(_ slot: Int32, priority: Double) {
        count += 1
        set(slot, weight(of: priority))
    }

    func update(_ slot: Int32, priority: Double) {
        set(slot, weight(of: priority))
    }

    /// All the weights first, then the sums above them (see `refreshSums`).
    func update(_ slots: [Int32], priorities: [Double]) {
        for (slot, priority) in zip(slots, priorities) { weights[Int(slot)] = weight(of: priority) }
        refreshSums(aboveBlocks: slots.lazy.map { Int($0) / Self.blockSize })
    }

    func remove(_ slot: Int32) {
        count -= 1
        set(slot, Self.absent)
    }

    private func set(_ slot: Int32, _ weight: Float) {
        weights[Int(slot)] = weight
        refreshSums(aboveBlocks: CollectionOfOne(Int(slot) / Self.blockSize))
    }

    /// Recomputes the sums of `blocks` (their weights already written) and of every node above
    /// them, a tree level at a time: the paths' reads at one level do not wait on each other,
    /// where one path up the tree is a chain. A node on several paths is recomputed once per
    /// path from the same final children, so the tree is what one update at a time would make.
    private func refreshSums(aboveBlocks blocks: some Collection<Int>) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: blocks.count) { nodes in
            sums.withUnsafeMutableBufferPointer { sums in
                for (index, block) in blocks.enumerated() {
                    let start = block * Self.blockSize
                    sums[firstLeaf + block] = weights[start..<start + Self.blockSize].reduce(0) { $0 + Double(max($1, 0)) }
                    nodes.initializeElement(at: index, to: firstLeaf + block)
                }
                var level = firstLeaf
                while level > 1 {
                    for index in nodes.indices {
                        let parent = nodes[index] / 2
                        sums[parent] = sums[2 * parent] + sums[2 * parent + 1]
                        nodes[index] = parent
                    }
                    level /= 2
                }
            }
        }
    }

    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        var slot: Int32 = 0
        var probability = 0.0
        withUnsafeMutablePointer(to: &slot) { slot in
            withUnsafeMutablePointer(to: &probability) { probability in
                pick(into: UnsafeMutableBufferPointer(start: slot, count: 1),
                     probabilities: UnsafeMutableBufferPointer(start: probability, count: 1), &random)
            }
        }
        return (slot, probability)
    }

    /// The picks descend the tree together, a level at a time, so the memory reads of different
    /// picks overlap instead of waiting on each other. Both loops are branch-free (selects, not
    /// jumps): the picks fall at random, and mispredicted branches would cost more than the
    /// arithmetic.
    func pick(into slots: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Double>,
              _ random: inout ReplayRandom) {
        let total = total
        guard total > 0 else {
            for index in slots.indices { (slots[index], probabilities[index]) = pickUniformly(&random) }
            return
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: slots.count) { targets in
            for index in targets.indices { targets.initializeElement(at: index, to: random.unit() * total) }
            locate(targets, into: slots, probabilities: probabilities)
        }
    }

    /// The sum of every weight.
    var total: Double { sums[1] }

    /// The slot each of `targets` falls on in the weights' running sum (the first slot whose
    /// running sum exceeds it; for a target that rounding put at or past `total`, the last slot
    /// that weighs anything), and its probability. Overwrites `targets`.
    ///
    /// - Precondition: `total > 0`, each target is at least 0.
    func locate(_ targets: UnsafeMutableBufferPointer<Double>, into slots: UnsafeMutableBufferPointer<Int32>,
                probabilities: UnsafeMutableBufferPointer<Double>) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: targets.count) { nodes in
            nodes.initialize(repeating: 1)
            descend(targets, nodes)
            choose(targets, nodes, into: slots, probabilities: probabilities, total: total)
        }
    }

    /// Moves each of `nodes` (all at the root) down to the block its target falls in, leaving
    /// in `targets` what remains of it within the block.
    private func descend(_ targets: UnsafeMutableBufferPointer<Double>, _ nodes: UnsafeMutableBufferPointer<Int>) {
        sums.withUnsafeBufferPointer { sums in
            var level = 1
            while level < firstLeaf {
                for index in nodes.indices {
                    let left = 2 * nodes[index]
                    let (leftSum, rightSum) = (sums[left], sums[left + 1])
                    // Rounding can leave a target at or past a subtree's sum: never step into an
                    // empty one. (`&` of 0/1, not `&&`, which would branch.)
                    let right = (targets[index] >= leftSum ? 1 : 0) & (rightSum > 0 ? 1 : 0)
                    nodes[index] = left + right
                    targets[index] -= Double(right) * leftSum
                }
                level *= 2
            }
        }
    }

    /// The slot each target falls on in its block (the first whose running sum exceeds what is
    /// left of the target; with rounding, the last positive one), and its probability.
    private func choose(_ targets: UnsafeMutableBufferPointer<Double>, _ nodes: UnsafeMutableBufferPointer<Int>,
                        into slots: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Double>,
                        total: Double) {
        // Each pick's block is likely a cache miss. Read one weight of every block first, in a
        // loop whose reads do not depend on each other, so the misses overlap; the scans below
        // (a chain of dependent additions each) would otherwise take them one at a time.
        var ahead: Float = 0
        for node in nodes { ahead += weights[(node - firstLeaf) * Self.blockSize] }
        readAhead = ahead
        for index in nodes.indices {
            let start = (nodes[index] - firstLeaf) * Self.blockSize
            let end = start + Self.blockSize  // padding weighs 0: never below a target's end
            var running = 0.0
            var below = 0
            var lastPositive = start
            for slot in start..<end {
                let weight = Double(max(weights[slot], 0))
                running += weight
                below += running <= targets[index] ? 1 : 0
                lastPositive = weight > 0 ? slot : lastPositive
            }
            let chosen = start + below < end ? start + below : lastPositive
            slots[index] = Int32(chosen)
            probabilities[index] = Double(weights[chosen]) / total
        }
    }

    /// Every priority is 0: Reverb's rule is a uniform pick. O(capacity), for this rare case only.
    private func pickUniformly(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        var remaining = Int(random.next(upperBound: UInt64(count)))
        for index in 0..<capacity where weights[index] != Self.absent {
            if remaining == 0 { return (Int32(index), 1 / Double(count)) }
            remaining -= 1
        }
        preconditionFailure("the sum tree's count disagrees with its weights")
    }

    var rebuildOrder: [Int32] {
        (0..<capacity).filter { weights[$0] != Self.absent }.map { Int32($0) }
    }

    var allocatedBytes: Int { weights.count * MemoryLayout<Float>.stride + sums.allocatedBytes }
}

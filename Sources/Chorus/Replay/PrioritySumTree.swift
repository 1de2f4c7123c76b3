#if canImport(Glibc)
import Glibc
#endif

/// `prioritized`: each slot's weight `priority^α` (a priority of 0 weighs 0 whatever α is) in
/// blocks of 32, and a binary tree of block sums above them. A pick descends the tree
/// (O(log n)) and scans one block; an update rewrites one block's sum and its ancestors.
///
/// Memory: 4 bytes per slot for the weight plus the tree's 16 bytes per block (0.5 per slot).
/// Each sum is recomputed from its children rather than adjusted by a difference, so the tree is
/// a function of the weights alone: a table rebuilt from a checkpoint picks the same slots for
/// the same random numbers.
final class PrioritySumTree: ItemSelection {
    private let exponent: Double
    private static let blockSize = 32
    private static let absent: Float = -1
    /// Each slot's weight, or `absent`.
    private var weights: [Float]
    /// `sums[1]` is the total; node `n` has children `2n` and `2n + 1`; the leaves, from
    /// `firstLeaf`, are the blocks' sums.
    private var sums: [Double]
    private let firstLeaf: Int
    private var count = 0

    init(capacity: Int, exponent: Double) {
        self.exponent = exponent
        weights = Array(repeating: Self.absent, count: capacity)
        let blocks = max(1, (capacity + Self.blockSize - 1) / Self.blockSize)
        var leaves = 1
        while leaves < blocks { leaves *= 2 }
        firstLeaf = leaves
        sums = Array(repeating: 0, count: 2 * leaves)
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

    func remove(_ slot: Int32) {
        count -= 1
        set(slot, Self.absent)
    }

    private func set(_ slot: Int32, _ weight: Float) {
        weights[Int(slot)] = weight
        let block = Int(slot) / Self.blockSize
        let start = block * Self.blockSize
        var sum = 0.0
        for index in start..<min(start + Self.blockSize, weights.count) where weights[index] > 0 {
            sum += Double(weights[index])
        }
        var node = firstLeaf + block
        sums[node] = sum
        while node > 1 {
            node /= 2
            sums[node] = sums[2 * node] + sums[2 * node + 1]
        }
    }

    func pick(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        let total = sums[1]
        guard total > 0 else { return pickUniformly(&random) }
        var target = random.unit() * total
        var node = 1
        while node < firstLeaf {
            let left = 2 * node
            // Rounding can leave `target` at or past a subtree's sum: never step into an empty one.
            if target < sums[left] || sums[left + 1] <= 0 {
                node = left
            } else {
                target -= sums[left]
                node = left + 1
            }
        }
        let start = (node - firstLeaf) * Self.blockSize
        var chosen = -1
        for index in start..<min(start + Self.blockSize, weights.count) where weights[index] > 0 {
            chosen = index
            let weight = Double(weights[index])
            if target < weight { break }
            target -= weight
        }
        return (Int32(chosen), Double(weights[chosen]) / total)
    }

    /// Every priority is 0: Reverb's rule is a uniform pick. O(capacity), for this rare case only.
    private func pickUniformly(_ random: inout ReplayRandom) -> (slot: Int32, probability: Double) {
        var remaining = Int(random.next(upperBound: UInt64(count)))
        for index in weights.indices where weights[index] != Self.absent {
            if remaining == 0 { return (Int32(index), 1 / Double(count)) }
            remaining -= 1
        }
        preconditionFailure("the sum tree's count disagrees with its weights")
    }

    var rebuildOrder: [Int32] {
        weights.indices.filter { weights[$0] != Self.absent }.map { Int32($0) }
    }

    var allocatedBytes: Int { weights.allocatedBytes + sums.allocatedBytes }
}

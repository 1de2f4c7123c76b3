@testable import Chorus
@testable import ChorusCore
import Foundation
import Testing

/// Tables built on `Tagged.small` samples (a `uint64` id and 12 padding bytes).
enum Replay {
    static let schema = Tagged.small.schema

    static func table(_ maxSize: Int, sampler: Selector = .uniform, remover: Selector = .fifo,
                      limiter: RateLimiter? = nil, maxTimesSampled: Int? = nil, seed: UInt64 = 7) throws -> ReplayTable {
        try ReplayTable(name: "replay", schema: schema, maxSize: maxSize, sampler: sampler, remover: remover,
                        rateLimiter: limiter ?? .minSize(1), maxTimesSampled: maxTimesSampled, seed: seed)
    }

    /// Inserts ids `ids` with priority `priority(id)`; returns id → key.
    @discardableResult
    static func fill(_ table: ReplayTable, _ ids: some Sequence<UInt64>, priority: (UInt64) -> Double = { _ in 1 })
        throws -> [UInt64: UInt64] {
        var keys: [UInt64: UInt64] = [:]
        for id in ids { keys[id] = try table.insert(Tagged.small.sample(id), priority: priority(id)) }
        return keys
    }

    /// The ids of `draws` samples of batches of `batchSize`, with the probability each had.
    static func draw(_ table: ReplayTable, _ draws: Int, batchSize: Int = 1000) throws -> [(id: UInt64, probability: Double)] {
        var result: [(UInt64, Double)] = []
        for _ in 0..<draws / batchSize {
            let sample = try table.sample(batchSize: batchSize, timeout: .seconds(5))
            result += zip(try sample.leaf("id", as: UInt64.self), sample.probabilities).map { ($0, $1) }
        }
        return result
    }

    /// Pearson's χ² of observed counts against expected probabilities (ids `0..<n`).
    static func chiSquare(_ draws: [(id: UInt64, probability: Double)], expected: [Double]) -> Double {
        var counts = [Int](repeating: 0, count: expected.count)
        for draw in draws { counts[Int(draw.id)] += 1 }
        let total = Double(draws.count)
        return zip(counts, expected).reduce(0) { sum, pair in
            guard pair.1 > 0 else { return sum + (pair.0 == 0 ? 0 : .infinity) }
            let expected = total * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
    }

    /// χ² above which a fair draw over 50 categories (49 degrees of freedom) lands with
    /// probability about 10⁻⁶.
    static let chiSquareLimit49 = 110.0
}

@Suite struct ReplaySamplingTests {
    @Test func uniformDrawsMatchTheirDefinition() throws {
        let table = try Replay.table(50)
        try Replay.fill(table, 0..<50)
        let draws = try Replay.draw(table, 1_000_000)
        #expect(Replay.chiSquare(draws, expected: Array(repeating: 1 / 50, count: 50)) < Replay.chiSquareLimit49)
        #expect(draws.allSatisfy { $0.probability == 1 / 50 })
    }

    @Test(arguments: [0.0, 0.5, 1.0, 2.0])
    func prioritizedDrawsMatchTheirDefinition(exponent: Double) throws {
        let table = try Replay.table(64, sampler: .prioritized(priorityExponent: exponent))
        // 50 items over two blocks of the sum tree, priorities 0.5 … 25; id 13 has priority 0.
        let priority = { (id: UInt64) in id == 13 ? 0 : Double(id + 1) / 2 }
        try Replay.fill(table, 0..<50, priority: priority)
        let weights = (0..<50).map { id in priority(UInt64(id)) == 0 ? 0 : pow(priority(UInt64(id)), exponent) }
        let expected = weights.map { $0 / weights.reduce(0, +) }
        let draws = try Replay.draw(table, 1_000_000)
        #expect(Replay.chiSquare(draws, expected: expected) < Replay.chiSquareLimit49)
        #expect(!draws.contains { $0.id == 13 }, "a priority of 0 is never drawn")
        for draw in draws.prefix(1000) {
            #expect(abs(draw.probability - expected[Int(draw.id)]) < 1e-6, "the probability reported is the one drawn with")
        }
    }

    @Test func prioritizedDrawsReachItemsFarApartInADeepTree() throws {
        // 70,000 slots: four levels of sums above the weights. 50 items far apart carry weight.
        let table = try Replay.table(70_000, sampler: .prioritized(priorityExponent: 1))
        let priority = { (id: UInt64) in id % 1400 == 7 && id / 1400 != 13 ? Double(id / 1400 + 1) : 0 }
        try Replay.fill(table, 0..<70_000, priority: priority)
        let total = (0..<70_000).reduce(0) { $0 + priority(UInt64($1)) }
        let draws = try Replay.draw(table, 500_000)
        #expect(Replay.chiSquare(draws, expected: (0..<70_000).map { priority(UInt64($0)) / total }) < Replay.chiSquareLimit49)
    }

    /// Rounding can put a pick's target at (or a hair past) the sum of every weight: it lands
    /// on the last item that weighs anything, never on a weightless item or an empty slot, even
    /// where whole subtrees after it weigh nothing.
    @Test func targetsAtTheEdgesLandOnItemsThatWeigh() {
        let tree = PrioritySumTree(capacity: 3_000, exponent: 1)
        for slot in 0..<2_500 { tree.insert(Int32(slot), priority: slot == 0 || slot >= 2_000 ? 0 : 1) }
        var targets = [0, 0.5, tree.total - 0.5, tree.total, tree.total.nextUp]
        var slots = [Int32](repeating: -1, count: targets.count)
        var probabilities = [Double](repeating: 0, count: targets.count)
        targets.withUnsafeMutableBufferPointer { targets in
            slots.withUnsafeMutableBufferPointer { slots in
                probabilities.withUnsafeMutableBufferPointer { tree.locate(targets, into: slots, probabilities: $0) }
            }
        }
        #expect(tree.total == 1_999)
        #expect(slots == [1, 1, 1_999, 1_999, 1_999])
        #expect(probabilities.allSatisfy { $0 == 1 / 1_999 })
    }

    @Test func allPrioritiesZeroDrawUniformly() throws {
        let table = try Replay.table(50, sampler: .prioritized(priorityExponent: 1))
        try Replay.fill(table, 0..<50) { _ in 0 }
        let draws = try Replay.draw(table, 100_000)
        #expect(Replay.chiSquare(draws, expected: Array(repeating: 1 / 50, count: 50)) < Replay.chiSquareLimit49)
    }

    @Test func priorityUpdatesChangeTheDistributionAtOnce() throws {
        let table = try Replay.table(50, sampler: .prioritized(priorityExponent: 1))
        let keys = try Replay.fill(table, 0..<50)
        try table.updatePriorities([keys[7]!: 1e9])
        #expect(try Replay.draw(table, 1000).filter { $0.id == 7 }.count > 990)
        try table.updatePriorities([keys[7]!: 0])
        #expect(!(try Replay.draw(table, 10_000)).contains { $0.id == 7 })
        let sample = try table.sample(batchSize: 1)
        #expect(sample.priorities[0] == 1)
    }

    /// A batch of updates (shared tree paths, a block updated twice, a key given twice) leaves
    /// the table drawing exactly what the same updates one at a time leave.
    @Test func batchedPriorityUpdatesEqualUpdatesOneAtATime() throws {
        let (batched, single) = (try Replay.table(5_000, sampler: .prioritized(priorityExponent: 0.6)),
                                 try Replay.table(5_000, sampler: .prioritized(priorityExponent: 0.6)))
        let keys = try Replay.fill(batched, 0..<5_000)
        try Replay.fill(single, 0..<5_000)
        let ids: [UInt64] = [3, 4, 19, 4_000, 4_001, 2_500, 3, 77, 4_999]
        let priorities = ids.indices.map { Double($0 * 7 % 5) + 0.25 }
        try batched.updatePriorities(keys: ids.map { keys[$0]! }, priorities: priorities)
        for (id, priority) in zip(ids, priorities) { try single.updatePriorities(keys: [keys[id]!], priorities: [priority]) }
        let (fromBatched, fromSingle) = (try Replay.draw(batched, 10_000), try Replay.draw(single, 10_000))
        #expect(fromBatched.map(\.id) == fromSingle.map(\.id))
        #expect(fromBatched.map(\.probability) == fromSingle.map(\.probability))
    }

    @Test func deterministicSamplersPickInTheirOrder() throws {
        let priority = { (id: UInt64) in Double([3, 1, 4, 1, 5][Int(id)]) }
        for (sampler, expected) in [(Selector.fifo, [0, 1, 2, 3, 4]), (.lifo, [4, 3, 2, 1, 0]),
                                    (.maxHeap, [4, 2, 0, 1, 3]), (.minHeap, [1, 3, 0, 2, 4])] as [(Selector, [UInt64])] {
            let table = try Replay.table(5, sampler: sampler, maxTimesSampled: 1)
            try Replay.fill(table, 0..<5, priority: priority)
            let picked = try (0..<5).map { _ in try table.sample(batchSize: 1).leaf("id", as: UInt64.self)[0] }
            #expect(picked == expected, "\(sampler)")
            #expect(table.size == 0)
        }
    }

    @Test func removersEvictInTheirOrder() throws {
        let priority = { (id: UInt64) in Double([3, 1, 4, 1, 5, 9, 2][Int(id)]) }
        let cases: [(Selector, Set<UInt64>)] = [(.fifo, [4, 5, 6]), (.lifo, [0, 1, 6]), (.maxHeap, [1, 3, 6]), (.minHeap, [4, 5, 6])]
        for (remover, survivors) in cases {
            let table = try Replay.table(3, sampler: .uniform, remover: remover)
            try Replay.fill(table, 0..<7, priority: priority)
            let held = Set(try table.sample(batchSize: 300).leaf("id", as: UInt64.self))
            #expect(held == survivors, "\(remover)")
        }
    }

    @Test func maxTimesSampledRemovesTheItem() throws {
        let table = try Replay.table(10, sampler: .fifo, maxTimesSampled: 3)
        try Replay.fill(table, [1, 2])
        let sample = try table.sample(batchSize: 4)
        #expect(try sample.leaf("id", as: UInt64.self) == [1, 1, 1, 2])
        #expect(sample.timesSampled == [1, 2, 3, 1])
        #expect(sample.tableSizes == [2, 2, 2, 1])
        #expect(table.size == 1)
        #expect(throws: ReplayError.timedOut(completed: 0), "2 draws are left, not 3") {
            try table.sample(batchSize: 3, timeout: .milliseconds(20))
        }
    }

    @Test func samplesCarryTheItemsIntact() throws {
        let table = try Replay.table(100, sampler: .uniform)
        try Replay.fill(table, 0..<100)
        for _ in 0..<20 {
            let sample = try table.sample(batchSize: 64)
            let ids = try sample.leaf("id", as: UInt64.self)
            let pads = try sample.leaf("pad", as: UInt8.self)
            for (row, id) in ids.enumerated() {
                #expect(Array(pads[row * 12..<(row + 1) * 12]) == (try Tagged.small.sample(id).values("pad", as: UInt8.self)))
            }
            #expect(try sample.shape(of: "pad") == [64, 12])
        }
    }
}

@testable import Chorus
@testable import ChorusCore
import Foundation
import Testing

/// Bad input is refused with a reason, and the table is exactly as before.
@Suite struct ReplayInputTests {
    @Test(arguments: [Double.nan, .infinity, -.infinity, -1, -0.5])
    func invalidPrioritiesAreRefused(priority: Double) throws {
        let table = try Replay.table(10, sampler: .prioritized(priorityExponent: 1))
        let keys = try Replay.fill(table, 0..<3)
        #expect(throws: ReplayError.self) { try table.insert(Tagged.small.sample(9), priority: priority) }
        #expect(throws: ReplayError.self) {
            try Tagged.small.packed([9, 10]).withUnsafeBytes { try table.insert(packed: $0, priorities: [1, priority]) }
        }
        #expect(throws: ReplayError.self) { try table.updatePriorities([keys[0]!: 2, keys[1]!: priority]) }
        #expect(table.size == 3)
        let sample = try table.sample(batchSize: 100)
        #expect(Set(sample.priorities) == [1], "the valid update in the refused call was not applied")
    }

    @Test func unknownKeysAreRefusedAndChangeNothing() throws {
        let table = try Replay.table(2, sampler: .fifo)
        let keys = try Replay.fill(table, 0..<3)  // id 0 was evicted
        #expect(throws: ReplayError.unknownKey(keys[0]!)) { try table.updatePriorities([keys[1]!: 5, keys[0]!: 5]) }
        #expect(throws: ReplayError.unknownKey(keys[0]!)) { try table.delete([keys[1]!, keys[0]!]) }
        #expect(throws: ReplayError.unknownKey(12345)) { try table.delete([12345]) }
        #expect(table.size == 2)
        #expect(try table.sample(batchSize: 1).priorities == [1])
        try table.delete([keys[1]!, keys[1]!])
        #expect(table.size == 1)
        #expect(try table.sample(batchSize: 2).leaf("id", as: UInt64.self) == [2, 2])
    }

    @Test func priorityArraysMustPairUpAndApplyInOrder() throws {
        let table = try Replay.table(10, sampler: .maxHeap)
        let keys = try Replay.fill(table, 0..<3)
        #expect(throws: ReplayError.priorityCount(1, items: 2)) {
            try table.updatePriorities(keys: [keys[0]!, keys[1]!], priorities: [5])
        }
        #expect(throws: ReplayError.unknownKey(999)) { try table.updatePriorities(keys: [keys[0]!, 999], priorities: [5, 5]) }
        #expect(try table.sample(batchSize: 1).priorities == [1], "nothing changed")
        try table.updatePriorities(keys: [keys[2]!, keys[2]!, keys[1]!], priorities: [9, 3, 4])
        let top = try table.sample(batchSize: 1)
        #expect(top.keys == [keys[1]!] && top.priorities == [4], "a key given twice takes its last priority")
    }

    @Test func aKeyIsNeverReusedForAnotherItem() throws {
        let table = try Replay.table(1, sampler: .fifo)
        let first = try table.insert(Tagged.small.sample(0))
        let second = try table.insert(Tagged.small.sample(1))  // the same slot
        #expect(first != second)
        #expect(throws: ReplayError.unknownKey(first)) { try table.updatePriorities([first: 1]) }
        #expect(try table.sample(batchSize: 1).keys == [second])
    }

    @Test func badTablesAndCallsAreRefused() throws {
        let limiter = try RateLimiter.minSize(1)
        #expect(throws: ReplayError.self) { try ReplayTable(name: "", schema: Replay.schema, maxSize: 1, rateLimiter: limiter) }
        #expect(throws: ReplayError.self) { try ReplayTable(name: "t", schema: Replay.schema, maxSize: 0, rateLimiter: limiter) }
        #expect(throws: ReplayError.self) {
            try ReplayTable(name: "t", schema: Replay.schema, maxSize: 1, sampler: .prioritized(priorityExponent: -1), rateLimiter: limiter)
        }
        #expect(throws: ReplayError.self) {
            try ReplayTable(name: "t", schema: Replay.schema, maxSize: 1, rateLimiter: limiter, maxTimesSampled: 0)
        }
        let table = try Replay.table(4)
        #expect(throws: ReplayError.self) { try table.sample(batchSize: 0) }
        let queue = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 8)
        #expect(throws: ReplayError.self, "a batch larger than the queue could never be drawn") {
            try queue.sample(batchSize: 9)
        }
        #expect(throws: ReplayError.wrongSize(sampleSize: 20, given: 21)) {
            try [UInt8](repeating: 0, count: 21).withUnsafeBytes { try table.insert(packed: $0) }
        }
        let other = try Schema(["id": .leaf(.uint32)])
        #expect(throws: ReplayError.self) { try table.insert(Sample(schema: other)) }
        #expect(table.size == 0)
    }

    @Test func aTableThatCouldNeverBeHeldFullIsRefusedWhenMade() throws {
        let frames = try Schema(["frame": .leaf(.uint8, 1024, 1024)])  // 1 MiB items: 200 TB in all
        let limit = try #require(MemoryLimit.bytes)
        #expect(limit > 0 && limit < 200_000_000 << 20)
        let error = #expect(throws: ReplayError.self) {
            try ReplayTable(name: "t", schema: frames, maxSize: 200_000_000, rateLimiter: .minSize(1))
        }
        #expect(error?.description.contains("maxSize 200000000 needs at least 209718.4 GB (209715.2 GB of items, 3.2 GB of records)") == true, "\(String(describing: error))")
        #expect(error?.description.contains("of memory this process may use") == true)
        _ = try ReplayTable(name: "t", schema: frames, maxSize: 16, rateLimiter: .minSize(1))
    }

    @Test func memoryPerItemStaysWithinItsBudget() throws {
        for sampler in [Selector.uniform, .prioritized(priorityExponent: 0.6), .fifo] {
            let table = try ReplayTable(name: "t", schema: Replay.schema, maxSize: 100_000, sampler: sampler,
                                        remover: .fifo, rateLimiter: .minSize(1))
            try Tagged.small.packed(0..<150_000).withUnsafeBytes { _ = try table.insert(packed: $0) }
            // Allowing a few kilobytes per table (the allocator rounds arrays up; the sum tree's top).
            let perItem = Double(table.reservedBytes - 4096) / 100_000 - Double(Replay.schema.sampleSize)
            #expect(perItem <= 32, "\(sampler): \(perItem) bytes of bookkeeping per item")
        }
    }
}

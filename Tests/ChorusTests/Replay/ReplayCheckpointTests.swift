@testable import Chorus
@testable import ChorusCore
import Foundation
import Testing

/// A checkpoint restores an identical table: the same items, keys and counts, and the same
/// next samples.
@Suite struct ReplayCheckpointTests {
    static func path(_ name: String) -> String {
        NSTemporaryDirectory() + "chorus-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).table"
    }

    @Test(arguments: [Selector.uniform, .prioritized(priorityExponent: 0.7), .fifo, .lifo, .maxHeap, .minHeap])
    func aRestoredTableSamplesWhatTheOriginalWould(sampler: Selector) throws {
        let limiter = try RateLimiter.sampleToInsertRatio(samplesPerInsert: 2, minSizeToSample: 10, errorBuffer: 1000)
        let table = try ReplayTable(name: "replay", schema: Replay.schema, maxSize: 300, sampler: sampler,
                                    remover: .prioritized(priorityExponent: 1), rateLimiter: limiter,
                                    maxTimesSampled: 5, seed: 42)
        let keys = try Replay.fill(table, 0..<400) { Double($0 % 7) }
        try table.updatePriorities([keys[399]!: 50, keys[398]!: 0.5])
        try table.delete([keys[397]!])
        _ = try table.sample(batchSize: 100)
        let path = Self.path("checkpoint")
        defer { unlink(path) }
        #expect(try table.checkpoint(to: path) > 300 * 20)
        let restored = try ReplayTable(checkpoint: path)
        #expect(restored.info == table.info)
        #expect(restored.sampler == sampler && restored.rateLimiter == limiter && restored.maxTimesSampled == 5)
        for _ in 0..<5 {
            let (a, b) = (try table.sample(batchSize: 64), try restored.sample(batchSize: 64))
            #expect(a.keys == b.keys && a.probabilities == b.probabilities && a.timesSampled == b.timesSampled)
            #expect(try a.leaf("pad", as: UInt8.self) == b.leaf("pad", as: UInt8.self))
            let update = [a.keys[0]: Double(a.keys[0] % 11)]  // the item may have been sampled out
            #expect((try? table.updatePriorities(update)) != nil ? (try? restored.updatePriorities(update)) != nil
                                                                 : (try? restored.updatePriorities(update)) == nil)
        }
        let (a, b) = (try table.insert(Tagged.small.sample(1000)), try restored.insert(Tagged.small.sample(1000)))
        #expect(a == b, "the same slot and key for the next insert")
    }

    @Test func damagedCheckpointsAreRefused() throws {
        let table = try Replay.table(10)
        try Replay.fill(table, 0..<5)
        let path = Self.path("damaged")
        defer { unlink(path) }
        try table.checkpoint(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: path))
        #expect(throws: ReplayError.self) { try ReplayTable(checkpoint: path) }
        try (bytes + [0]).write(to: URL(fileURLWithPath: path))
        #expect(throws: ReplayError.self) { try ReplayTable(checkpoint: path) }
        try Data("not a table".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ReplayError.self) { try ReplayTable(checkpoint: path) }
        #expect(throws: ReplayError.self) { try ReplayTable(checkpoint: path + ".missing") }
        #expect(throws: ReplayError.self, "an unwritable place") { try table.checkpoint(to: "/proc/chorus.table") }
    }
}

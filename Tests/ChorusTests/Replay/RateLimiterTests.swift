@testable import Chorus
@testable import ChorusCore
import Foundation
import Testing

/// Each limiter lets calls through exactly inside its band and blocks them at its edges.
@Suite(.timeLimit(.minutes(2))) struct RateLimiterTests {
    static let briefly = Duration.milliseconds(20)

    @Test func minSizeBlocksSamplesUntilTheTableHoldsN() throws {
        let table = try Replay.table(100, limiter: try .minSize(3))
        try Replay.fill(table, [0, 1])
        #expect(throws: ReplayError.timedOut(completed: 0)) { try table.sample(batchSize: 1, timeout: Self.briefly) }
        try Replay.fill(table, [2])
        #expect(try table.sample(batchSize: 1000, timeout: Self.briefly).batchSize == 1000, "then samples never wait")
    }

    @Test func sampleToInsertRatioHoldsItsBandExactly() throws {
        // Error = 2 × inserts − samples must stay within 10 ± 4 once 5 items are in.
        let limiter = try RateLimiter.sampleToInsertRatio(samplesPerInsert: 2, minSizeToSample: 5, errorBuffer: 4)
        #expect(limiter.minDiff == 6 && limiter.maxDiff == 14)
        let table = try Replay.table(100, limiter: limiter)
        try Replay.fill(table, 0..<5)                        // error 10: inserts free up to min size
        #expect(throws: ReplayError.timedOut(completed: 0), "a 6th insert would make the error 12… allowed; a 7th 14; an 8th 16 is not") {
            try Replay.fill(table, 5..<7)
            try table.insert(Tagged.small.sample(7), timeout: Self.briefly)
        }
        #expect(table.size == 7)                             // error 14
        #expect(try table.sample(batchSize: 8, timeout: Self.briefly).batchSize == 8)   // error 6: the lower edge
        #expect(throws: ReplayError.timedOut(completed: 0), "error 5 is below the band") {
            try table.sample(batchSize: 1, timeout: Self.briefly)
        }
        try table.insert(Tagged.small.sample(7), timeout: Self.briefly)                  // error 8
        #expect(try table.sample(batchSize: 2, timeout: Self.briefly).batchSize == 2)   // error 6
    }

    @Test func aQueueSamplesEachItemOnceAndBlocksWhenFull() throws {
        let table = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 3)
        try Replay.fill(table, 0..<3)
        #expect(throws: ReplayError.timedOut(completed: 0)) { try table.insert(Tagged.small.sample(3), timeout: Self.briefly) }
        #expect(try table.sample(batchSize: 2).leaf("id", as: UInt64.self) == [0, 1])
        try Replay.fill(table, 3..<5)
        #expect(try table.sample(batchSize: 3).leaf("id", as: UInt64.self) == [2, 3, 4])
        #expect(throws: ReplayError.timedOut(completed: 0)) { try table.sample(batchSize: 1, timeout: Self.briefly) }
    }

    @Test func aBlockedInsertProceedsWhenASampleMakesRoom() throws {
        let table = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 2)
        try Replay.fill(table, 0..<2)
        let inserter = ThreadGroup(1) { _ in try table.insert(Tagged.small.sample(2), timeout: .seconds(30)) }
        #expect(eventually { table.info.waitingInserts == 1 })
        #expect(!inserter.hasFinished(waiting: 0.05))
        _ = try table.sample(batchSize: 1)
        inserter.join()
        #expect(try table.sample(batchSize: 2).leaf("id", as: UInt64.self) == [1, 2])
    }

    /// A many-sample insert that must wait for room wakes the samplers for what it put in first;
    /// otherwise the sampler (waiting for items) and the inserter (waiting for room) wait on
    /// each other.
    @Test func aLongInsertLetsWaitingSamplersTakeWhatWentIn() throws {
        let table = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 4)
        let drained = Locked<[UInt64]>([])
        let sampler = ThreadGroup(1) { _ in
            for _ in 0..<12 {
                let ids = try table.sample(batchSize: 1, timeout: .seconds(30)).leaf("id", as: UInt64.self)
                drained.withLock { $0 += ids }
            }
        }
        #expect(eventually { table.info.waitingSamples == 1 })
        try Tagged.small.packed(0..<12).withUnsafeBytes { _ = try table.insert(packed: $0, timeout: .seconds(10)) }
        sampler.join()
        #expect(drained.withLock { $0 } == Array(0..<12))
    }

    @Test func closingEndsEveryWait() throws {
        let table = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 1)
        let sampler = ThreadGroup(1) { _ in
            #expect(throws: ReplayError.closed(completed: 0)) { try table.sample(batchSize: 1) }
        }
        #expect(eventually { table.info.waitingSamples == 1 })
        table.close()
        sampler.join()
        #expect(throws: ReplayError.closed(completed: 0)) { try table.insert(Tagged.small.sample(0)) }
    }

    /// Four inserters and two samplers through a queue: every item is sampled exactly once, in
    /// each inserter's order, and the limiter's error never leaves `0...size`.
    @Test func concurrentInsertersAndSamplersKeepTheBand() throws {
        let table = try ReplayTable.queue(name: "queue", schema: Replay.schema, size: 64)
        let perInserter = 5_000
        let seen = Locked<[UInt64]>([])
        let inserters = ThreadGroup(4) { index in
            for id in 0..<perInserter { try table.insert(Tagged.small.sample(UInt64(index * perInserter + id)), timeout: .seconds(30)) }
        }
        let samplers = ThreadGroup(2) { _ in
            for _ in 0..<(4 * perInserter / 2 / 50) {
                let ids = try table.sample(batchSize: 50, timeout: .seconds(30)).leaf("id", as: UInt64.self)
                let info = table.info
                #expect(info.inserts >= info.samples && info.inserts - info.samples <= 64)
                seen.withLock { $0 += ids }
            }
        }
        inserters.join()
        samplers.join()
        let ids = seen.withLock { $0 }
        #expect(ids.count == 4 * perInserter)
        #expect(Set(ids).count == ids.count, "no item twice")
        #expect(table.size == 0)
    }

    @Test func limitersThatCouldNeverWorkAreRefused() {
        #expect(throws: ReplayError.self) { try RateLimiter.minSize(0) }
        #expect(throws: ReplayError.self) { try RateLimiter.queue(size: 0) }
        #expect(throws: ReplayError.self, "too narrow") {
            try RateLimiter.sampleToInsertRatio(samplesPerInsert: 4, minSizeToSample: 10, errorBuffer: 3)
        }
        #expect(throws: ReplayError.self, "above the start") {
            try RateLimiter.sampleToInsertRatio(samplesPerInsert: 1, minSizeToSample: 10, errorRange: 20...30)
        }
        #expect(throws: ReplayError.self) {
            try RateLimiter.sampleToInsertRatio(samplesPerInsert: .nan, minSizeToSample: 10, errorBuffer: 3)
        }
        #expect(throws: ReplayError.invalidRateLimiter("minSizeToSample (11) exceeds maxSize (10): samples would never start")) {
            try Replay.table(10, limiter: try .minSize(11))
        }
    }
}

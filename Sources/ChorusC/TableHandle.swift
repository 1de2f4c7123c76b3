import CChorus
import Chorus
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// What a `chorus_table *` points to: a replay table and a buffer for packing inserted samples.
final class TableHandle {
    let table: ReplayTable
    // Invariant: allocated in `init` (strdup), never changed, freed in `deinit`, so what
    // `chorus_table_name` lends stays valid while the handle lives.
    let name: UnsafeMutablePointer<CChar>
    private let packing: Locked<PackingBuffer>

    init(_ table: ReplayTable) {
        self.table = table
        name = strdup(table.name)
        packing = Locked(PackingBuffer(sampleSize: table.schema.sampleSize))
    }

    deinit {
        free(name)
    }

    /// A table as `config` describes it.
    convenience init(schema: Schema, config: chorus_table_config) throws(ABIError) {
        guard let name = config.name else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a table without a name") }
        do throws(ReplayError) {
            let limiter: RateLimiter = switch config.limiter {
            case CHORUS_LIMITER_MIN_SIZE: try .minSize(config.min_size_to_sample)
            case CHORUS_LIMITER_SAMPLE_TO_INSERT_RATIO:
                try .sampleToInsertRatio(samplesPerInsert: config.samples_per_insert,
                                         minSizeToSample: config.min_size_to_sample, errorBuffer: config.error_buffer)
            case CHORUS_LIMITER_QUEUE: try .queue(size: config.max_size)
            default: throw .invalidRateLimiter("unknown rate limiter kind \(config.limiter.rawValue)")
            }
            self.init(try ReplayTable(
                name: String(cString: name), schema: schema, maxSize: config.max_size,
                sampler: try Selector(config.sampler), remover: try Selector(config.remover), rateLimiter: limiter,
                maxTimesSampled: config.max_times_sampled == 0 ? nil : config.max_times_sampled, seed: config.seed))
        } catch {
            throw ABIError(error)
        }
    }

    /// Inserts every sample, or says how many went in before the failure (their keys are written
    /// either way).
    func insert(_ samples: LeafMajorSamples, priorities: [Double], timeout: Duration?,
                keys: UnsafeMutablePointer<UInt64>?) -> (inserted: Int, error: ABIError?) {
        var inserted = 0
        do throws(ReplayError) {
            try packing.withLock { (buffer) throws(ReplayError) in
                try samples.forEachPackedChunk(into: buffer) { (packed, first) throws(ReplayError) in
                    let count = packed.count / samples.schema.sampleSize
                    try table.insert(
                        packed: packed, priorities: priorities.count == 1 ? priorities : Array(priorities[first..<first + count]),
                        timeout: timeout) { index, key in
                        keys?[first + index] = key
                        inserted += 1
                    }
                }
            }
            return (inserted, nil)
        } catch {
            return (inserted, ABIError(error))
        }
    }
}

extension Selector {
    init(_ selector: chorus_selector) throws(ReplayError) {
        switch selector.kind {
        case CHORUS_SELECTOR_FIFO: self = .fifo
        case CHORUS_SELECTOR_LIFO: self = .lifo
        case CHORUS_SELECTOR_UNIFORM: self = .uniform
        case CHORUS_SELECTOR_PRIORITIZED: self = .prioritized(priorityExponent: selector.priority_exponent)
        case CHORUS_SELECTOR_MAX_HEAP: self = .maxHeap
        case CHORUS_SELECTOR_MIN_HEAP: self = .minHeap
        default: throw .invalidTable("unknown selector kind \(selector.kind.rawValue)")
        }
    }
}

import ArgumentParser
import Chorus
import ChorusCore

/// A replay table as `chorus serve --table` spells it: `NAME:SAMPLER:CAPACITY[:LIMITER]`.
///
/// - SAMPLER: `fifo`, `lifo`, `uniform`, `prioritized=EXPONENT`, `maxheap`, `minheap`, or
///   `queue` (a queue of CAPACITY: fifo, each item sampled once, inserts wait while it is full;
///   no LIMITER). The remover is `fifo`.
/// - LIMITER: `minsize=N` (the default, with N = 1), or `ratio=SAMPLES_PER_INSERT,MIN_SIZE,ERROR_BUFFER`.
///
/// ```
/// --table replay:prioritized=0.6:1000000:ratio=4,1000,512
/// --table episodes:queue:10000
/// ```
struct TableSpecification: ExpressibleByArgument {
    let name: String
    let sampler: String
    let capacity: Int
    let limiter: String?

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (3...4).contains(parts.count), !parts[0].isEmpty, let capacity = Int(parts[2]), capacity >= 1 else {
            return nil
        }
        name = parts[0]
        sampler = parts[1]
        self.capacity = capacity
        limiter = parts.count == 4 ? parts[3] : nil
    }

    static let help = "NAME:SAMPLER:CAPACITY[:LIMITER]; SAMPLER fifo, lifo, uniform, prioritized=EXPONENT, maxheap, minheap or queue; LIMITER minsize=N or ratio=SAMPLES_PER_INSERT,MIN_SIZE,ERROR_BUFFER"

    /// The table this specifies, or an error naming the part that is wrong.
    func table(schema: Schema) throws -> ReplayTable {
        if sampler == "queue" {
            guard limiter == nil else { throw ValidationError("table \(name): a queue takes no limiter") }
            return try ReplayTable.queue(name: name, schema: schema, size: capacity)
        }
        return try ReplayTable(name: name, schema: schema, maxSize: capacity, sampler: try selector(),
                               remover: .fifo, rateLimiter: try rateLimiter())
    }

    private func selector() throws -> Selector {
        switch sampler {
        case "fifo": return .fifo
        case "lifo": return .lifo
        case "uniform": return .uniform
        case "maxheap": return .maxHeap
        case "minheap": return .minHeap
        default:
            guard sampler.hasPrefix("prioritized="), let exponent = Double(sampler.dropFirst("prioritized=".count)) else {
                throw ValidationError("table \(name): unknown sampler \"\(sampler)\" (\(Self.help))")
            }
            return .prioritized(priorityExponent: exponent)
        }
    }

    private func rateLimiter() throws -> RateLimiter {
        guard let limiter else { return try .minSize(1) }
        if limiter.hasPrefix("minsize="), let size = Int(limiter.dropFirst("minsize=".count)) {
            return try .minSize(size)
        }
        let numbers = limiter.hasPrefix("ratio=") ? limiter.dropFirst("ratio=".count).split(separator: ",").compactMap { Double($0) } : []
        guard numbers.count == 3, let minSize = Int(exactly: numbers[1]) else {
            throw ValidationError("table \(name): unknown limiter \"\(limiter)\" (\(Self.help))")
        }
        return try .sampleToInsertRatio(samplesPerInsert: numbers[0], minSizeToSample: minSize, errorBuffer: numbers[2])
    }
}

import ChorusCore

/// Why a ``Server`` could not be created.
public enum ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The batch size must be at least 1.
    case invalidBatchSize(Int)
    /// At least two buffers are needed: one the consumer holds, one producers fill.
    case invalidBufferCount(Int)
    /// `numBuffers × batchSize × sampleSize` is more than the memory this process may use
    /// (physical memory, or its cgroup's limit) or than memory's address range.
    case ringTooLarge(schema: Schema, batchSize: Int, numBuffers: Int)
    /// The replay tables do not fit the server: another schema, a name twice, an unknown default.
    case invalidTables(String)

    public var description: String {
        switch self {
        case .invalidBatchSize(let size):
            "batch size \(size) is invalid: it must be at least 1"
        case .invalidBufferCount(let count):
            "\(count) buffers are too few: at least 2 are needed (default 3)"
        case .ringTooLarge(let schema, let batchSize, let numBuffers):
            "a ring of \(numBuffers) × \(batchSize) samples of \(schema.sampleSize) bytes is more than the memory this process may use"
                + (MemoryLimit.bytes.map { " (\(MemoryLimit.gigabytes(Double($0))))" } ?? "")
        case .invalidTables(let reason):
            "invalid replay tables: \(reason)"
        }
    }
}

/// When a ``ReplayTable`` lets inserts and samples proceed: Reverb's rate limiter.
///
/// The limiter tracks `error = inserts × samplesPerInsert − samples` and blocks any insert or
/// sample that would move it outside `minDiff...maxDiff`, except that inserts are free while the
/// table holds at most `minSizeToSample` items and samples wait until it holds at least that
/// many. (`inserts` counts every insert; items deleted or removed lower the size, not the
/// count.)
///
/// ```swift
/// // Each item is sampled 4 times on average; sampling starts at 1,000 items; the learner may
/// // run ahead of or behind the actors by 100 samples.
/// let limiter = try RateLimiter.sampleToInsertRatio(samplesPerInsert: 4, minSizeToSample: 1_000, errorBuffer: 100)
/// ```
public struct RateLimiter: Sendable, Hashable, CustomStringConvertible {
    public let samplesPerInsert: Double
    public let minSizeToSample: Int
    public let minDiff: Double
    public let maxDiff: Double

    /// A limiter with Reverb's raw parameters; prefer the named constructors.
    public init(samplesPerInsert: Double, minSizeToSample: Int, minDiff: Double, maxDiff: Double) throws(ReplayError) {
        guard samplesPerInsert.isFinite, samplesPerInsert > 0 else {
            throw .invalidRateLimiter("samplesPerInsert must be finite and above 0, not \(samplesPerInsert)")
        }
        guard minSizeToSample >= 1 else {
            throw .invalidRateLimiter("minSizeToSample must be at least 1, not \(minSizeToSample)")
        }
        guard !minDiff.isNaN, !maxDiff.isNaN, minDiff <= maxDiff else {
            throw .invalidRateLimiter("minDiff (\(minDiff)) must not exceed maxDiff (\(maxDiff))")
        }
        self.samplesPerInsert = samplesPerInsert
        self.minSizeToSample = minSizeToSample
        self.minDiff = minDiff
        self.maxDiff = maxDiff
    }

    /// Samples wait until the table holds `n` items; nothing else is limited.
    public static func minSize(_ n: Int) throws(ReplayError) -> RateLimiter {
        try RateLimiter(samplesPerInsert: 1, minSizeToSample: n,
                        minDiff: -Double.greatestFiniteMagnitude, maxDiff: .greatestFiniteMagnitude)
    }

    /// Keeps `samples ≈ samplesPerInsert × inserts` once the table holds `minSizeToSample`
    /// items, within `errorBuffer` either way of `samplesPerInsert × minSizeToSample`.
    public static func sampleToInsertRatio(samplesPerInsert: Double, minSizeToSample: Int, errorBuffer: Double)
        throws(ReplayError) -> RateLimiter
    {
        guard errorBuffer.isFinite, errorBuffer >= 0, samplesPerInsert.isFinite else {
            throw .invalidRateLimiter("samplesPerInsert and errorBuffer must be finite and errorBuffer at least 0")
        }
        let offset = samplesPerInsert * Double(minSizeToSample)
        return try sampleToInsertRatio(samplesPerInsert: samplesPerInsert, minSizeToSample: minSizeToSample,
                                       errorRange: (offset - errorBuffer)...(offset + errorBuffer))
    }

    /// `sampleToInsertRatio` with the allowed error range given outright.
    public static func sampleToInsertRatio(samplesPerInsert: Double, minSizeToSample: Int,
                                           errorRange: ClosedRange<Double>) throws(ReplayError) -> RateLimiter {
        guard samplesPerInsert.isFinite, samplesPerInsert > 0 else {
            throw .invalidRateLimiter("samplesPerInsert must be finite and above 0, not \(samplesPerInsert)")
        }
        guard errorRange.upperBound - errorRange.lowerBound >= 2 * max(1, samplesPerInsert) else {
            throw .invalidRateLimiter(
                "the error range \(errorRange) is narrower than 2 × max(1, samplesPerInsert): it could block both inserts and samples")
        }
        guard errorRange.lowerBound <= samplesPerInsert * Double(minSizeToSample) else {
            throw .invalidRateLimiter(
                "the error range \(errorRange) lies above samplesPerInsert × minSizeToSample: samples would never start")
        }
        return try RateLimiter(samplesPerInsert: samplesPerInsert, minSizeToSample: minSizeToSample,
                               minDiff: errorRange.lowerBound, maxDiff: errorRange.upperBound)
    }

    /// Each item is sampled exactly once, in order, and inserts wait while `size` items are
    /// unsampled: today's FIFO ring as a table (use it with `fifo` sampler and remover,
    /// `maxTimesSampled` 1 and `maxSize` `size`; ``ReplayTable/queue(name:schema:size:)`` does).
    public static func queue(size: Int) throws(ReplayError) -> RateLimiter {
        guard size >= 1 else { throw .invalidRateLimiter("a queue's size must be at least 1, not \(size)") }
        return try RateLimiter(samplesPerInsert: 1, minSizeToSample: 1, minDiff: 0, maxDiff: Double(size))
    }

    public var description: String {
        "RateLimiter(samplesPerInsert: \(samplesPerInsert), minSizeToSample: \(minSizeToSample), minDiff: \(minDiff), maxDiff: \(maxDiff))"
    }
}

/// The counts a ``RateLimiter`` decides by, kept by its table.
struct RateLimiterState: Sendable, Equatable {
    var inserts: UInt64 = 0
    var samples: UInt64 = 0
    var deletes: UInt64 = 0

    var size: Int { Int(inserts - deletes) }

    func canInsert(_ count: Int, under limiter: RateLimiter) -> Bool {
        if size + count <= limiter.minSizeToSample { return true }
        return Double(inserts + UInt64(count)) * limiter.samplesPerInsert - Double(samples) <= limiter.maxDiff
    }

    func canSample(_ count: Int, under limiter: RateLimiter) -> Bool {
        if size < limiter.minSizeToSample { return false }
        return Double(inserts) * limiter.samplesPerInsert - Double(samples) - Double(count) >= limiter.minDiff
    }
}

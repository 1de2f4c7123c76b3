import ChorusCore
import FoundationEssentials

/// Everything needed to resume a run: the last uploaded state `Sₘ`, the epoch `m` it starts,
/// and the reward vectors of epochs `m, m+1, …` completed since. Replaying those rewards
/// through `optimize` yields the current state, so the engine stores rewards every epoch and a
/// state only when one is uploaded.
///
/// File format (little-endian), written to a temporary file and renamed over the old one:
/// `"CHORUSCK"`, version `u32` (1), population `u32`, state epoch `u64`, state length `u64`,
/// state bytes, reward epochs `u32`, then each epoch's `population` rewards as `f32`; last, an
/// FNV-1a 64 checksum `u64` of everything before it.
public struct Checkpoint: Hashable, Sendable {
    public let populationSize: Int
    /// The epoch `state` starts.
    public let stateEpoch: Int
    public let state: [UInt8]
    /// Reward vectors of epochs `stateEpoch ..< stateEpoch + rewards.count`.
    public var rewards: [[Float]]

    public init(populationSize: Int, stateEpoch: Int, state: [UInt8], rewards: [[Float]] = []) {
        self.populationSize = populationSize
        self.stateEpoch = stateEpoch
        self.state = state
        self.rewards = rewards
    }

    /// The epoch that follows the last one with rewards.
    public var nextEpoch: Int { stateEpoch + rewards.count }

    private static let magic = Array("CHORUSCK".utf8)
    private static let version: UInt32 = 1

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.version)
        bytes.appendLittleEndian(UInt32(populationSize))
        bytes.appendLittleEndian(UInt64(stateEpoch))
        bytes.appendLittleEndian(UInt64(state.count))
        bytes += state
        bytes.appendLittleEndian(UInt32(rewards.count))
        for vector in rewards {
            for reward in vector { bytes.appendLittleEndian(reward.bitPattern) }
        }
        bytes.appendLittleEndian(FNV1a.hash(bytes))
        return bytes
    }

    /// Parses a checkpoint file's bytes; the error says what is wrong.
    public init(decoding bytes: [UInt8]) throws(CheckpointFormatError) {
        guard bytes.count >= Self.magic.count + 8, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw CheckpointFormatError("not a Chorus checkpoint (bad magic)")
        }
        let body = bytes.dropLast(8)
        var trailer = WireReader(bytes[body.endIndex...])
        guard try Self.next(UInt64.self, from: &trailer) == FNV1a.hash(body) else {
            throw CheckpointFormatError("checksum mismatch (truncated or corrupted)")
        }
        var reader = WireReader(body.dropFirst(Self.magic.count))
        let version = try Self.next(UInt32.self, from: &reader)
        guard version == Self.version else { throw CheckpointFormatError("unsupported version \(version)") }
        let population = Int(try Self.next(UInt32.self, from: &reader))
        let stateEpoch = try Self.next(UInt64.self, from: &reader)
        let stateLength = try Self.next(UInt64.self, from: &reader)
        guard population > 0, stateEpoch >= 1, stateEpoch < UInt64(Int32.max), stateLength > 0 else {
            throw CheckpointFormatError("implausible header (population \(population), epoch \(stateEpoch), state \(stateLength) bytes)")
        }
        guard let state = reader.read(Int(clamping: stateLength)) else {
            throw CheckpointFormatError("truncated at byte \(reader.position)")
        }
        let epochs = Int(try Self.next(UInt32.self, from: &reader))
        var rewards: [[Float]] = []
        for _ in 0..<epochs {
            var vector = [Float]()
            vector.reserveCapacity(population)
            for _ in 0..<population { vector.append(Float(bitPattern: try Self.next(UInt32.self, from: &reader))) }
            rewards.append(vector)
        }
        guard reader.remaining == 0 else { throw CheckpointFormatError("\(reader.remaining) unexpected trailing bytes") }
        self.init(populationSize: population, stateEpoch: Int(stateEpoch), state: Array(state), rewards: rewards)
    }

    /// Writes the checkpoint to `path` atomically (a crash leaves the old file or the new one).
    public func save(to path: String) throws(EngineError) {
        do {
            try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .checkpointWriteFailed(path: path, reason: "\(error)")
        }
    }

    /// The checkpoint at `path`, or `nil` when there is no file.
    public static func load(from path: String) throws(EngineError) -> Checkpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .badCheckpoint(path: path, reason: "\(error)")
        }
        do {
            return try Checkpoint(decoding: bytes)
        } catch {
            throw .badCheckpoint(path: path, reason: error.reason)
        }
    }

    /// The next little-endian integer of `reader`, or an error naming where the bytes ran out.
    private static func next<T: FixedWidthInteger & UnsignedInteger>(
        _ type: T.Type, from reader: inout WireReader
    ) throws(CheckpointFormatError) -> T {
        guard let value = reader.read(type) else { throw CheckpointFormatError("truncated at byte \(reader.position)") }
        return value
    }
}

/// Why bytes are not a valid checkpoint.
public struct CheckpointFormatError: Error, Hashable, Sendable {
    public let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

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
        append(Self.version, to: &bytes)
        append(UInt32(populationSize), to: &bytes)
        append(UInt64(stateEpoch), to: &bytes)
        append(UInt64(state.count), to: &bytes)
        bytes += state
        append(UInt32(rewards.count), to: &bytes)
        for vector in rewards {
            for reward in vector { append(reward.bitPattern, to: &bytes) }
        }
        append(Self.checksum(bytes[...]), to: &bytes)
        return bytes
    }

    /// Parses a checkpoint file's bytes; the error says what is wrong.
    public init(decoding bytes: [UInt8]) throws(CheckpointFormatError) {
        guard bytes.count >= Self.magic.count + 8, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw CheckpointFormatError("not a Chorus checkpoint (bad magic)")
        }
        let body = bytes.dropLast(8)
        var reader = Reader(bytes: bytes, position: body.endIndex)
        guard try reader.read(UInt64.self) == Self.checksum(body) else {
            throw CheckpointFormatError("checksum mismatch (truncated or corrupted)")
        }
        reader = Reader(bytes: Array(body), position: Self.magic.count)
        let version = try reader.read(UInt32.self)
        guard version == Self.version else { throw CheckpointFormatError("unsupported version \(version)") }
        let population = Int(try reader.read(UInt32.self))
        let stateEpoch = try reader.read(UInt64.self)
        let stateLength = try reader.read(UInt64.self)
        guard population > 0, stateEpoch >= 1, stateEpoch < UInt64(Int32.max), stateLength > 0 else {
            throw CheckpointFormatError("implausible header (population \(population), epoch \(stateEpoch), state \(stateLength) bytes)")
        }
        let state = try reader.bytes(Int(clamping: stateLength))
        let epochs = Int(try reader.read(UInt32.self))
        var rewards: [[Float]] = []
        for _ in 0..<epochs {
            var vector = [Float]()
            vector.reserveCapacity(population)
            for _ in 0..<population { vector.append(Float(bitPattern: try reader.read(UInt32.self))) }
            rewards.append(vector)
        }
        guard reader.isAtEnd else { throw CheckpointFormatError("\(reader.remaining) unexpected trailing bytes") }
        self.init(populationSize: population, stateEpoch: Int(stateEpoch), state: state, rewards: rewards)
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

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// FNV-1a, 64 bits.
    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: [UInt8]
        var position: Int

        var remaining: Int { bytes.count - position }
        var isAtEnd: Bool { position == bytes.count }

        mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws(CheckpointFormatError) -> T {
            let size = MemoryLayout<T>.size
            guard remaining >= size else { throw CheckpointFormatError("truncated at byte \(position)") }
            defer { position += size }
            return bytes[position ..< position + size].reversed().reduce(T.zero) { $0 << 8 | T($1) }
        }

        mutating func bytes(_ count: Int) throws(CheckpointFormatError) -> [UInt8] {
            guard count <= remaining else { throw CheckpointFormatError("truncated at byte \(position)") }
            defer { position += count }
            return Array(bytes[position ..< position + count])
        }
    }
}

/// Why bytes are not a valid checkpoint.
public struct CheckpointFormatError: Error, Hashable, Sendable {
    public let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

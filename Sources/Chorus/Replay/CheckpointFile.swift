#if canImport(Glibc)
import Glibc
#endif

/// A file read or written front to back in large pieces, for table checkpoints: integers
/// little-endian, arrays and item memory copied whole. Errors name the path and `errno`.
struct CheckpointFile: ~Copyable {
    let path: String
    private let fd: Int32

    /// Opens `path` to read.
    init(reading path: String) throws(ReplayError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open \(path)") }
    }

    /// Creates (or truncates) `path` to write.
    init(writing path: String) throws(ReplayError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("create \(path)") }
    }

    deinit { close(fd) }

    static func failure(_ what: String, errno code: Int32 = errno) -> ReplayError {
        .checkpoint("\(what): \(String(cString: strerror(code)))")
    }

    /// Writes in pieces of at most 8 MiB: the kernel writes those back while the next is copied
    /// (one huge write measured 3× slower to disk here).
    func write(_ bytes: UnsafeRawBufferPointer) throws(ReplayError) {
        var done = 0
        while done < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 8 << 20))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Self.failure("write \(path)") }
            done += written
        }
    }

    func read(into bytes: UnsafeMutableRawBufferPointer) throws(ReplayError) {
        var done = 0
        while done < bytes.count {
            let count = Glibc.read(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure("read \(path)") }
            guard count > 0 else { throw .checkpoint("\(path) ends early: it is truncated or not a checkpoint") }
            done += count
        }
    }

    func write<T: BitwiseCopyable>(_ values: [T]) throws(ReplayError) {
        try values.withBytes { (bytes) throws(ReplayError) in try write(bytes) }
    }

    func read<T: BitwiseCopyable>(_ count: Int, of _: T.Type) throws(ReplayError) -> [T] {
        guard count >= 0, count <= Int(Int32.max) else { throw .checkpoint("\(path) holds an impossible count \(count)") }
        var error: ReplayError?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(ReplayError) {
                try read(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch let caught {
                error = caught
                initialized = 0
            }
        }
        if let error { throw error }
        return values
    }

    func write(_ value: UInt64) throws(ReplayError) { try write([value.littleEndian]) }
    func write(_ value: Double) throws(ReplayError) { try write(value.bitPattern) }
    func write(_ text: String) throws(ReplayError) {
        try write(UInt64(text.utf8.count))
        try write(Array(text.utf8))
    }

    func readUInt64() throws(ReplayError) -> UInt64 { UInt64(littleEndian: try read(1, of: UInt64.self)[0]) }
    func readInt() throws(ReplayError) -> Int {
        let value = try readUInt64()
        guard value <= UInt64(Int.max) else { throw .checkpoint("\(path) holds an impossible count \(value)") }
        return Int(value)
    }
    func readDouble() throws(ReplayError) -> Double { Double(bitPattern: try readUInt64()) }
    func readString() throws(ReplayError) -> String {
        String(decoding: try read(try readInt(), of: UInt8.self), as: UTF8.self)
    }

    /// Flushes the file to the disk.
    func sync() throws(ReplayError) {
        guard fsync(fd) == 0 else { throw Self.failure("fsync \(path)") }
    }

    /// Whether every byte has been read.
    func isAtEnd() -> Bool {
        var byte: UInt8 = 0
        return Glibc.read(fd, &byte, 1) == 0
    }
}

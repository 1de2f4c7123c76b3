/// Little-endian reading and writing for the wire codecs (and, within the package, the ES
/// checkpoint file), on plain byte arrays (no raw memory).
///
/// Inlinable: clients and the server decode and encode acks with it per message, and across
/// module boundaries an unspecialized generic `read(UInt64.self)` costs a microsecond.
package struct WireReader {
    @usableFromInline let bytes: ArraySlice<UInt8>
    @usableFromInline var offset: Int

    @inlinable
    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    /// The index in the slice of the next byte to read.
    @inlinable package var position: Int { offset }
    @inlinable package var consumed: Int { offset - bytes.startIndex }
    @inlinable package var remaining: Int { bytes.endIndex - offset }

    /// The next `count` bytes, or nil when fewer are available.
    @inlinable
    package mutating func read(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    @inlinable
    package mutating func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> T? {
        read(MemoryLayout<T>.size).map { slice in
            slice.reversed().reduce(T.zero) { $0 << 8 | T($1) }
        }
    }
}

extension Array where Element == UInt8 {
    @inlinable
    package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for index in 0..<MemoryLayout<T>.size {
            append(UInt8(truncatingIfNeeded: value >> (8 * index)))
        }
    }
}

/// The outcome of decoding a message that may not have fully arrived yet.
package enum WireDecoding<Message> {
    /// Not enough bytes yet; read more and try again.
    case incomplete
    /// A whole message, and how many bytes it took.
    case complete(Message, consumed: Int)
    /// The bytes can never become a valid message.
    case malformed(String)
}

extension WireDecoding {
    /// The message, when whole.
    package var value: Message? {
        if case .complete(let message, _) = self { return message }
        return nil
    }

    package var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }

    package var malformedReason: String? {
        if case .malformed(let reason) = self { return reason }
        return nil
    }
}

/// How a peer's unexpected magic bytes read in a message: as text when printable.
func describeMagic(_ bytes: ArraySlice<UInt8>) -> String {
    bytes.allSatisfy { (0x20..<0x7F).contains($0) }
        ? "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        : bytes.map { String($0, radix: 16) }.joined(separator: " ")
}

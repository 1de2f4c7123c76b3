/// A v2 client session: random per session, the same on every reconnect, so the server can tell
/// where the session's sequence numbers stand.
public struct SessionID: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    /// A fresh random session id.
    public static func random() -> SessionID {
        var generator = SystemRandomNumberGenerator()
        return SessionID(high: generator.next(), low: generator.next())
    }

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Bytes on the wire: `high` then `low`, little-endian.
    package static let byteCount = 16

    package init(bytes: ArraySlice<UInt8>) {
        precondition(bytes.count == Self.byteCount)
        var reader = WireReader(bytes)
        high = reader.read(UInt64.self)!
        low = reader.read(UInt64.self)!
    }

    package var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(high)
        bytes.appendLittleEndian(low)
        return bytes
    }

    public var description: String {
        String(high, radix: 16) + "-" + String(low, radix: 16)
    }
}

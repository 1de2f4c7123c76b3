/// The two protocols a Chorus listener speaks.
public enum WireProtocol: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Wire v1 of the Python package id-echo: its unchanged clients and servers interoperate.
    /// No authentication, no reasons on refusal, no resume.
    case echo
    /// Chorus wire v2: schema check with a reason, optional HMAC authentication, cumulative acks,
    /// resume after a reconnect without loss or duplicates.
    case chorus

    public var description: String { rawValue }
}

import ChorusCore

/// Why a ``TcpClient`` call failed.
public enum ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The host is neither an IPv4 or IPv6 address nor a name the resolver knows.
    case unresolvedHost(String, reason: String)
    /// No connection could be made (refused, unreachable, timed out).
    case connectFailed(String)
    /// The server refused the client: a v2 verdict's status and reason, or for v1 the reason the
    /// server's handshake does not fit the client's schema.
    case refused(status: UInt8?, reason: String)
    /// The connection broke and could not be resumed. For v1, up to `unacked` samples may be lost.
    case connectionLost(String, unacked: Int)
    /// The sample was built for another schema.
    case schemaMismatch(expected: Schema, given: Schema)
    /// Packed bytes that are not a whole, positive number of samples.
    case wrongSampleSize(sampleSize: Int, given: Int)
    /// The server broke the protocol (a bad handshake, ack or verdict).
    case protocolViolation(String)
    /// Waiting for acks took longer than the timeout.
    case timedOut(unacked: Int)
    /// The client was closed.
    case closed
    /// An argument the client cannot use (a priority without a table, a NaN priority, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unresolvedHost(let host, let reason): "cannot resolve host \"\(host)\": \(reason)"
        case .invalidArgument(let reason): "invalid argument: \(reason)"
        case .connectFailed(let reason): "could not connect: \(reason)"
        case .refused(let status, let reason):
            "refused by the server\(status.map { " (status \($0))" } ?? ""): \(reason)"
        case .connectionLost(let reason, let unacked): "connection lost (\(reason)); \(unacked) samples unacked"
        case .schemaMismatch(let expected, let given):
            "sample schema \(given.canonicalJSON) differs from the client's \(expected.canonicalJSON)"
        case .wrongSampleSize(let sampleSize, let given):
            "\(given) bytes are not a whole number of \(sampleSize)-byte samples"
        case .protocolViolation(let reason): "protocol violation by the server: \(reason)"
        case .timedOut(let unacked): "timed out waiting for acks (\(unacked) samples unacked)"
        case .closed: "the client is closed"
        }
    }
}

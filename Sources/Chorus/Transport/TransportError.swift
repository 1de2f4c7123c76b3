import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// Why a transport could not start.
public enum TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed; `errno` says why.
    case system(String, errno: Int32)
    /// A listener address is neither an IPv4 or IPv6 address nor a name that resolves.
    case invalidAddress(String)
    /// The schema cannot be served on this protocol.
    case unsupportedSchema(String)
    /// The server is already listening, or was shut down.
    case notStartable(String)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .invalidAddress(let reason): reason
        case .unsupportedSchema(let reason): "unsupported schema: \(reason)"
        case .notStartable(let reason): reason
        }
    }
}

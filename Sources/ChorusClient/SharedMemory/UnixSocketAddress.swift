#if canImport(Glibc)
import Glibc
#endif

/// A Unix-domain socket's address: a file path of at most 107 bytes.
package struct UnixSocketAddress: Sendable {
    private var storage = sockaddr_un()

    /// Nil when `path` does not fit (`sun_path` holds 108 bytes with the terminating zero).
    package init?(path: String) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: storage.sun_path), !bytes.contains(0) else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
    }

    /// Lends the address as the `sockaddr` pointer and length that `bind` and `connect` take.
    package func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) {
            body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}

import CLibURing
#if canImport(Glibc)
import Glibc
#endif

/// Plain POSIX socket calls shared by the listeners and the client: TCP over IPv4.
enum Socket {
    static func address(_ host: String, port: Int) throws(TransportError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let parsed = host == "localhost" ? inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
                                         : inet_pton(AF_INET, host, &address.sin_addr)
        guard parsed == 1, (0...65_535).contains(port) else { throw .invalidAddress("\(host):\(port)") }
        return address
    }

    /// A listening socket bound to `host:port` (0 picks a free port).
    static func listen(host: String, port: Int, reusePort: Bool) throws(TransportError) -> Int32 {
        var address = try address(host, port: port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 1024) == 0 else {
            let code = errno
            close(fd)
            throw .system("bind/listen on \(host):\(port)", errno: code)
        }
        return fd
    }

    static func boundPort(_ fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Bytes already waiting in the socket's receive queue.
    static func waitingBytes(_ fd: Int32) -> Int {
        max(0, Int(chorus_socket_waiting_bytes(fd)))
    }

    /// Reads exactly as many bytes as `buffers` hold, scattering them in order.
    ///
    /// - Precondition: at least that many bytes are already waiting (`waitingBytes`), and no
    ///   other read of this socket is in flight. TCP then hands over all of them at once (queued
    ///   data is returned before any error or EOF), so the call neither blocks nor comes up short;
    ///   if it ever did, the caller's reservation could not be completed, so that is a checked
    ///   invariant, not an error path.
    static func readWaiting(_ fd: Int32, into buffers: [UnsafeMutableRawBufferPointer]) {
        var vectors = buffers.map { iovec(iov_base: $0.baseAddress, iov_len: $0.count) }
        let expected = buffers.reduce(0) { $0 + $1.count }
        let received = vectors.withUnsafeMutableBufferPointer { vectors in
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = vectors.count
            return recvmsg(fd, &message, Int32(MSG_WAITALL))
        }
        precondition(received == expected,
                     "recvmsg returned \(received) of \(expected) bytes the socket reported waiting (errno \(errno))")
    }

    /// Makes the socket readable (for poll) only once `bytes` are waiting, or at EOF. Linux caps
    /// the value at half the largest receive buffer.
    static func setReceiveLowWater(_ fd: Int32, bytes: Int) {
        var value = Int32(clamping: bytes)
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}

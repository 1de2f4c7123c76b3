import CLibURing
import ChorusClient
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// The server side's socket calls: listening sockets (IPv4 and IPv6) and the direct reads of
/// the large-sample path.
enum Socket {
    /// A listening socket bound to `host:port` (0 picks a free port): the first address `host`
    /// resolves to, so `127.0.0.1`, `::1`, `0.0.0.0`, `::` and names all work.
    static func listen(host: String, port: Int, reusePort: Bool) throws(TransportError) -> Int32 {
        let address: SocketAddress
        do {
            address = try SocketAddress.resolve(host: host, port: port, passive: true)[0]
        } catch {
            throw .invalidAddress(error.description)
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard address.withSockaddr({ bind(fd, $0, $1) }) == 0, Glibc.listen(fd, 1024) == 0 else {
            let code = errno
            close(fd)
            throw .system("bind/listen on \(address)", errno: code)
        }
        return fd
    }

    static func boundPort(_ fd: Int32) -> Int {
        SocketAddress.local(of: fd).port
    }

    /// Bytes already waiting in the socket's receive queue.
    static func waitingBytes(_ fd: Int32) -> Int {
        max(0, Int(chorus_socket_waiting_bytes(fd)))
    }

    /// Reads up to as many bytes as `buffers` hold (at most `limit` when given), scattering
    /// them in order, without blocking; returns how many, or -1 with `errno` set.
    ///
    /// When at least that many bytes are waiting (`waitingBytes`) and no other read of this
    /// socket is in flight, TCP hands over all of them at once (queued data is returned before
    /// any error or EOF). The caller still handles a short read (see `readDirectly`): a kernel
    /// or a peer must never be able to stop the learner.
    static func readWaiting(_ fd: Int32, into buffers: [UnsafeMutableRawBufferPointer], limit: Int? = nil) -> Int {
        var vectors: [iovec] = []
        var room = limit ?? .max
        for buffer in buffers where room > 0 {
            let length = min(buffer.count, room)
            vectors.append(iovec(iov_base: buffer.baseAddress, iov_len: length))
            room -= length
        }
        return vectors.withUnsafeMutableBufferPointer { vectors in
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = vectors.count
            return recvmsg(fd, &message, Int32(MSG_WAITALL) | Int32(MSG_DONTWAIT))
        }
    }

    /// Reads until `buffers` are full, waiting (poll) at most `timeout` in all; false if the
    /// peer closed, failed or stayed silent first. Blocks the calling thread: only for the rare
    /// completion of a short direct read.
    static func readFully(_ fd: Int32, into buffers: [UnsafeMutableRawBufferPointer], within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var remaining = buffers.filter { !$0.isEmpty }
        while !remaining.isEmpty {
            let read = readWaiting(fd, into: remaining)
            if read == 0 { return false }
            if read < 0 {
                guard errno == EAGAIN || errno == EINTR else { return false }
                do {
                    try BlockingSocket.poll(fd, for: Int16(POLLIN), timeout: deadline - .now)
                } catch {
                    return false
                }
                continue
            }
            remaining.removeFirstBytes(read)
        }
        return true
    }

    /// Makes the socket readable (for poll) only once `bytes` are waiting, or at EOF. Linux caps
    /// the value at half the largest receive buffer.
    static func setReceiveLowWater(_ fd: Int32, bytes: Int) {
        var value = Int32(clamping: bytes)
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}

import CSharedMemory
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// A client's TCP socket: blocking calls with optional timeouts (through `poll`), sends that
/// gather many buffers in one system call and never raise SIGPIPE.
package final class BlockingSocket {
    /// Why a socket call failed.
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case timedOut
        /// The host name or address could not be resolved.
        case unresolved(AddressError)
        /// The peer closed or reset the connection.
        case closed
        case system(String, errno: Int32)

        package var description: String {
            switch self {
            case .timedOut: "timed out"
            case .unresolved(let error): "\(error)"
            case .closed: "connection closed by the peer"
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            }
        }
    }

    private(set) var fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close()
    }

    /// Connects to `host:port` within `timeout`: `host` is a name (resolved with `getaddrinfo`)
    /// or an IPv4 or IPv6 address; each address it names is tried in turn until one answers.
    static func connect(host: String, port: Int, timeout: Duration) throws(Failure) -> BlockingSocket {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port)
        } catch {
            throw .unresolved(error)
        }
        let deadline = ContinuousClock.now + timeout
        var failure = Failure.timedOut
        for address in addresses {
            do {
                return try connect(to: address, timeout: deadline - .now)
            } catch {
                failure = error
            }
        }
        throw failure
    }

    private static func connect(to address: SocketAddress, timeout: Duration) throws(Failure) -> BlockingSocket {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        let connection = BlockingSocket(fd: fd)
        if address.withSockaddr({ Glibc.connect(fd, $0, $1) }) != 0 {
            guard errno == EINPROGRESS else { throw .system("connect to \(address)", errno: errno) }
            try connection.poll(for: Int16(POLLOUT), timeout: timeout)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw .system("connect to \(address)", errno: error) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~Int32(O_NONBLOCK))
        SocketOptions.setNoDelay(fd)
        return connection
    }

    /// Connects to the Unix-domain stream socket at `path` within `timeout` (a full backlog is
    /// retried until then).
    package static func connect(unixPath path: String, timeout: Duration) throws(Failure) -> BlockingSocket {
        guard let address = UnixSocketAddress(path: path) else {
            throw .system("connect to \(path): the path is too long for a Unix socket", errno: ENAMETOOLONG)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        let connection = BlockingSocket(fd: fd)
        let deadline = ContinuousClock.now + timeout
        while address.withSockaddr({ Glibc.connect(fd, $0, $1) }) != 0 {
            guard errno == EAGAIN || errno == EINTR else { throw .system("connect to \(path)", errno: errno) }
            guard ContinuousClock.now < deadline else { throw .timedOut }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~Int32(O_NONBLOCK))
        return connection
    }

    /// Receives at least one byte into `buffer` and the file descriptors sent with it (at most
    /// four; the caller owns them), waiting at most `timeout`.
    package func receiveWithDescriptors(
        into buffer: UnsafeMutableRawBufferPointer, timeout: Duration
    ) throws(Failure) -> (count: Int, descriptors: [Int32]) {
        try poll(for: Int16(POLLIN), timeout: timeout)
        var descriptors = [Int32](repeating: -1, count: 4)
        var arrived: Int32 = 0
        while true {
            let count = descriptors.withUnsafeMutableBufferPointer {
                chorus_receive_with_fds(fd, buffer.baseAddress, buffer.count, $0.baseAddress, &arrived)
            }
            let received = Array(descriptors.prefix(Int(arrived)))
            if count > 0 { return (count, received) }
            received.forEach { _ = Glibc.close($0) }
            if count == 0 { throw .closed }
            if errno == EINTR { continue }
            throw errno == ECONNRESET ? .closed : .system("recvmsg", errno: errno)
        }
    }

    /// Sends every byte of `buffers`, in order, gathering up to 64 of them per system call.
    func send(_ buffers: [UnsafeRawBufferPointer]) throws(Failure) {
        var pending = buffers.filter { $0.count > 0 }
        var iovecs: [iovec] = []
        while !pending.isEmpty {
            iovecs.removeAll(keepingCapacity: true)
            for buffer in pending.prefix(64) {
                iovecs.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress), iov_len: buffer.count))
            }
            var message = msghdr()
            let sent = iovecs.withUnsafeMutableBufferPointer { vectors in
                message.msg_iov = vectors.baseAddress
                message.msg_iovlen = vectors.count
                return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
            guard sent >= 0 else {
                if errno == EINTR { continue }
                throw errno == EPIPE || errno == ECONNRESET ? .closed : .system("sendmsg", errno: errno)
            }
            pending.removeFirstBytes(sent)
        }
    }

    /// Receives at least one byte into `buffer`, waiting at most `timeout` (forever when nil).
    /// Returns the byte count; throws ``Failure/closed`` at EOF.
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(Failure) -> Int {
        if let timeout { try poll(for: Int16(POLLIN), timeout: timeout) }
        return try receive(into: buffer, flags: 0)!
    }

    /// Receives what is already waiting, without blocking; nil when nothing is.
    func receiveAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int? {
        try receive(into: buffer, flags: Int32(MSG_DONTWAIT))
    }

    private func receive(into buffer: UnsafeMutableRawBufferPointer, flags: Int32) throws(Failure) -> Int? {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, flags)
            if count > 0 { return count }
            if count == 0 { throw .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            case ECONNRESET, EPIPE: throw .closed
            default: throw .system("recv", errno: errno)
            }
        }
    }

    private func poll(for events: Int16, timeout: Duration) throws(Failure) {
        try Self.poll(fd, for: events, timeout: timeout)
    }

    /// Waits until `fd` has one of `events` (POLLIN, POLLOUT), at most `timeout`; retries
    /// interrupted waits. For any socket, also one this type does not own.
    package static func poll(_ fd: Int32, for events: Int16, timeout: Duration) throws(Failure) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - .now
            guard left > .zero else { throw .timedOut }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = Glibc.poll(&entry, 1, left.pollMilliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .system("poll", errno: errno) }
        }
    }

    /// Ends the connection at once in both directions (the next call fails with `.closed`).
    func shutdownBoth() {
        if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}

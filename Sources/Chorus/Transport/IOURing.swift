import CLibURing
#if canImport(Glibc)
import Glibc
#endif

/// A small owner of one io_uring instance (liburing), used by exactly one thread.
///
/// Submissions name an operation with a 64-bit tag that comes back in its completion. The
/// caller keeps every buffer handed to an operation alive until that operation's completion
/// has been seen: the kernel writes into or reads from it until then.
final class IOURing {
    /// One completion: the tag of the operation, its result (bytes, a file descriptor, or a
    /// negated errno) and its flags (`IORING_CQE_F_MORE` for multishot operations).
    struct Completion {
        let tag: UInt64
        let result: Int32
        let flags: UInt32

        var hasMore: Bool { flags & UInt32(IORING_CQE_F_MORE) != 0 }
    }

    // Invariant: initialized by `io_uring_queue_init_params` in `init`, torn down in `deinit`,
    // and never moved (liburing keeps pointers into it).
    private let ring: UnsafeMutablePointer<io_uring>
    private var completions: [UnsafeMutablePointer<io_uring_cqe>?]
    private var isOpen = true

    init(entries: UInt32) throws(TransportError) {
        ring = .allocate(capacity: 1)
        // No IORING_SETUP_SINGLE_ISSUER: the ring is created on the caller's thread and then used
        // by the I/O thread, which that flag forbids.
        var params = io_uring_params()
        let result = io_uring_queue_init_params(entries, ring, &params)
        guard result == 0 else {
            ring.deallocate()
            throw .system("io_uring_queue_init", errno: -result)
        }
        completions = Array(repeating: nil, count: Int(entries) * 2)
    }

    deinit {
        close()
        ring.deallocate()
    }

    /// Tears the ring down; operations still in flight are cancelled. Idempotent.
    func close() {
        guard isOpen else { return }
        isOpen = false
        io_uring_queue_exit(ring)
    }

    /// A submission queue entry, submitting queued entries first if the queue is full.
    private func entry() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        io_uring_submit(ring)
        guard let sqe = io_uring_get_sqe(ring) else { fatalError("io_uring submission queue stays full") }
        return sqe
    }

    func acceptMultishot(listener fd: Int32, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_multishot_accept(sqe, fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Receives into `buffer`, which must stay valid until the completion.
    func receive(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_recv(sqe, fd, buffer.baseAddress, buffer.count, 0)
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Sends `buffer`, which must stay valid until the completion. Never raises SIGPIPE.
    func send(fd: Int32, from buffer: UnsafeRawBufferPointer, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_send(sqe, fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Completes when `fd` is readable (once).
    func pollReadable(fd: Int32, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_poll_add(sqe, fd, UInt32(POLLIN))
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Reads from `fd` (the wake-up eventfd) into `buffer`, valid until the completion.
    func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_read(sqe, fd, buffer.baseAddress, UInt32(buffer.count), 0)
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Completes after `interval`; `time` must stay valid until the completion.
    func timeout(_ time: UnsafeMutablePointer<__kernel_timespec>, tag: UInt64) {
        let sqe = entry()
        io_uring_prep_timeout(sqe, time, 0, 0)
        io_uring_sqe_set_data64(sqe, tag)
    }

    /// Submits what is queued and waits for at least one completion, then hands every available
    /// completion to `handle`.
    func submitAndWait(_ handle: (Completion) -> Void) {
        let submitted = io_uring_submit_and_wait(ring, 1)
        if submitted < 0 && submitted != -EINTR && submitted != -EAGAIN && submitted != -EBUSY {
            fatalError("io_uring_submit_and_wait failed: \(String(cString: strerror(-submitted)))")
        }
        completions.withUnsafeMutableBufferPointer { buffer in
            let count = io_uring_peek_batch_cqe(ring, buffer.baseAddress, UInt32(buffer.count))
            for index in 0..<Int(count) {
                let cqe = buffer[index]!.pointee
                handle(Completion(tag: cqe.user_data, result: cqe.res, flags: cqe.flags))
            }
            io_uring_cq_advance(ring, count)
        }
    }
}

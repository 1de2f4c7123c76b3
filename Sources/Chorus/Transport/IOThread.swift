#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread (not the Swift concurrency pool: an I/O loop blocks in the kernel).
final class IOThread: @unchecked Sendable {
    private var thread: pthread_t

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) throws(TransportError) {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        // The box is retained here and released by the thread when `body` returns.
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw .system("pthread_create", errno: result)
        }
        self.thread = thread
    }

    func join() {
        pthread_join(thread, nil)
    }
}

import CLibURing
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread (not the Swift concurrency pool: an I/O loop blocks in the kernel).
final class IOThread: @unchecked Sendable {
    private var thread: pthread_t

    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept: Linux's limit),
    /// as `top -H` and `/proc/<pid>/task/*/comm` show it.
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(TransportError) {
        final class Box {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, _ body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        // The box is retained here and released by the thread when `body` returns.
        let context = Unmanaged.passRetained(Box(name: name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            _ = chorus_name_this_thread(String(decoding: box.name.utf8.prefix(15), as: UTF8.self))
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

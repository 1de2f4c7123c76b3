import CChorus
#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's last error message (`chorus_last_error`): a `strdup`ed C string in a
/// pthread key, replaced by the thread's next failure and freed with the thread.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { free($0) }
        precondition(result == 0, "pthread_key_create failed: \(result)")
        return key
    }()

    /// Records `message` for this thread and returns `status`, for `return LastError.set(…)`.
    static func set(_ status: chorus_status, _ message: String) -> chorus_status {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
        return status
    }

    static var message: UnsafePointer<CChar> {
        guard let stored = pthread_getspecific(key) else { return cString("") }
        return UnsafePointer(stored.assumingMemoryBound(to: CChar.self))
    }
}

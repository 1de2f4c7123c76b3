#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one mutex of the package: a pthread mutex, so ThreadSanitizer sees every acquire and
/// release (it intercepts pthreads; it does not model the futex inside
/// `Synchronization.Mutex`, and would miss races on data that lock guards or report false ones).
///
/// The mutex checks errors (`PTHREAD_MUTEX_ERRORCHECK`) and every return code is checked, so
/// locking twice on one thread or unlocking a lock not held stops the process with the reason
/// instead of deadlocking or corrupting state. Not recursive.
///
/// Use ``Locked`` for a value behind a lock and ``ConditionLock`` when threads wait for a
/// predicate; this type is their common base.
package final class Lock: @unchecked Sendable {
    // Invariant: allocated and initialized in `init`, destroyed and freed in `deinit`, never
    // moved in between (a pthread mutex must not be copied). `ConditionLock` waits on it while
    // holding it, as pthreads requires.
    @usableFromInline let pthreadMutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        pthreadMutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        Self.check(pthread_mutexattr_init(&attributes), "pthread_mutexattr_init")
        Self.check(pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK)), "pthread_mutexattr_settype")
        Self.check(pthread_mutex_init(pthreadMutex, &attributes), "pthread_mutex_init")
        Self.check(pthread_mutexattr_destroy(&attributes), "pthread_mutexattr_destroy")
    }

    deinit {
        Self.check(pthread_mutex_destroy(pthreadMutex), "pthread_mutex_destroy")
        pthreadMutex.deallocate()
    }

    @inlinable
    package func lock() { Self.check(pthread_mutex_lock(pthreadMutex), "pthread_mutex_lock") }
    @inlinable
    package func unlock() { Self.check(pthread_mutex_unlock(pthreadMutex), "pthread_mutex_unlock") }

    @inlinable
    package func withLock<R, E>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Stops the process when a pthread call failed: every failure here is a programming error
    /// (double lock, unlock by another thread, destroying a held lock), never a runtime condition.
    @usableFromInline
    static func check(_ result: Int32, _ call: StaticString) {
        if result != 0 { fatalError("\(call) failed: \(String(cString: strerror(result))) (\(result))") }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with two condition variables, for the ring's slow paths: a consumer waiting for a
/// batch and producers waiting for space. The fast paths never touch it.
///
/// The `Synchronization` module has `Mutex` but no condition variable, so this wraps pthreads.
/// Waits measure time on `CLOCK_MONOTONIC`, so a wall-clock change cannot stretch a timeout.
final class Monitor: @unchecked Sendable {
    enum Condition: Int {
        case batchReady = 0
        case spaceFree = 1
    }

    // Invariant: allocated and initialized in `init`, destroyed and freed in `deinit`, and never
    // moved in between (pthread objects must not be copied). Only accessed through the methods
    // below, which follow pthread's rules (wait only while holding `mutex`).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        conditions = .allocate(capacity: 2)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        for index in 0..<2 { pthread_cond_init(conditions + index, &attributes) }
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        for index in 0..<2 { pthread_cond_destroy(conditions + index) }
        conditions.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    func withLock<R, E>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits on `condition` until signalled or past `deadline`; must hold the lock. Returns false
    /// on timeout. Callers re-check their predicate either way (wakeups may be spurious).
    func wait(on condition: Condition, until deadline: Deadline?) -> Bool {
        let cond = conditions + condition.rawValue
        guard let deadline else {
            pthread_cond_wait(cond, mutex)
            return true
        }
        var time = deadline.time
        return pthread_cond_timedwait(cond, mutex, &time) != ETIMEDOUT
    }

    func signal(_ condition: Condition) { pthread_cond_signal(conditions + condition.rawValue) }
    func broadcast(_ condition: Condition) { pthread_cond_broadcast(conditions + condition.rawValue) }
}

extension Monitor {
    /// A point in time on `CLOCK_MONOTONIC`.
    struct Deadline: Sendable {
        fileprivate let time: timespec

        /// `timeout` from now; negative timeouts are already past.
        init(after timeout: Duration) {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let (seconds, attoseconds) = max(timeout, .zero).components
            let nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
            time = timespec(
                tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000,
                tv_nsec: nanoseconds % 1_000_000_000)
        }
    }
}

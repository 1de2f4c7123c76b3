#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``Lock`` with one condition variable per case of `Condition`, for threads that wait until
/// a predicate over state guarded by the lock holds (a consumer waiting for a batch, producers
/// waiting for space).
///
/// ```swift
/// enum RingCondition: Int, CaseIterable { case batchReady, spaceFree }
/// let lock = ConditionLock<RingCondition>()
/// lock.lock()
/// while !ready { _ = lock.wait(on: .batchReady, until: nil) }
/// lock.unlock()
/// ```
///
/// Waits measure time on `CLOCK_MONOTONIC`, so a wall-clock change cannot stretch a timeout.
/// Wake-ups may be spurious: callers re-check their predicate after every wait.
package final class ConditionLock<Condition: RawRepresentable & CaseIterable>: @unchecked Sendable
    where Condition.RawValue == Int
{
    @usableFromInline let mutex = Lock()
    // Invariant: `Condition.allCases.count` condition variables, allocated and initialized in
    // `init`, destroyed and freed in `deinit`, never moved; `conditions + c.rawValue` is case
    // `c`'s (raw values are 0, 1, … in order, checked in `init`).
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let count: Int

    package init() {
        count = Condition.allCases.count
        precondition(Condition.allCases.map(\.rawValue) == Array(0..<count),
                     "a ConditionLock's conditions must have raw values 0, 1, …")
        conditions = .allocate(capacity: count)
        var attributes = pthread_condattr_t()
        Lock.check(pthread_condattr_init(&attributes), "pthread_condattr_init")
        #if os(Linux)
        Lock.check(pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC), "pthread_condattr_setclock")
        #endif
        for index in 0..<count { Lock.check(pthread_cond_init(conditions + index, &attributes), "pthread_cond_init") }
        Lock.check(pthread_condattr_destroy(&attributes), "pthread_condattr_destroy")
    }

    deinit {
        for index in 0..<count { Lock.check(pthread_cond_destroy(conditions + index), "pthread_cond_destroy") }
        conditions.deallocate()
    }

    @inlinable package func lock() { mutex.lock() }
    @inlinable package func unlock() { mutex.unlock() }

    @inlinable
    package func withLock<R, E>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock(body)
    }

    /// Waits on `condition` until signalled or past `deadline` (forever when `nil`); the caller
    /// holds the lock. Returns false on timeout.
    package func wait(on condition: Condition, until deadline: Deadline?) -> Bool {
        let variable = conditions + condition.rawValue
        guard let deadline else {
            Lock.check(pthread_cond_wait(variable, mutex.pthreadMutex), "pthread_cond_wait")
            return true
        }
        var time = deadline.time
        let result = pthread_cond_timedwait(variable, mutex.pthreadMutex, &time)
        if result == ETIMEDOUT { return false }
        Lock.check(result, "pthread_cond_timedwait")
        return true
    }

    /// Wakes one thread waiting on `condition`.
    package func signal(_ condition: Condition) {
        Lock.check(pthread_cond_signal(conditions + condition.rawValue), "pthread_cond_signal")
    }

    /// Wakes every thread waiting on `condition`.
    package func broadcast(_ condition: Condition) {
        Lock.check(pthread_cond_broadcast(conditions + condition.rawValue), "pthread_cond_broadcast")
    }
}

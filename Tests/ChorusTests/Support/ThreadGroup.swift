import Dispatch
import Foundation
@testable import Chorus

/// Dedicated threads for tests that need real blocking producers or consumers (the cooperative
/// pool must never be blocked), joined with a bound so a hang fails the test instead of CI.
final class ThreadGroup: Sendable {
    private let group = DispatchGroup()

    /// Starts `count` threads running `body(index)`.
    init(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        for index in 0..<count {
            group.enter()
            let thread = Thread { [group] in
                body(index)
                group.leave()
            }
            thread.start()
        }
    }

    /// Waits for every thread; false if they are still running after `seconds`.
    func join(seconds: Double = 60) -> Bool {
        group.wait(timeout: .now() + seconds) == .success
    }
}

/// Polls `condition` every millisecond for at most `seconds`; true once it holds.
func eventually(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// `eventually` for async tests: suspends between polls instead of blocking a thread of the
/// cooperative pool, which the awaited task may need.
func eventually(seconds: Double = 30, _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// A value shared by test threads, behind a lock. A class, so closures share one reference.
/// The lock is Chorus's pthread-based `Monitor`: ThreadSanitizer intercepts pthreads, while it
/// cannot see the futex inside `Synchronization.Mutex` and would report false races.
final class Locked<Value>: @unchecked Sendable {
    private let monitor = Monitor()
    private var value: Value  // guarded by `monitor`

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        monitor.withLock { body(&value) }
    }
}

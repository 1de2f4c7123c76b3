import ChorusCore
import Dispatch
import Foundation
import Testing

/// Dedicated threads for tests that need real blocking producers or consumers (the cooperative
/// pool must never be blocked), joined with a bound so a hang fails the test instead of CI.
/// A thread that throws does not stop the test process: its error is recorded as an issue of
/// the test when the group is joined.
final class ThreadGroup: Sendable {
    private let group = DispatchGroup()
    private let errors = Locked<[String]>([])

    /// Starts `count` threads running `body(index)`.
    init(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) {
        for index in 0..<count {
            group.enter()
            let thread = Thread { [group, errors] in
                defer { group.leave() }
                do {
                    try body(index)
                } catch {
                    errors.withLock { $0.append("thread \(index): \(error)") }
                }
            }
            thread.start()
        }
    }

    /// Whether every thread has finished, waiting at most `seconds`; records nothing.
    func hasFinished(waiting seconds: Double) -> Bool {
        group.wait(timeout: .now() + seconds) == .success
    }

    /// Waits for every thread; records an issue for each error a thread threw and for threads
    /// still running after `seconds`. True when all finished without an error.
    @discardableResult
    func join(seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let finished = hasFinished(waiting: seconds)
        if !finished { Issue.record("threads still running after \(seconds) s", sourceLocation: sourceLocation) }
        let errors = errors.withLock { $0 }
        for error in errors { Issue.record("\(error)", sourceLocation: sourceLocation) }
        return finished && errors.isEmpty
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

import ChorusCore
import Foundation

/// A dedicated thread that runs a worker's hooks one at a time. Hooks are CPU-bound (and may
/// block), so they stay off the Swift concurrency pool, whose few threads (two on a 2-core
/// machine) must keep the heartbeats and the gRPC stream moving while a hook runs.
final class HookThread: @unchecked Sendable {
    private enum Condition: Int, CaseIterable {
        case work
    }

    // Invariant: `jobs` and `finished` are touched only with `lock` held. A leaf lock.
    private let lock = ConditionLock<Condition>()
    private var jobs: [() -> Void] = []
    private var finished = false

    /// Starts the thread; it runs until ``finish()``.
    init(name: String) {
        let thread = Thread { [self] in serve() }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the thread, after the hooks queued before it, and returns its result.
    func run<T>(_ body: @escaping () throws -> sending T) async throws -> sending T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            lock.withLock {
                precondition(!finished, "a hook queued after finish()")
                jobs.append {
                    do {
                        continuation.resume(returning: try body())
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                lock.signal(.work)
            }
        }
    }

    /// Lets the thread end once the hooks queued so far have run.
    func finish() {
        lock.withLock {
            finished = true
            lock.signal(.work)
        }
    }

    /// Whether the caller runs on a hook thread.
    static var isCurrent: Bool { Thread.current.threadDictionary[Self.marker] != nil }
    private static let marker = "chorus.hook-thread"

    private func serve() {
        Thread.current.threadDictionary[Self.marker] = true
        while let job = nextJob() { job() }
    }

    /// The next hook to run, waiting for one; `nil` once finished and drained.
    private func nextJob() -> (() -> Void)? {
        lock.withLock {
            while jobs.isEmpty && !finished { _ = lock.wait(on: .work, until: nil) }
            return jobs.isEmpty ? nil : jobs.removeFirst()
        }
    }
}

@testable import ChorusCore
import Dispatch
import Testing

@Suite struct LockTests {
    @Test func lockedSerializesConcurrentUpdates() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == 80_000)
    }

    @Test func lockedPassesTypedErrorsThrough() {
        struct Refused: Error, Equatable {}
        let value = Locked([1, 2])
        #expect(throws: Refused()) {
            try value.withLock { (values) throws(Refused) in
                values.append(3)
                throw Refused()
            }
        }
        #expect(value.withLock { $0 } == [1, 2, 3], "changes made before the throw stay")
    }

    enum Condition: Int, CaseIterable {
        case ready, other
    }

    @Test func aTimedWaitEndsAtItsDeadline() {
        let lock = ConditionLock<Condition>()
        let started = ContinuousClock.now
        let signalled = lock.withLock { lock.wait(on: .ready, until: Deadline(after: .milliseconds(50))) }
        #expect(!signalled)
        #expect(ContinuousClock.now - started >= .milliseconds(45))
        #expect(lock.withLock { lock.wait(on: .ready, until: Deadline(after: .seconds(-1))) } == false,
                "a deadline in the past does not wait")
    }

    @Test func aWaiterSleepsUntilItsConditionIsSignalled() {
        let lock = ConditionLock<Condition>()
        let state = Locked((ready: false, woken: false))
        let waiter = DispatchGroup()
        DispatchQueue.global().async(group: waiter) {
            lock.lock()
            while !state.withLock({ $0.ready }) {
                _ = lock.wait(on: .ready, until: nil)
            }
            state.withLock { $0.woken = true }
            lock.unlock()
        }
        lock.withLock { lock.broadcast(.other) }
        #expect(waiter.wait(timeout: .now() + 0.1) == .timedOut, "the waiter left before its predicate held")
        lock.withLock {
            state.withLock { $0.ready = true }
            lock.signal(.ready)
        }
        #expect(waiter.wait(timeout: .now() + 10) == .success)
        #expect(state.withLock { $0.woken })
    }
}

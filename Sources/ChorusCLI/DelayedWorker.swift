import ChorusES
import Foundation

/// A worker that waits before each evaluation and each update, then does what `base` does. It
/// stretches the phases of a run so a fault drill can kill or pause a worker inside the phase
/// it aims at (`chorus worker --evaluate-delay/--optimize-delay`); the results are `base`'s.
final class DelayedWorker<Base: Worker>: Worker {
    let base: Base
    let evaluateDelay: Double
    let optimizeDelay: Double

    init(_ base: Base, evaluateDelay: Double, optimizeDelay: Double) {
        self.base = base
        self.evaluateDelay = evaluateDelay
        self.optimizeDelay = optimizeDelay
    }

    func initialize() throws -> Base.State { try base.initialize() }

    func evaluate(_ state: Base.State, epoch: Int, slices: [MemberRange]) throws -> [Evaluation] {
        if evaluateDelay > 0 { Thread.sleep(forTimeInterval: evaluateDelay) }
        return try base.evaluate(state, epoch: epoch, slices: slices)
    }

    func optimize(_ state: Base.State, epoch: Int, rewards: [Float]) throws -> Base.State {
        if optimizeDelay > 0 { Thread.sleep(forTimeInterval: optimizeDelay) }
        return try base.optimize(state, epoch: epoch, rewards: rewards)
    }

    func onStateChange(_ state: Base.State) { base.onStateChange(state) }
    func onStop(final: Bool) { base.onStop(final: final) }
}

import ChorusCore
import Foundation

/// The no-barrier mode with local workers, one thread each (so a worker that blocks, or is
/// slow, holds only its own thread): every idle worker takes up to `cores` new individuals
/// from the engine, scores them, reports, and takes more, until the budget is spent.
public final class SteadyStateCluster<W: SteadyStateWorker>: Sendable {
    public let configuration: SteadyStateEngine.Configuration
    public let cores: [Int]
    private let makeWorker: @Sendable (Int) -> W

    /// What a run did.
    public struct Report: Sendable {
        /// The final pool, best first.
        public let pool: [SteadyStateEngine.Member]
        /// Individuals each worker scored (re-evaluations included).
        public let evaluatedByWorker: [Int]
        public let seconds: Double
        /// Workers whose `evaluate` threw; their individuals went back into the budget.
        public let failures: [String]
    }

    /// `makeWorker(i)` builds worker `i` on its own thread; it takes `cores[i]` individuals at a time.
    public init(configuration: SteadyStateEngine.Configuration, cores: [Int], makeWorker: @escaping @Sendable (Int) -> W) {
        precondition(!cores.isEmpty && cores.allSatisfy { $0 >= 1 }, "every worker needs at least one core")
        self.configuration = configuration
        self.cores = cores
        self.makeWorker = makeWorker
    }

    /// Runs to the end of the budget; `onReport(evaluated, best fitness)` is called after each result.
    public func run(onReport: @escaping @Sendable (Int, Float) -> Void = { _, _ in }) -> Report {
        let state = SharedEngine(SteadyStateEngine(configuration: configuration))
        let counts = Locked([Int](repeating: 0, count: cores.count))
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for (index, cores) in cores.enumerated() {
            group.enter()
            Thread { [makeWorker] in
                defer { group.leave() }
                let worker = makeWorker(index)
                while let individuals = state.take(cores, for: index) {
                    do {
                        let fitness = try worker.evaluate(individuals)
                        guard fitness.count == individuals.count else {
                            throw EngineRejection(.invalid, "\(fitness.count) scores for \(individuals.count) individuals")
                        }
                        let (evaluated, best) = try state.update { engine in
                            Result { () throws(EngineRejection) in
                                for (individual, value) in zip(individuals, fitness) {
                                    try engine.report(individual.number, fitness: value, from: index)
                                }
                                return (engine.evaluated, engine.best?.fitness ?? -.infinity)
                            }
                        }.get()
                        counts.withLock { $0[index] += individuals.count }
                        onReport(evaluated, best)
                    } catch {
                        _ = state.update { engine in engine.workerLeft(index) }
                        failures.withLock { $0.append("worker \(index): \(error)") }
                        return
                    }
                }
            }.start()
        }
        group.wait()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let pool = state.update { $0.pool }.sorted { $0.fitness > $1.fitness }
        return Report(pool: pool, evaluatedByWorker: counts.withLock { $0 }, seconds: seconds,
                      failures: failures.withLock { $0 })
    }
}

/// The engine behind a condition: a worker with nothing to take waits (no spinning) while
/// others still hold individuals, since a failing worker gives its individuals back.
private final class SharedEngine: @unchecked Sendable {
    enum Condition: Int, CaseIterable {
        case changed
    }

    // Invariant: `engine` is touched only with `lock` held. Lock order: a leaf (the workers'
    // `counts` and `failures` locks are taken after it is released).
    private var engine: SteadyStateEngine
    private let lock = ConditionLock<Condition>()

    init(_ engine: SteadyStateEngine) {
        self.engine = engine
    }

    /// Up to `count` individuals, waiting while there are none but the run is not over; `nil` once it is.
    func take(_ count: Int, for worker: Int) -> [SteadyStateEngine.Individual]? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            let individuals = engine.next(count, for: worker)
            if !individuals.isEmpty { return individuals }
            if engine.isFinished { return nil }
            _ = lock.wait(on: .changed, until: nil)
        }
    }

    /// Changes the engine and wakes the waiting workers.
    func update<T>(_ body: (inout SteadyStateEngine) -> T) -> T {
        lock.withLock {
            defer { lock.broadcast(.changed) }
            return body(&engine)
        }
    }
}

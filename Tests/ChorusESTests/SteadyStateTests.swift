import Foundation
import Testing
@testable import ChorusES

@Suite struct SteadyStateTests {
    @Test func thePoolKeepsTheBestAndTheBudgetHolds() {
        var engine = SteadyStateEngine(configuration: .init(poolSize: 3, evaluations: 10, seed: 1))
        let first = engine.next(4)
        #expect(first.map(\.number) == [0, 1, 2, 3] && first.allSatisfy { $0.genome.seeds.count == 1 })
        for (individual, fitness) in zip(first, [5, 1, .nan, 3] as [Float]) { engine.report(individual, fitness: fitness) }
        #expect(engine.pool.map(\.fitness).sorted() == [1, 3, 5], "NaN never enters")
        // The pool is full: new individuals are children, and a better one replaces the worst.
        let children = engine.next(2)
        #expect(children.allSatisfy { $0.genome.seeds.count == 2 })
        engine.report(children[0], fitness: 4)
        engine.abandon(children[1])
        #expect(engine.pool.map(\.fitness).sorted() == [3, 4, 5])
        #expect(engine.best?.fitness == 5)
        // 5 evaluated, 1 abandoned: 5 more to hand out, then none.
        #expect(engine.next(100).count == 5 && engine.next(1).isEmpty && !engine.isFinished)
    }

    /// Worker 0 fails on its first task; the others start only once it has (bounded wait).
    final class FlakyWorker: SteadyStateWorker {
        struct Crash: Error {}
        let crashes: Bool
        let crashed: DispatchSemaphore
        var started = false

        init(crashes: Bool, crashed: DispatchSemaphore) {
            self.crashes = crashes
            self.crashed = crashed
        }

        func evaluate(_ individuals: [SteadyStateEngine.Individual]) throws -> [Float] {
            if crashes {
                crashed.signal()
                crashed.signal()
                throw Crash()
            }
            if !started {
                started = true
                _ = crashed.wait(timeout: .now() + 10)
            }
            return individuals.map { Float($0.genome.seeds.count) }
        }
    }

    @Test func aFailedWorkersIndividualsAreEvaluatedByTheOthers() {
        let crashed = DispatchSemaphore(value: 0)
        let cluster = SteadyStateCluster(configuration: .init(poolSize: 4, evaluations: 40, seed: 2), cores: [8, 3, 1]) { index in
            FlakyWorker(crashes: index == 0, crashed: crashed)
        }
        let report = cluster.run()
        #expect(report.failures.count == 1)
        #expect(report.evaluatedByWorker == [0, report.evaluatedByWorker[1], 40 - report.evaluatedByWorker[1]])
    }

    @Test func theGASolvesCartPoleWithoutABarrier() {
        let policy = GeneticTests.policy
        let task = CartPoleTask(policy: policy, episodes: 2, seed: 4)
        let algorithm = GeneticAlgorithm(populationSize: 64, truncation: 10, seed: 21)
        let cluster = SteadyStateCluster(configuration: .init(poolSize: 32, tournamentSize: 4, evaluations: 3_000, seed: 9),
                                         cores: [4, 4, 8]) { _ in
            GAWorker(algorithm: algorithm, decoder: GeneticTests.decoder(cache: 64)) { parameters, epoch, member in
                task.fitness(of: parameters, epoch: epoch, member: member)
            }
        }
        let report = cluster.run()
        #expect(report.evaluatedByWorker.reduce(0, +) == 3_000)
        // Results arrive in any order, so the run differs each time; a lucky 2-episode score can
        // top the pool, so the answer is the pool's best on fresh episodes (validation).
        let scores = report.pool.map { member in
            CartPoleTests.evaluationReturn(GeneticTests.decoder(cache: 0).parameters(of: member.genome), policy: policy)
        }
        #expect(report.pool.count == 32)
        #expect(scores.max() ?? 0 >= 475, "the best of the final pool over 20 fresh episodes")
    }
}

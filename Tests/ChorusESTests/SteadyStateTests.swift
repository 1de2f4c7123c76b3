import Foundation
import Testing
@testable import ChorusES

@Suite struct SteadyStateTests {
    @Test func thePoolKeepsTheBestAndTheBudgetHolds() throws {
        var engine = SteadyStateEngine(configuration: .init(poolSize: 3, evaluations: 10, seed: 1))
        let first = engine.next(4, for: 0)
        #expect(first.map(\.number) == [0, 1, 2, 3] && first.allSatisfy { $0.genome.seeds.count == 1 })
        for (individual, fitness) in zip(first, [5, 1, 2, 3] as [Float]) { try engine.report(individual.number, fitness: fitness) }
        #expect(engine.pool.map(\.fitness).sorted() == [2, 3, 5])
        // The pool is full: new individuals are children, and a better one replaces the worst.
        let children = engine.next(2, for: 1)
        #expect(children.allSatisfy { $0.genome.seeds.count == 2 })
        try engine.report(children[0].number, fitness: 4, from: 1)
        #expect(engine.workerLeft(1) == 1)
        #expect(engine.pool.map(\.fitness).sorted() == [3, 4, 5])
        #expect(engine.best?.fitness == 5)
        // 5 evaluated; the one worker 1 held comes back first, then 4 new ones, then none.
        let rest = engine.next(100, for: 2)
        #expect(rest.first == children[1] && rest.count == 5)
        #expect(engine.next(1, for: 0).isEmpty && !engine.isFinished)
        for individual in rest { try engine.report(individual.number, fitness: 0, from: 2) }
        #expect(engine.isFinished && engine.evaluated == 10)
    }

    /// A result for an individual the worker was not given (never handed out, another worker's,
    /// already reported) or a fitness that is not a number is refused with the reason, and
    /// changes nothing.
    @Test func badReportsAreRefusedAndChangeNothing() throws {
        var engine = SteadyStateEngine(configuration: .init(poolSize: 2, evaluations: 10, seed: 1))
        let mine = engine.next(2, for: 0)
        let theirs = engine.next(1, for: 1)
        try engine.report(mine[0].number, fitness: 1, from: 0)
        let before = (engine.pool, engine.evaluated, engine.outstanding(for: 0), engine.outstanding(for: 1))
        let refusals: [(Int, Float, String)] = [
            (99, 1, "individual 99 was never handed out"),
            (-1, 1, "individual -1 was never handed out"),
            (theirs[0].number, 1, "individual 2 was given to worker 1, not 0"),
            (mine[0].number, 1, "individual 0 is not out: already reported, or given back when its worker left"),
            (mine[1].number, .nan, "the fitness of individual 1 is nan"),
            (mine[1].number, .infinity, "the fitness of individual 1 is inf"),
        ]
        for (number, fitness, reason) in refusals {
            #expect(throws: EngineRejection(number == mine[1].number ? .invalid : .unknownTask, reason)) {
                try engine.report(number, fitness: fitness, from: 0)
            }
        }
        #expect(before == (engine.pool, engine.evaluated, engine.outstanding(for: 0), engine.outstanding(for: 1)))
        try engine.report(mine[1].number, fitness: 2, from: 0)
        #expect(engine.evaluated == 2)
    }

    /// Workers come and go mid-run: whatever a leaver held is handed out again, and the run
    /// ends with every individual evaluated exactly once.
    @Test func workersThatLeaveAndJoinLoseNoIndividual() throws {
        var engine = SteadyStateEngine(configuration: .init(poolSize: 8, evaluations: 500, seed: 4, reevaluationInterval: 16))
        var random = PhiloxRandom(seed: 7, stream: 0)
        var workers = [0, 1, 2]
        var nextWorker = 3
        var held: [Int: [SteadyStateEngine.Individual]] = [:]
        var reported: [Int] = []
        var rounds = 0
        while !engine.isFinished && rounds < 100_000 {
            rounds += 1
            let worker = workers[Int(random.next() % UInt64(workers.count))]
            switch random.next() % 10 {
            case 0 where workers.count > 1:  // leaves, and a new worker joins
                engine.workerLeft(worker)
                held[worker] = nil
                workers.removeAll { $0 == worker }
                workers.append(nextWorker)
                nextWorker += 1
            case 1...4:
                held[worker, default: []] += engine.next(Int(random.next() % 4) + 1, for: worker)
            default:
                guard let individual = held[worker]?.popLast() else { continue }
                let isNew = engine.evaluated
                try engine.report(individual.number, fitness: Float(random.next() % 100), from: worker)
                if engine.evaluated > isNew { reported.append(individual.number) }
            }
        }
        #expect(engine.isFinished)
        #expect(reported.count == 500 && Set(reported).count == 500, "each new individual evaluated once")
        #expect(engine.reevaluated > 0)
    }

    /// A lucky score does not stay on top: re-evaluations average it with its later scores.
    @Test func reevaluationsAverageALuckyScoreAway() throws {
        var engine = SteadyStateEngine(configuration: .init(poolSize: 2, evaluations: 100, seed: 5, reevaluationInterval: 2))
        let lucky = engine.next(1)[0]
        try engine.report(lucky.number, fitness: 100)
        try engine.report(engine.next(1)[0].number, fitness: 10)
        // Two results in: the next handed out is the best, again.
        let again = engine.next(1)[0]
        #expect(again.genome == lucky.genome && again.number != lucky.number)
        try engine.report(again.number, fitness: 0)
        #expect(engine.best?.fitness == 50 && engine.best?.evaluations == 2)
        try engine.report(engine.next(1)[0].number, fitness: 60)
        #expect(engine.best?.fitness == 60, "the averaged lucky one no longer tops the pool")
        #expect(engine.evaluated == 3 && engine.reevaluated == 1)
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

@testable import ChorusES
import FoundationEssentials
import Testing

@Suite struct EpochEngineTests {
    static let population = 10
    static let epochs = 4

    static func configuration(
        shareInterval: Int = 1, path: String? = nil, reissueAfter: Duration = .seconds(1000),
        taskTimeout: Duration? = nil, heartbeatTimeout: Duration = .seconds(1000)
    ) -> EngineConfiguration {
        EngineConfiguration(
            populationSize: population, maxEpochs: epochs, shareInterval: shareInterval,
            heartbeatTimeout: heartbeatTimeout, taskTimeout: taskTimeout, reissueAfter: reissueAfter,
            checkpointPath: path
        )
    }

    /// The state an undisturbed run must end in, computed without the engine.
    static let expectedFinalState: [UInt8] = {
        var state = Simulation.hash([0xC0, 0xFF, 0xEE])
        for epoch in 1...epochs {
            let rewards = (0..<population).map { Simulation.reward(state: state, member: $0) }
            state = Simulation.optimize(state, epoch: epoch, rewards: rewards)
        }
        return state
    }()

    static func twoWorkers(_ configuration: EngineConfiguration) throws -> (Simulation, WorkerID, WorkerID) {
        let simulation = try Simulation(configuration)
        let first = try simulation.join(cores: 3)
        let second = try simulation.join(cores: 2)
        return (simulation, first, second)
    }

    @Test(arguments: [1, 3])
    func undisturbedRunEndsInTheExpectedState(shareInterval: Int) throws {
        let (simulation, first, second) = try Self.twoWorkers(Self.configuration(shareInterval: shareInterval))
        #expect(simulation.finish() == Self.expectedFinalState)
        #expect(simulation.engine.checkpoint?.stateEpoch == Self.epochs + 1)
        _ = (first, second)
    }

    /// The moments a test disturbs the run at.
    enum Moment: CaseIterable {
        case initializing, evaluating, optimizing, sharing

        func matches(_ phase: EnginePhase) -> Bool {
            switch (self, phase) {
            case (.initializing, .initializing), (.evaluating, .evaluating(2)), (.optimizing, .optimizing(2)): true
            case (.sharing, .sharing(let epoch)): epoch >= 2
            default: false
            }
        }
    }

    @Test(arguments: Moment.allCases, [1, 3])
    func aWorkerJoiningInAnyPhaseKeepsTheRunExact(moment: Moment, shareInterval: Int) throws {
        let (simulation, _, _) = try Self.twoWorkers(Self.configuration(shareInterval: shareInterval))
        simulation.run(until: { moment.matches($0.engine.phase) })
        let joiner = try simulation.join(cores: 4)
        if moment == .initializing {
            #expect(simulation.worker(joiner).inbox.isEmpty, "a joiner waits for the initial state")
        }
        #expect(simulation.finish() == Self.expectedFinalState)
    }

    @Test(arguments: Moment.allCases, [1, 3])
    func losingAWorkerInAnyPhaseKeepsTheRunExact(moment: Moment, shareInterval: Int) throws {
        let (simulation, first, second) = try Self.twoWorkers(Self.configuration(shareInterval: shareInterval))
        simulation.run(until: { moment.matches($0.engine.phase) })
        let engine = simulation.engine
        let victim: WorkerID = switch moment {
        case .initializing: engine.initializer!
        case .evaluating: [first, second].first { engine.workers[$0]!.hasLiveEvaluation }!
        case .optimizing: engine.optimizeBarrier.min()!
        case .sharing: engine.sharer!
        }
        simulation.kill(victim)
        #expect(simulation.finish() == Self.expectedFinalState)
    }

    @Test(arguments: Moment.allCases.filter { $0 != .initializing }, [1, 3])
    func losingEveryWorkerThenRejoiningResumesTheRun(moment: Moment, shareInterval: Int) throws {
        let (simulation, first, second) = try Self.twoWorkers(Self.configuration(shareInterval: shareInterval))
        simulation.run(until: { moment.matches($0.engine.phase) })
        simulation.kill(first)
        simulation.kill(second)
        simulation.round()
        try simulation.join(cores: 5)
        #expect(simulation.finish() == Self.expectedFinalState)
    }

    @Test func duplicateAndMalformedResultsAreRefusedWithoutHarm() throws {
        let (simulation, first, second) = try Self.twoWorkers(Self.configuration())
        simulation.worker(first).sendsTwice = true
        simulation.run(until: { $0.engine.phase == .evaluating(1) })
        simulation.worker(second).corruptNext = { evaluations in
            evaluations.map { Evaluation(slice: $0.slice, rewards: Array($0.rewards.dropLast())) }
        }
        simulation.run(until: { $0.worker(second).replies.count == 1 })
        #expect(Self.isRejection(simulation.worker(second).replies[0], containing: "needs 2 rewards"))
        simulation.worker(second).corruptNext = { evaluations in
            evaluations.map { Evaluation(slice: $0.slice, rewards: [.nan] + $0.rewards.dropFirst()) }
        }
        simulation.run(until: { $0.worker(second).replies.count == 2 })
        #expect(Self.isRejection(simulation.worker(second).replies[1], containing: "non-finite"))
        simulation.worker(second).corruptNext = { evaluations in
            evaluations.map { Evaluation(slice: MemberRange($0.slice.start + 1, $0.slice.end + 1), rewards: $0.rewards) }
        }
        simulation.run(until: { $0.worker(second).replies.count == 3 })
        #expect(Self.isRejection(simulation.worker(second).replies[2], containing: "differ from the assigned"))
        let duplicates = simulation.worker(first).replies.filter { if case .stale = $0 { true } else { false } }
        #expect(!duplicates.isEmpty)
        #expect(simulation.finish() == Self.expectedFinalState)
        let counters = simulation.engine.counters
        #expect(counters.evaluationsRefused == 3, "the three malformed results are counted as refused")
        #expect(counters.evaluationsStale >= duplicates.count && counters.evaluationsAccepted > 0)
        #expect(counters.joins == 2 && counters.evictions == 0)
    }

    static func isRejection(_ reply: FinishReply, containing text: String) -> Bool {
        guard case .rejected(let rejection) = reply else { return false }
        return rejection.kind == .invalid && rejection.message.contains(text)
    }

    @Test func stragglersSlicesAreRunAgainAndTheFirstResultWins() throws {
        let (simulation, first, second) = try Self.twoWorkers(Self.configuration(reissueAfter: .seconds(3)))
        simulation.run(until: { $0.engine.phase == .evaluating(2) })
        let straggler = simulation.worker(second)
        straggler.isHung = true
        simulation.run(until: { $0.engine.phase == .optimizing(2) })
        // Its slices were run by the other worker; it wakes up, its late result is stale, and
        // the optimize queued behind it brings it back in step.
        straggler.isHung = false
        #expect(simulation.finish() == Self.expectedFinalState)
        #expect(straggler.replies.contains { if case .stale = $0 { true } else { false } })
        #expect(simulation.engine.counters.reissues >= 1)
        _ = first
    }

    @Test func aHungWorkerIsEvictedAfterItsTaskDeadline() throws {
        let (simulation, _, second) = try Self.twoWorkers(Self.configuration(taskTimeout: .seconds(5)))
        simulation.run(until: { $0.engine.phase == .evaluating(2) })
        simulation.worker(second).isHung = true
        #expect(simulation.finish() == Self.expectedFinalState)
        #expect(simulation.evictions.map(\.0) == [second])
        #expect(simulation.evictions.first?.1.contains("ran longer") == true)
        #expect(simulation.engine.counters.evictions == 1)
    }

    @Test func anIdleWorkerWithoutHeartbeatsIsEvicted() throws {
        let (simulation, _, _) = try Self.twoWorkers(Self.configuration(heartbeatTimeout: .seconds(3)))
        let observer = try simulation.join(cores: 0)
        simulation.worker(observer).sendsHeartbeats = false
        #expect(simulation.finish() == Self.expectedFinalState)
        #expect(simulation.evictions.map(\.0) == [observer])
    }

    @Test func aJoinerWaitingForTheInitialStateIsNotEvicted() throws {
        let simulation = try Simulation(Self.configuration(heartbeatTimeout: .seconds(3)))
        let initializer = try simulation.join(cores: 3)
        simulation.worker(initializer).isHung = true
        // Without a greeting it has no identity to heartbeat with.
        let joiner = try simulation.join(cores: 2)
        simulation.worker(joiner).sendsHeartbeats = false
        for _ in 0..<10 { simulation.round() }
        #expect(simulation.evictions.isEmpty)
        simulation.worker(initializer).isHung = false
        simulation.worker(joiner).sendsHeartbeats = true
        #expect(simulation.finish() == Self.expectedFinalState)
    }

    @Test(arguments: [1, 3])
    func aRestartedEngineResumesFromItsCheckpoint(shareInterval: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-checkpoint-\(UInt64.random(in: 0 ... .max))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (before, _, _) = try Self.twoWorkers(Self.configuration(shareInterval: shareInterval, path: path))
        before.run(until: { $0.engine.phase == .evaluating(3) })
        before.round()
        let saved = try #require(try Checkpoint.load(from: path))
        #expect(saved.nextEpoch == 3)

        let after = try Simulation(Self.configuration(shareInterval: shareInterval, path: path))
        #expect(after.engine.phase == .evaluating(3))
        try after.join(cores: 2)
        try after.join(cores: 3)
        #expect(after.finish() == Self.expectedFinalState)

        // A finished run stays finished: a third engine starts stopped with the final state.
        let finished = try Simulation(Self.configuration(shareInterval: shareInterval, path: path))
        #expect(finished.engine.phase == .stopped)
        #expect(finished.engine.checkpoint?.state == Self.expectedFinalState)
    }

    @Test func aLateJoinerAfterTheRunGetsTheFinalStateAndStop() throws {
        let (simulation, _, _) = try Self.twoWorkers(Self.configuration())
        _ = simulation.finish()
        let late = try simulation.join(cores: 1)
        let inbox = simulation.worker(late).inbox
        #expect(inbox.count == 2)
        guard case .hello(let hello) = inbox.first, case .stop = inbox.last else {
            Issue.record("expected HELLO then STOP, got \(inbox)")
            return
        }
        #expect(hello.state == Self.expectedFinalState && hello.stateEpoch == Self.epochs + 1)
    }

    @Test func badRequestsAreRefusedWithAReason() throws {
        var configuration = Self.configuration()
        configuration.maxWorkers = 2
        let (simulation, first, _) = try Self.twoWorkers(configuration)
        let engine = simulation.engine
        #expect(throws: EngineRejection.self) { try engine.join(cores: 1, now: .zero) }
        #expect(engine.finishOptimization(WorkerID(rawValue: 99), task: TaskID(rawValue: 1), now: .zero)
            == .rejected(EngineRejection(.unknownWorker, "worker 99 is not in the pool")))
        guard case .rejected(let rejection) = engine.finishEvaluation(first, task: TaskID(rawValue: 12345), evaluations: [], now: .zero) else {
            Issue.record("an unknown task must be refused")
            return
        }
        #expect(rejection.kind == .unknownTask)
        #expect(!engine.heartbeat(WorkerID(rawValue: 99), now: .zero))
        let fresh = try EpochEngine(configuration: Self.configuration())
        #expect(throws: EngineRejection.self) { try fresh.join(cores: -1, now: .zero) }
        #expect(throws: EngineError.self) { try EpochEngine(configuration: EngineConfiguration(populationSize: 0)) }
    }

    @Test func checkpointsRoundTripAndCorruptionIsDetected() throws {
        let checkpoint = Checkpoint(populationSize: 3, stateEpoch: 4, state: [1, 2, 3], rewards: [[1, 2, 3], [-1, 0.5, 9]])
        let bytes = checkpoint.encoded()
        #expect(try Checkpoint(decoding: bytes) == checkpoint)
        var flipped = bytes
        flipped[20] ^= 1
        #expect(throws: CheckpointFormatError.self) { try Checkpoint(decoding: flipped) }
        #expect(throws: CheckpointFormatError.self) { try Checkpoint(decoding: Array(bytes.dropLast(3))) }
        #expect(throws: CheckpointFormatError.self) { try Checkpoint(decoding: Array("not a checkpoint".utf8)) }
    }
}

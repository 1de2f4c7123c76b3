import ChorusES
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// Joins an Evochi v1 coordinator (Chorus's, or any other that speaks the protocol) and runs a
/// Swift ``Worker``'s hooks for its events. The hooks run on a thread of their own and
/// heartbeats go out from their own task, so a long hook neither makes the worker look dead
/// (unlike the Python 0.1.4 client) nor starves the concurrency pool.
public struct EvochiWorkerClient: Sendable {
    public var host: String
    public var port: Int
    /// The most members the worker evaluates per task.
    public var cores: Int
    /// Sent as metadata `x-chorus-join-secret` when set.
    public var joinSecret: String?
    /// Largest event accepted (a HELLO carries the whole state).
    public var maxEventBytes: Int

    public init(host: String, port: Int, cores: Int, joinSecret: String? = nil, maxEventBytes: Int = 256 << 20) {
        self.host = host
        self.port = port
        self.cores = cores
        self.joinSecret = joinSecret
        self.maxEventBytes = maxEventBytes
    }

    /// Subscribes and runs the worker `makeWorker` builds until the run is over (returns the
    /// state the worker ended with, if it got one) or the connection fails (throws). `log` gets
    /// a line per notable event.
    @discardableResult
    public func run<W: Worker>(
        log: @escaping @Sendable (String) -> Void = { _ in },
        makeWorker: @escaping @Sendable () -> W
    ) async throws -> W.State? where W.State: Sendable {
        let transport = try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { grpc in
            let client = Evochi_V1_EvochiService.Client(wrapping: grpc)
            var metadata: Metadata = [:]
            if let joinSecret { metadata.addString(joinSecret, forKey: "x-chorus-join-secret") }
            var options = CallOptions.defaults
            options.maxResponseMessageBytes = maxEventBytes
            let request = ClientRequest(message: Evochi_V1_SubscribeRequest.with { $0.cores = Int32(clamping: cores) }, metadata: metadata)
            return try await client.subscribe(request: request, options: options) { response in
                let session = WorkerSession(client: client, host: WorkerHost(makeWorker()), log: log)
                try await session.run(response.messages)
                return session.finalState
            }
        }
    }
}

/// One subscription's worth of state: the host running the hooks, the token, the task ids.
private final class WorkerSession<W: Worker, Transport: ClientTransport>: @unchecked Sendable {
    // Used only from the subscribe task (the heartbeat task gets copies of what it needs).
    private let client: Evochi_V1_EvochiService.Client<Transport>
    /// Touched only on `hooks`' thread.
    private let host: WorkerHost<W>
    private let hooks = HookThread(name: "chorus-worker-hooks")
    private let log: @Sendable (String) -> Void
    private var token = ""
    private var wireTasks: [TaskID: String] = [:]
    private var lastTask: UInt64 = 0
    /// The coordinator sent STOP: the run is over.
    private var stopped = false

    init(client: Evochi_V1_EvochiService.Client<Transport>, host: WorkerHost<W>, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.host = host
        self.log = log
    }

    /// The state the worker holds (after `run`: the one it ended with, read once the hooks'
    /// thread has finished with it).
    var finalState: W.State? { host.state }

    func run(_ messages: RPCAsyncSequence<Evochi_V1_SubscribeResponse, any Error>) async throws {
        defer { hooks.finish() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            do {
                for try await message in messages {
                    if message.type == .hello {
                        token = message.hello.token
                        let interval = Duration.seconds(max(1, Int(message.hello.heartbeatInterval)))
                        group.addTask { [client, token, log] in
                            await Self.heartbeats(client: client, token: token, interval: interval, log: log)
                        }
                        log("joined as \(message.hello.id): population \(message.hello.populationSize), "
                            + "max epochs \(message.hello.maxEpochs)")
                        let state = message.hello.hasState ? [UInt8](message.hello.state) : nil
                        try await hooks.run { [host] in try host.receiveState(state) }
                        continue
                    }
                    guard let event = try decode(message) else {
                        log("ignored an event of unknown type \(message.type.rawValue)")
                        continue
                    }
                    let reply = try await hooks.run { [host] in try host.handle(event) }
                    if case .stopped = reply { stopped = true }
                    try await answer(reply)
                }
            } catch let error as RPCError where error.code == .cancelled && stopped {
                // The end of a finished run: STOP, then CANCELLED. A CANCELLED without a STOP
                // (the coordinator went away) is a failure, not a finished run.
                try await hooks.run { [host] in host.worker.onStop(final: true) }
                log("the run is over")
                return
            }
            throw RPCError(code: .unavailable, message: "the coordinator ended the stream without a status")
        }
    }

    private func decode(_ message: Evochi_V1_SubscribeResponse) throws -> WorkerEvent? {
        switch message.type {
        case .initialize:
            return .initialize(task(message.initialize.taskID))
        case .evaluate:
            // The same check the coordinator applies to slices it receives; a bad one ends the session.
            let slices = try message.evaluate.slices.map { wire in
                guard let slice = MemberRange(wire: wire) else {
                    throw RPCError(code: .invalidArgument, message: "the coordinator sent an invalid slice [\(wire.start), \(wire.end))")
                }
                return slice
            }
            return .evaluate(task(message.evaluate.taskID), epoch: Int(message.evaluate.epoch), slices: slices)
        case .optimize:
            return .optimize(task(message.optimize.taskID), epoch: Int(message.optimize.epoch), rewards: message.optimize.rewards)
        case .shareState:
            return .shareState(task(message.shareState.taskID), epoch: Int(message.shareState.epoch))
        case .stop:
            return .stop(task(message.stop.taskID))
        default:
            return nil
        }
    }

    /// A local id for the coordinator's (opaque) task id.
    private func task(_ wire: String) -> TaskID {
        lastTask += 1
        let id = TaskID(rawValue: lastTask)
        wireTasks[id] = wire
        return id
    }

    private func answer(_ answer: WorkerHost<W>.Answer) async throws {
        let metadata: Metadata = ["authorization": "Bearer \(token)"]
        let ok: Bool
        switch answer {
        case .none, .stopped:
            return
        case .initialized(let task, let state):
            ok = try await client.finishInitialization(request: ClientRequest(message: .with {
                $0.taskID = wire(task)
                $0.state = Data(state)
            }, metadata: metadata)).ok
        case .evaluated(let task, let evaluations):
            ok = try await client.finishEvaluation(request: ClientRequest(message: .with {
                $0.taskID = wire(task)
                $0.evaluations = evaluations.map { evaluation in
                    .with {
                        $0.slice = Evochi_V1_Slice(evaluation.slice)
                        $0.rewards = evaluation.rewards
                    }
                }
            }, metadata: metadata)).ok
        case .optimized(let task):
            ok = try await client.finishOptimization(request: ClientRequest(message: .with { $0.taskID = wire(task) }, metadata: metadata)).ok
        case .shared(let task, let state):
            ok = try await client.finishShareState(request: ClientRequest(message: .with {
                $0.taskID = wire(task)
                $0.state = Data(state)
            }, metadata: metadata)).ok
        }
        if !ok { log("the coordinator did not need that result (late or duplicate)") }
    }

    private func wire(_ task: TaskID) -> String {
        wireTasks.removeValue(forKey: task) ?? ""
    }

    private static func heartbeats(
        client: Evochi_V1_EvochiService.Client<Transport>, token: String, interval: Duration,
        log: @escaping @Sendable (String) -> Void
    ) async {
        var sequence: Int32 = 0
        while !Task.isCancelled {
            sequence += 1
            do {
                _ = try await client.heartbeat(request: ClientRequest(
                    message: .with { $0.seqID = sequence },
                    metadata: ["authorization": "Bearer \(token)"]
                ))
                try await Task.sleep(for: interval)
            } catch is CancellationError {
                return
            } catch {
                log("heartbeat failed: \(error)")
                try? await Task.sleep(for: interval)
            }
        }
    }
}

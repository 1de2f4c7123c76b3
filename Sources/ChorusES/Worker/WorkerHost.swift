import FoundationEssentials

/// Runs a ``Worker``'s hooks for the events an engine sends and says what to answer: the
/// transport-free half of a worker connection.
public final class WorkerHost<W: Worker> {
    public let worker: W
    public private(set) var state: W.State?

    public init(_ worker: W) {
        self.worker = worker
    }

    /// The worker's answer to one event.
    public enum Answer: Sendable {
        case none
        case initialized(TaskID, state: [UInt8])
        case evaluated(TaskID, [Evaluation])
        case optimized(TaskID)
        case shared(TaskID, state: [UInt8])
        /// The run is over.
        case stopped
    }

    /// Handles `event` and returns the answer to send.
    public func handle(_ event: WorkerEvent) throws -> Answer {
        switch event {
        case .hello(let hello):
            try receiveState(hello.state)
            return .none
        case .initialize(let task):
            let initial = try worker.initialize()
            replaceState(initial)
            return .initialized(task, state: try Self.encode(initial))
        case .evaluate(let task, let epoch, let slices):
            return .evaluated(task, try worker.evaluate(try currentState(), epoch: epoch, slices: slices))
        case .optimize(let task, let epoch, let rewards):
            replaceState(try worker.optimize(try currentState(), epoch: epoch, rewards: rewards))
            return .optimized(task)
        case .shareState(let task, _):
            return .shared(task, state: try Self.encode(try currentState()))
        case .stop:
            worker.onStop(final: false)
            return .stopped
        }
    }

    /// Takes the state a greeting carries (`nil` or empty: none yet).
    public func receiveState(_ bytes: [UInt8]?) throws {
        if let bytes, !bytes.isEmpty { replaceState(try Self.decode(bytes)) }
    }

    private func currentState() throws(WorkerHostError) -> W.State {
        guard let state else { throw .noState }
        return state
    }

    private func replaceState(_ new: W.State) {
        state = new
        worker.onStateChange(new)
    }

    /// The bytes of a state: its `Codable` form as a binary property list.
    public static func encode(_ state: W.State) throws -> [UInt8] {
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        return [UInt8](try encoder.encode(state))
    }

    public static func decode(_ bytes: [UInt8]) throws -> W.State {
        try PropertyListDecoder().decode(W.State.self, from: Data(bytes))
    }
}

/// Why a worker host could not answer.
public enum WorkerHostError: Error, Hashable, Sendable {
    /// An event needs the state, but the worker has none yet.
    case noState
}

import ChorusES
import Foundation

/// Conversions between the engine's types and the Evochi v1 messages.
extension Evochi_V1_SubscribeResponse {
    /// The wire form of `event` for a worker whose HELLO carries `id` and `token`.
    init(_ event: WorkerEvent, id: String, token: String) {
        self.init()
        switch event {
        case .hello(let hello):
            type = .hello
            self.hello = .with {
                $0.id = id
                $0.token = token
                if let state = hello.state { $0.state = Data(state) }
                $0.populationSize = Int32(clamping: hello.populationSize)
                $0.heartbeatInterval = Int32(clamping: max(1, hello.heartbeatInterval.components.seconds))
                $0.maxEpochs = Int32(clamping: hello.maxEpochs)
            }
        case .initialize(let task):
            type = .initialize
            initialize = .with { $0.taskID = task.wireValue }
        case .evaluate(let task, let epoch, let slices):
            type = .evaluate
            evaluate = .with {
                $0.taskID = task.wireValue
                $0.epoch = Int32(clamping: epoch)
                $0.slices = slices.map(Evochi_V1_Slice.init)
            }
        case .optimize(let task, let epoch, let rewards):
            type = .optimize
            optimize = .with {
                $0.taskID = task.wireValue
                $0.epoch = Int32(clamping: epoch)
                $0.rewards = rewards
            }
        case .shareState(let task, let epoch):
            type = .shareState
            shareState = .with {
                $0.taskID = task.wireValue
                $0.epoch = Int32(clamping: epoch)
            }
        case .stop(let task):
            type = .stop
            stop = .with { $0.taskID = task.wireValue }
        }
    }
}

extension Evochi_V1_Slice {
    init(_ slice: MemberRange) {
        self.init()
        start = Int32(clamping: slice.start)
        end = Int32(clamping: slice.end)
    }
}

extension MemberRange {
    /// The slice a worker sent, or `nil` when it is not a valid range.
    init?(wire: Evochi_V1_Slice) {
        guard wire.start >= 0, wire.start <= wire.end else { return nil }
        self.init(Int(wire.start), Int(wire.end))
    }
}

extension TaskID {
    /// Task ids travel as decimal strings (opaque to Evochi workers).
    var wireValue: String { String(rawValue) }

    init?(wireValue: String) {
        guard let value = UInt64(wireValue) else { return nil }
        self.init(rawValue: value)
    }
}

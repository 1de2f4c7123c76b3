/// A Swift ES worker, with the hooks of an Evochi worker: create the initial state, evaluate
/// slices of a population, apply an epoch's update. The engine sends the same update to every
/// worker, so ``optimize(_:epoch:rewards:)`` must be deterministic.
///
/// The state travels as bytes (binary property list of its `Codable` form), for joiners and
/// checkpoints.
public protocol Worker: AnyObject, SendableMetatype {
    associatedtype State: Codable

    /// The state of a new run (called on one worker only).
    func initialize() throws -> State

    /// One reward per member of each slice of `epoch`, evaluated around `state`.
    func evaluate(_ state: State, epoch: Int, slices: [MemberRange]) throws -> [Evaluation]

    /// The state that follows `state` after epoch `epoch` with the population's `rewards`.
    func optimize(_ state: State, epoch: Int, rewards: [Float]) throws -> State

    /// The worker's state was replaced (after initialize, a greeting or an optimize).
    func onStateChange(_ state: State)

    /// The run is over (`final`: the stream has ended too).
    func onStop(final: Bool)
}

extension Worker {
    public func onStateChange(_ state: State) {}
    public func onStop(final: Bool) {}
}

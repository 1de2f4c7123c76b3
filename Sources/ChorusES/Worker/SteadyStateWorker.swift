/// A worker of the no-barrier mode (``SteadyStateEngine``): it scores whatever individuals it
/// is handed, with no epochs and no shared state.
public protocol SteadyStateWorker: AnyObject, SendableMetatype {
    /// One fitness per individual, in order.
    func evaluate(_ individuals: [SteadyStateEngine.Individual]) throws -> [Float]
}

extension GAWorker: SteadyStateWorker {
    /// Each individual's genome rebuilt through this worker's cache, scored with its number as
    /// the epoch (so its episodes are its own) and member 0.
    public func evaluate(_ individuals: [SteadyStateEngine.Individual]) -> [Float] {
        individuals.map { score($0.genome, anchors: [:], epoch: $0.number, member: 0) }
    }
}

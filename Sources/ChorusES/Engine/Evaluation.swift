/// A worker's result for one slice: one reward per member, in order.
public struct Evaluation: Hashable, Sendable, Codable {
    public let slice: Slice
    public let rewards: [Float]

    public init(slice: Slice, rewards: [Float]) {
        self.slice = slice
        self.rewards = rewards
    }
}

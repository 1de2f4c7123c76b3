/// A worker's result for one slice: one reward per member, in order.
public struct Evaluation: Hashable, Sendable, Codable {
    public let slice: MemberRange
    public let rewards: [Float]

    public init(slice: MemberRange, rewards: [Float]) {
        self.slice = slice
        self.rewards = rewards
    }
}

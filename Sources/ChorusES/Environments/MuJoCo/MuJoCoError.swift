/// Why MuJoCo could not be used: the library, a model file or a model's shape.
public struct MuJoCoError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

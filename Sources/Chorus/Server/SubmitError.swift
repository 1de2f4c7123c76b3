import ChorusCore

/// Why ``Server/submit(_:timeout:)`` refused or stopped.
public enum SubmitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The sample was built for another schema; the reason names the first difference.
    case schemaMismatch(expected: Schema, given: Schema)
    /// Packed bytes that are not a whole, positive number of samples.
    case wrongSize(sampleSize: Int, given: Int)
    /// The ring stayed full past the timeout. The first `committed` samples were accepted.
    case timedOut(committed: Int)
    /// The server shut down. The first `committed` samples were accepted.
    case shutDown(committed: Int)

    public var description: String {
        switch self {
        case .schemaMismatch(let expected, let given):
            "sample schema \(given.canonicalJSON) differs from the server's \(expected.canonicalJSON)"
        case .wrongSize(let sampleSize, let given):
            "\(given) bytes are not a whole number of \(sampleSize)-byte samples"
        case .timedOut(let committed):
            "the ring stayed full past the timeout (\(committed) samples accepted before)"
        case .shutDown(let committed):
            "the server is shut down (\(committed) samples accepted before)"
        }
    }
}

/// What ``Server/next(timeout:)`` found: a batch, nothing yet, or the end of the stream.
public enum NextBatch: Sendable {
    /// The next full batch, now held by the consumer.
    case batch(Batch)
    /// No batch completed within the timeout; nothing is held.
    case timedOut
    /// The server was shut down and every committed sample has been delivered.
    case finished
}

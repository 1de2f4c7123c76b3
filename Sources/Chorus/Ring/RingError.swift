/// Why a producer could not reserve slots.
enum RingError: Error, Hashable, Sendable {
    /// The ring stayed full until the timeout.
    case timedOut
    /// The ring was shut down.
    case shutDown
}

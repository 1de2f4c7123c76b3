/// Slots a producer owns until it commits them: consecutive, all within one batch.
///
/// Noncopyable, so a reservation is committed exactly once (``Ring/commit(_:)`` consumes it).
struct Reservation: ~Copyable {
    /// The ring-wide sequence number of the first reserved slot.
    let first: UInt64
    /// How many slots, at least 1.
    let count: Int
}

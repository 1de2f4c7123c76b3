/// Slots a producer owns until it commits them: consecutive, all within one batch.
///
/// Noncopyable, so a reservation is committed exactly once (``Ring/commit(_:)`` consumes it).
struct Reservation: ~Copyable {
    /// The ring-wide sequence number of the first reserved slot.
    private(set) var first: UInt64
    /// How many slots: at least 1 when reserved; fewer only after ``Ring/shrink(_:to:)``.
    private(set) var count: Int

    init(first: UInt64, count: Int) {
        self.first = first
        self.count = count
    }

    /// Only `Ring.shrink(_:to:)` calls this, after giving the slots back.
    mutating func shrink(to count: Int) {
        self.count = count
    }

    /// Splits off the first `count` slots as a reservation of their own (to commit them while
    /// the rest are still being filled); this one keeps the others.
    mutating func takePrefix(_ count: Int) -> Reservation {
        precondition(count >= 0 && count <= self.count)
        defer {
            first += UInt64(count)
            self.count -= count
        }
        return Reservation(first: first, count: count)
    }
}

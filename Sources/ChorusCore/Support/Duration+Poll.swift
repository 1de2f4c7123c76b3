extension Duration {
    /// This duration as a `poll(2)` timeout: whole milliseconds, one more than it holds (so a
    /// wait never ends early), at most `Int32.max`. For durations of zero or more.
    package var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
    }
}

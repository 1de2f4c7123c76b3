extension Array where Element: BitwiseCopyable {
    /// `withUnsafeBytes` that keeps the closure's typed error (the standard library's rethrows
    /// an untyped one), by carrying it through a `Result`.
    @inlinable
    package func withBytes<R, E>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeBytes { bytes in Result { () throws(E) -> R in try body(bytes) } }.get()
    }

    /// `withUnsafeMutableBytes` that keeps the closure's typed error.
    @inlinable
    package mutating func withMutableBytes<R, E>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeMutableBytes { bytes in Result { () throws(E) -> R in try body(bytes) } }.get()
    }
}

/// The release `chorus_version` reports; the Python package's version follows it.
enum ChorusCVersion {
    /// A literal: its UTF-8 bytes are static and NUL-terminated, so C may keep the pointer.
    private static let text: StaticString = "0.14.0"

    static var release: UnsafePointer<CChar> { cString(text) }
}

/// The C string of a literal (static, NUL-terminated storage).
func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

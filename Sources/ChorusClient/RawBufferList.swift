/// The two raw buffer pointer types, for code that walks a list of buffers handed to one
/// vectored system call (`sendmsg`, `recvmsg`).
package protocol RawBuffer {
    var count: Int { get }
    /// The buffer without its first `count` bytes.
    func dropping(first count: Int) -> Self
}

extension UnsafeRawBufferPointer: RawBuffer {
    package func dropping(first count: Int) -> Self { Self(rebasing: self[count...]) }
}

extension UnsafeMutableRawBufferPointer: RawBuffer {
    package func dropping(first count: Int) -> Self { Self(rebasing: self[count...]) }
}

extension Array where Element: RawBuffer {
    /// Removes the first `count` bytes of the list (whole buffers, then the front of the next):
    /// what is left after a vectored call moved `count` bytes.
    package mutating func removeFirstBytes(_ count: Int) {
        var remaining = count
        var whole = 0
        while whole < self.count, remaining >= self[whole].count {
            remaining -= self[whole].count
            whole += 1
        }
        removeFirst(whole)
        if remaining > 0 { self[0] = self[0].dropping(first: remaining) }
    }
}

/// A value that threads share, behind a ``Lock``: the only way to the value is `withLock`.
///
/// ```swift
/// let received = Locked<[UInt64]>([])
/// received.withLock { $0.append(id) }
/// ```
///
/// Keep the closure short and never call out to code that may take another lock unless the
/// documented lock order allows it (see the declarations of the locks that nest).
package final class Locked<Value> {
    @usableFromInline let lock = Lock()
    @usableFromInline var value: Value  // guarded by `lock`

    package init(_ value: Value) {
        self.value = value
    }

    @inlinable
    package func withLock<R, E>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        try lock.withLock { () throws(E) -> R in try body(&value) }
    }
}

extension Locked: @unchecked Sendable where Value: Sendable {}
